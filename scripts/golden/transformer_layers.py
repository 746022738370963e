"""Golden values for the NN module's Transformer layers (TransformerEncoderLayer,
TransformerDecoderLayer, TransformerEncoder), computed by PyTorch.

What this is
    A one-off generator of `Tests/Fixtures/transformer_layers_golden.json`, read by
    Tests/ReproKitTests/TransformerLayerTests.swift. Each case builds PyTorch's own
    nn.TransformerEncoderLayer / nn.TransformerDecoderLayer / nn.TransformerEncoder
    (batch_first=True, dropout 0) and stores its state_dict, the inputs, the output, the
    per-head attention weights, and the gradients of the scalar loss sum(output * grad_output)
    with respect to every parameter and every input. The Swift test loads the state_dict by
    name into our layers and checks all of it. The JSON is committed; the Swift tests never
    run PyTorch.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/transformer_layers.py

Cases (d_model 16, nhead 4, dim_feedforward 32, B 2, T 5, S 6)
    encoder_post_relu   encoder layer, post-norm, ReLU, eps 1e-5, src_key_padding_mask
    encoder_pre_gelu    encoder layer, pre-norm, GELU, eps 1e-6 (ViT's), no mask
    decoder_post_causal decoder layer, post-norm, ReLU, causal self-attention,
                        tgt_key_padding_mask and memory_key_padding_mask
    encoder_stack       nn.TransformerEncoder of 2 pre-norm GELU layers (eps 1e-6) and a final
                        LayerNorm, src_key_padding_mask

Numerics
    Every parameter is redrawn at random (PyTorch's LayerNorm weights 1, biases 0 and the
    deep-copied identical layers of nn.TransformerEncoder would leave mistakes unseen), and
    parameters and inputs are rounded to 3 decimals (the small inputs of the pre-norm cases,
    0.02·N(0, 1) so that LayerNorm's eps matters, to 5), then to float32: stored exactly in few
    characters. The forward and backward run in float64 from those values; results are
    stored to 6 significant digits (the Swift test's tolerance is 1e-4 relative).

Format
    {"generator": "torch <version>", "cases": [CASE, ...]}
    CASE = {"name", "kind": "encoder_layer" | "decoder_layer" | "encoder",
            "config": {"d_model", "nhead", "dim_feedforward", "activation": "relu" | "gelu",
                       "layer_norm_eps", "norm_first", "num_layers" (encoder),
                       "final_norm" (encoder), "causal"},
            "key_padding_mask": [[bool]] (true = padding; the encoder's src_key_padding_mask,
                                 the decoder's tgt_key_padding_mask) or null,
            "memory_key_padding_mask": [[bool]] or null,
            "state_dict": [{"name", "shape", "data"}] in PyTorch's order,
            "inputs": {"x": T [B, T, E], "memory": T [B, S, E] (decoder)},
            "output": T, "grad_output": T,
            "weights": [T]: self-attention per head [B, H, T, T], one per layer,
            "cross_weights": T [B, H, T, S] (decoder),
            "input_grads": {name: T}, "param_grads": {state_dict name: T}}
    T = {"shape": [...], "data": [flat row-major values]}.
"""

import json
import os
import struct
import zlib

import torch
import torch.nn as nn

OUT_PATH = os.path.join("Tests", "Fixtures", "transformer_layers_golden.json")
E, H, FF, B, T, S = 16, 4, 32, 2, 5, 6

torch.set_num_threads(1)


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def exact(t, decimals=3):
    """Values rounded to `decimals` decimals and then to float32 (parameters, inputs), written
    as those decimals: few characters, and they read back as exactly the same float32."""
    out = []
    for v in t.detach().flatten().tolist():
        d = round(v, decimals)
        assert f32(d) == f32(v), (v, d)
        out.append(d)
    return {"shape": list(t.shape), "data": out}


def result(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float("%.6g" % v) for v in t.flatten().tolist()]}


def rounded(t, decimals=3):
    """t rounded to `decimals` decimals, then to float32, held in float64."""
    return torch.round(t, decimals=decimals).to(torch.float32).to(torch.float64)


