"""Golden values for the Bahdanau plugin's RNNsearch / RNNencdec model (Bahdanau, Cho & Bengio
2015, arXiv:1409.0473), computed by PyTorch.

What this is
    A one-off generator of `Tests/Fixtures/bahdanau_golden.json`, read by
    Tests/ReproKitTests/BahdanauModelTests.swift. The same model as
    Plugins/Bahdanau/RNNSearch.swift, written in PyTorch with the same state-dict names, at
    toy sizes; for each case it stores the parameters, a padded batch of three sentence pairs
    of different lengths, the teacher-forced logits, the attention weights, the mean token
    cross-entropy and that loss's gradient with respect to every parameter. The JSON is
    committed; the Swift tests never run PyTorch.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/bahdanau.py

Cases
    rnnsearch         attention, maxout deep output (the paper's RNNsearch)
    rnnencdec         a fixed context [→h_last; ←h_1], no attention (the paper's RNNencdec)
    rnnsearch_shallow attention, logits straight from s_i (no deep output)

Numerics
    Parameters are drawn with PyTorch's default init (fixed seed), rounded to float32 and
    stored exactly; the forward and backward then run in float64 from those float32 values,
    and the results are stored as float32. Dropout is 0.

Format
    {"generator": "torch <version>", "sizes": {...}, "pad": 0, "bos": 1, "eos": 2,
     "cases": [{"name", "attention": bool, "deep_output": bool,
                "sources": [[ids]], "targets": [[ids]] (without <bos>/<eos>),
                "decoder_input": T, "decoder_target": T   ([B, T], pad 0 / ignore -100),
                "parameters": [{"name", "shape", "data"}]  in named_parameters() order,
                "logits": T [B, T, V], "attention_weights": T [B, T, S] (attention only),
                "loss": float, "grads": {name: T}}]}
    T = {"shape": [...], "data": [flat row-major values]}; parameters exact, results to 7 digits.
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT_PATH = os.path.join("Tests", "Fixtures", "bahdanau_golden.json")
PAD, BOS, EOS = 0, 1, 2
SIZES = dict(source_vocab=20, target_vocab=20, embed=4, hidden=3, decoder_hidden=5, attention_dim=6, maxout=2)
# Three pairs, every source and target length different; ids 4..19 are toy words.
PAIRS = [
    ([5, 9, 4, 17, 12], [7, 11, 4, 19]),
    ([8, 16, 6], [13, 5, 10, 18, 4, 9]),
    ([19, 4, 11, 7, 14, 6, 10], [15, 8]),
]


class AdditiveAttention(nn.Module):
    """e_ij = vᵀ tanh(W s_{i−1} + U h_j), α = softmax_j over real words, c_i = Σ_j α_ij h_j."""

    def __init__(self, query, key, dim):
        super().__init__()
        self.W = nn.Linear(query, dim, bias=False)
        self.U = nn.Linear(key, dim)
        self.v = nn.Linear(dim, 1, bias=False)

    def forward(self, s, keys, uh, pad_mask):
        e = self.v(torch.tanh(self.W(s).unsqueeze(1) + uh)).squeeze(2)      # [B, S]
        alpha = e.masked_fill(pad_mask, float("-inf")).softmax(dim=1)
        return torch.bmm(alpha.unsqueeze(1), keys).squeeze(1), alpha


class RNNSearch(nn.Module):
    def __init__(self, Vs, Vt, E, H, D, A, L, attends=True, deep_output=True):
        super().__init__()
        self.attends, self.deep_output, self.L = attends, deep_output, L
        self.source_embedding = nn.Embedding(Vs, E)
        self.target_embedding = nn.Embedding(Vt, E)
        self.encoder = nn.GRU(E, H, batch_first=True, bidirectional=True)
        self.init_state = nn.Linear(H, D)
        if attends:
            self.attention = AdditiveAttention(D, 2 * H, A)
        self.decoder = nn.GRUCell(E + 2 * H, D)
        if deep_output:
            self.output_state = nn.Linear(D, 2 * L)
            self.output_embedding = nn.Linear(E, 2 * L, bias=False)
            self.output_context = nn.Linear(2 * H, 2 * L, bias=False)
            self.output = nn.Linear(L, Vt)
        else:
            self.output = nn.Linear(D, Vt)

    def forward(self, src, src_len, dec_in):
        B, S = src.shape
        x = self.source_embedding(src)
        packed = pack_padded_sequence(x, src_len, batch_first=True, enforce_sorted=False)
        out, h_n = self.encoder(packed)
        ann, _ = pad_packed_sequence(out, batch_first=True, total_length=S)  # [B, S, 2H]
        s = torch.tanh(self.init_state(h_n[1]))                                # s_0 = tanh(W_s ←h_1)
        pad_mask = torch.arange(S)[None, :] >= torch.tensor(src_len)[:, None]
        uh = self.attention.U(ann) if self.attends else None
        fixed = torch.cat([h_n[0], h_n[1]], dim=1)                             # [→h_last; ←h_1]
        ey = self.target_embedding(dec_in)                                     # [B, T, E]
        states, contexts, alphas = [], [], []
        for i in range(dec_in.shape[1]):
            if self.attends:
                c, alpha = self.attention(s, ann, uh, pad_mask)
                alphas.append(alpha)
            else:
                c = fixed
            s = self.decoder(torch.cat([ey[:, i], c], dim=1), s)               # s_i
            states.append(s)
            contexts.append(c)
        st, ct = torch.stack(states, 1), torch.stack(contexts, 1)
        if self.deep_output:
            # t̃_i = U_o s_i + V_o E y_{i−1} + C_o c_i (eq. 4 uses s_i), maxout over pairs.
            tt = self.output_state(st) + self.output_embedding(ey) + self.output_context(ct)
            t = tt.view(B, -1, self.L, 2).max(dim=3).values
            logits = self.output(t)
        else:
            logits = self.output(st)
        return logits, (torch.stack(alphas, 1) if alphas else None)


def batch():
    sources = [p[0] for p in PAIRS]
    targets = [p[1] for p in PAIRS]
    S = max(map(len, sources))
    T = max(len(t) for t in targets) + 1
    src = torch.tensor([s + [PAD] * (S - len(s)) for s in sources])
    dec_in = torch.tensor([[BOS] + t + [PAD] * (T - 1 - len(t)) for t in targets])
    dec_tgt = torch.tensor([t + [EOS] + [-100] * (T - 1 - len(t)) for t in targets])
    return sources, targets, src, [len(s) for s in sources], dec_in, dec_tgt


def tensor(t, digits=7):
    """Parameters are stored exactly (9 digits round-trip a float32); results to 7."""
    t = t.detach().to(torch.float32)
    return {"shape": list(t.shape), "data": [float(f"{v:.{digits}g}") for v in t.flatten().tolist()]}


def make_case(name, seed, attends, deep_output):
    torch.manual_seed(seed)
    z = SIZES
    model = RNNSearch(z["source_vocab"], z["target_vocab"], z["embed"], z["hidden"], z["decoder_hidden"],
                      z["attention_dim"], z["maxout"], attends, deep_output)
    model = model.double()  # float32 values exactly, float64 arithmetic from here on
    sources, targets, src, src_len, dec_in, dec_tgt = batch()
    logits, alpha = model(src, src_len, dec_in)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), dec_tgt.reshape(-1), ignore_index=-100)
    loss.backward()
    case = {"name": name, "attention": attends, "deep_output": deep_output,
            "sources": sources, "targets": targets,
            "decoder_input": tensor(dec_in), "decoder_target": tensor(dec_tgt),
            "parameters": [dict(name=n, **tensor(p, 9)) for n, p in model.named_parameters()],
            "logits": tensor(logits), "loss": loss.item(),
            "grads": {n: tensor(p.grad) for n, p in model.named_parameters()}}
    if alpha is not None:
        case["attention_weights"] = tensor(alpha)
    return case


def main():
    cases = [make_case("rnnsearch", 1, True, True),
             make_case("rnnencdec", 2, False, True),
             make_case("rnnsearch_shallow", 3, True, False)]
    out = {"generator": f"torch {torch.__version__}", "sizes": SIZES, "pad": PAD, "bos": BOS, "eos": EOS,
           "cases": cases}
    with open(OUT_PATH, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes): "
          + ", ".join(f"{c['name']} loss {c['loss']:.6f}" for c in cases))


if __name__ == "__main__":
    main()
