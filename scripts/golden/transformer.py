"""Golden values for the Transformer plugin's model (Vaswani et al. 2017, arXiv:1706.03762),
computed by PyTorch.

What this is
    A one-off generator of `Tests/Fixtures/transformer_golden.json`, read by
    Tests/ReproKitTests/TransformerModelTests.swift. The model is bench/pytorch_transformer.py's
    `Seq2SeqTransformer` (the state-dict names of Plugins/Transformer/Seq2SeqTransformer.swift)
    at toy sizes; for each case it stores the parameters, a padded batch of three sentence
    pairs of different lengths, the teacher-forced logits, the mean token cross-entropy with
    label smoothing 0.1, and that loss's gradient with respect to every parameter. The Swift
    tests never run PyTorch.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/transformer.py

Cases
    post_sinusoidal  the paper's: post-norm, sinusoidal positions, target embedding = output
    pre_learned      pre-norm with final norms, learned positions
    shared           one vocabulary, one embedding matrix for source, target and output

Numerics
    Parameters from PyTorch's init (fixed seed; LayerNorm weights and biases and the learned
    positions redrawn so that they matter), rounded to float32 and stored exactly; forward and
    backward in float64; results stored as float32. Dropout is 0.

Format
    {"generator": "torch <version>", "sizes": {...}, "pad": 0, "bos": 1, "eos": 2,
     "cases": [{"name", "config": {plugin config keys}, "source_vocab", "target_vocab",
                "sources": [[ids]], "targets": [[ids]] (without <bos>/<eos>),
                "parameters": [{"name", "shape", "data"}], "logits": T [B, T, V],
                "loss": float, "grads": {name: T}}]}
    T = {"shape": [...], "data": [flat row-major values]}.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from pytorch_transformer import Seq2SeqTransformer, BOS, EOS, PAD, pad_rows  # noqa: E402

SIZES = {"d_model": 8, "heads": 2, "layers": 2, "feed_forward": 16, "max_positions": 16}
PAIRS = [
    ([5, 9, 4, 17, 12], [7, 11, 4, 15]),
    ([8, 16, 6], [13, 5, 10, 14, 4, 9]),
    ([19, 4, 11, 7, 14, 6, 10], [15, 8]),
]
CASES = [
    ("post_sinusoidal", {"norm": "post", "positions": "sinusoidal", "shared_vocabulary": False}, 20, 20),
    ("pre_learned", {"norm": "pre", "positions": "learned", "shared_vocabulary": False}, 20, 20),
    ("shared", {"norm": "post", "positions": "sinusoidal", "shared_vocabulary": True}, 36, 36),
]


def tensor(t, digits=7):
    return {"shape": list(t.shape), "data": [float(f"{v:.{digits}g}") for v in t.reshape(-1).tolist()]}


def main():
    torch.manual_seed(0)
    cases = []
    for name, config, vs, vt in CASES:
        model = Seq2SeqTransformer(vs, vt, SIZES["d_model"], SIZES["heads"], SIZES["layers"], SIZES["feed_forward"],
                                   dropout=0.0, norm_first=config["norm"] == "pre",
                                   learned_positions=config["positions"] == "learned",
                                   max_positions=SIZES["max_positions"], shared=config["shared_vocabulary"])
        with torch.no_grad():
            for n, p in model.named_parameters():
                if "norm" in n:
                    p.normal_(1.0 if n.endswith("weight") else 0.0, 0.3)
                elif "positions" in n:
                    p.normal_(0, 0.5)
        params = [{"name": n, "shape": list(p.shape), "data": p.detach().float().reshape(-1).tolist()}
                  for n, p in model.named_parameters()]
        model = model.double().train()
        source = pad_rows([s for s, _ in PAIRS], PAD)
        dec_in = pad_rows([[BOS] + t for _, t in PAIRS], PAD)
        dec_out = pad_rows([t + [EOS] for _, t in PAIRS], -100)
        logits = model(source, dec_in)
        loss = F.cross_entropy(logits.reshape(-1, vt), dec_out.reshape(-1), ignore_index=-100, label_smoothing=0.1)
        loss.backward()
        cases.append({"name": name, "config": config, "source_vocab": vs, "target_vocab": vt,
                      "sources": [s for s, _ in PAIRS], "targets": [t for _, t in PAIRS],
                      "parameters": params, "logits": tensor(logits.detach()), "loss": loss.item(),
                      "grads": {n: tensor(p.grad) for n, p in model.named_parameters()}})
    out = {"generator": f"torch {torch.__version__}", "sizes": SIZES, "pad": PAD, "bos": BOS, "eos": EOS,
           "cases": cases}
    path = os.path.join(ROOT, "Tests", "Fixtures", "transformer_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