def randomize(model, gen):
    """Every parameter redrawn: matrices U(±√(3/fan_in)), norm weights 1 + 0.1·N, the rest
    (biases) 0.1·N; then rounded."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                a = (3.0 / p.shape[1]) ** 0.5
                v = (torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * a
            elif name.split(".")[-2].startswith("norm") and name.endswith("weight"):
                v = 1 + 0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            else:
                v = 0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            p.copy_(rounded(v))


class Capture:
    """Makes every given MultiheadAttention also compute its per-head weights (the layers
    call it with need_weights=False) and records them in call order."""

    def __init__(self, attns):
        self.weights = []
        for mha in attns:
            forward = mha.forward

            def patched(*args, _forward=forward, **kw):
                kw["need_weights"], kw["average_attn_weights"] = True, False
                out, w = _forward(*args, **kw)
                self.weights.append(w)
                return out, w

            mha.forward = patched


def padding(lengths, n):
    return [[i >= k for i in range(n)] for k in lengths]


def make_case(name, kind, activation="relu", eps=1e-5, norm_first=False, causal=False,
              lengths=None, memory_lengths=None, num_layers=1, final_norm=False):
    torch.manual_seed(zlib.crc32(name.encode()))
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    args = dict(d_model=E, nhead=H, dim_feedforward=FF, dropout=0.0, activation=activation,
                layer_norm_eps=eps, batch_first=True, norm_first=norm_first)
    if kind == "decoder_layer":
        model = nn.TransformerDecoderLayer(**args)
        attns = [model.self_attn, model.multihead_attn]
    elif kind == "encoder_layer":
        model = nn.TransformerEncoderLayer(**args)
        attns = [model.self_attn]
    else:
        model = nn.TransformerEncoder(nn.TransformerEncoderLayer(**args), num_layers,
                                      norm=nn.LayerNorm(E, eps=eps) if final_norm else None,
                                      enable_nested_tensor=False)
        attns = [layer.self_attn for layer in model.layers]
    model = model.double()
    randomize(model, gen)
    model.eval()  # dropout is 0 anyway; eval as the Swift test's layers

    # Pre-norm layers normalise x itself: at x ~ 0.02·N(0, 1) (variance 4e-4) eps 1e-6 and
    # 1e-5 differ by about 1% in LN(x), so a wrong eps shows.
    x_decimals = 5 if norm_first else 3
    x = torch.randn(B, T, E, generator=gen, dtype=torch.float64)
    x = rounded((0.02 if norm_first else 1) * x, x_decimals).requires_grad_()
    inputs = {"x": x}
    kpm = padding(lengths, T) if lengths else None
    mkpm = padding(memory_lengths, S) if memory_lengths else None
    capture = Capture(attns)
    if kind == "decoder_layer":
        memory = rounded(torch.randn(B, S, E, generator=gen, dtype=torch.float64)).requires_grad_()
        inputs["memory"] = memory
        tgt_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
        y = model(x, memory, tgt_mask=tgt_mask, tgt_is_causal=causal,
                  tgt_key_padding_mask=torch.tensor(kpm) if kpm else None,
                  memory_key_padding_mask=torch.tensor(mkpm) if mkpm else None)
    else:
        src_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
        src_kpm = torch.tensor(kpm) if kpm else None
        if kind == "encoder":
            y = model(x, mask=src_mask, is_causal=causal, src_key_padding_mask=src_kpm)
        else:
            y = model(x, src_mask=src_mask, is_causal=causal, src_key_padding_mask=src_kpm)
    g = rounded(torch.randn(y.shape, generator=gen, dtype=torch.float64))
    (y * g).sum().backward()

    weights = capture.weights
    case = {"name": name, "kind": kind,
            "config": {"d_model": E, "nhead": H, "dim_feedforward": FF, "activation": activation,
                       "layer_norm_eps": eps, "norm_first": norm_first, "causal": causal},
            "key_padding_mask": kpm, "memory_key_padding_mask": mkpm,
            "state_dict": [dict(name=n, **exact(p)) for n, p in model.state_dict().items()],
            "inputs": {k: exact(v, x_decimals if k == "x" else 3) for k, v in inputs.items()},
            "output": result(y), "grad_output": exact(g),
            "input_grads": {k: result(v.grad) for k, v in inputs.items()},
            "param_grads": {n: result(p.grad) for n, p in model.named_parameters()}}
    if kind == "decoder_layer":
        assert len(weights) == 2
        case["weights"], case["cross_weights"] = [result(weights[0])], result(weights[1])
    else:
        assert len(weights) == num_layers
        case["weights"] = [result(w) for w in weights]
        case["config"].update(num_layers=num_layers, final_norm=final_norm)
    # Every parameter reaches the loss (a zero gradient would check nothing).
    for n, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().max() > 0, n
    return case


def main():
    cases = [
        make_case("encoder_post_relu", "encoder_layer", lengths=[5, 3]),
        make_case("encoder_pre_gelu", "encoder_layer", activation="gelu", eps=1e-6, norm_first=True),
        make_case("decoder_post_causal", "decoder_layer", causal=True, lengths=[5, 4], memory_lengths=[4, 6]),
        make_case("encoder_stack", "encoder", activation="gelu", eps=1e-6, norm_first=True,
                  lengths=[4, 5], num_layers=2, final_norm=True),
    ]
    out = {"generator": f"torch {torch.__version__}", "cases": cases}
    with open(OUT_PATH, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes): " + ", ".join(c["name"] for c in cases))


if __name__ == "__main__":
    main()
