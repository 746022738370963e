"""Training throughput of RNNsearch / RNNencdec (Bahdanau, Cho & Bengio 2015, arXiv:1409.0473)
in PyTorch, to stand beside repro's Bahdanau plugin at the same sizes on the same machine.
Not a dependency of repro:

    /root/venv-torch/bin/python bench/pytorch_bahdanau.py [--batch 64] [--source-length 30]
        [--target-length 30] [--source-vocab 8000] [--target-vocab 8000] [--embed 128]
        [--hidden 256] [--decoder-hidden 256] [--attention-dim 256] [--maxout 256]
        [--steps 50] [--warmup 5] [--threads 2] [--no-attention] [--no-deep-output]

The model of Plugins/Bahdanau/RNNSearch.swift (same state-dict names; PyTorch's default
init): a bidirectional GRU encoder, s_0 = tanh(W_s ←h_1), additive attention (or the fixed
context [→h_last; ←h_1] with --no-attention), a GRUCell decoder over [E y_{i−1}; c_i] and the
maxout deep output t̃ = U_o s_i + V_o E y_{i−1} + C_o c_i. Adadelta (ρ 0.95, ε 1e-6, lr 1) with
the gradient norm clipped to 1, as the paper trains. Synthetic batches of fixed shapes (every
sentence full length, random ids); `--warmup` steps are not timed. Prints one JSON line with
sentences/s and target tokens/s of training (forward + backward + update).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class AdditiveAttention(nn.Module):
    """e_ij = vᵀ tanh(W s_{i−1} + U h_j), α = softmax_j(e_ij), c_i = Σ_j α_ij h_j."""

    def __init__(self, query, key, dim):
        super().__init__()
        self.W = nn.Linear(query, dim, bias=False)
        self.U = nn.Linear(key, dim)
        self.v = nn.Linear(dim, 1, bias=False)

    def forward(self, s, keys, uh):
        e = self.v(torch.tanh(self.W(s).unsqueeze(1) + uh)).squeeze(2)
        alpha = e.softmax(dim=1)
        return torch.bmm(alpha.unsqueeze(1), keys).squeeze(1)


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

    def forward(self, src, dec_in):
        B = src.shape[0]
        ann, h_n = self.encoder(self.source_embedding(src))          # full-length sentences
        s = torch.tanh(self.init_state(h_n[1]))
        uh = self.attention.U(ann) if self.attends else None
        fixed = torch.cat([h_n[0], h_n[1]], dim=1)
        ey = self.target_embedding(dec_in)
        states, contexts = [], []
        for i in range(dec_in.shape[1]):
            c = self.attention(s, ann, uh) if self.attends else fixed
            s = self.decoder(torch.cat([ey[:, i], c], dim=1), s)
            states.append(s)
            contexts.append(c)
        st = torch.stack(states, 1)
        if not self.deep_output:
            return self.output(st)
        tt = self.output_state(st) + self.output_embedding(ey) + self.output_context(torch.stack(contexts, 1))
        return self.output(tt.view(B, -1, self.L, 2).max(dim=3).values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--source-length", type=int, default=30)
    ap.add_argument("--target-length", type=int, default=30)
    ap.add_argument("--source-vocab", type=int, default=8000)
    ap.add_argument("--target-vocab", type=int, default=8000)
    ap.add_argument("--embed", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--decoder-hidden", type=int, default=256)
    ap.add_argument("--attention-dim", type=int, default=256)
    ap.add_argument("--maxout", type=int, default=256)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-attention", action="store_true")
    ap.add_argument("--no-deep-output", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = RNNSearch(a.source_vocab, a.target_vocab, a.embed, a.hidden, a.decoder_hidden, a.attention_dim,
                      a.maxout, attends=not a.no_attention, deep_output=not a.no_deep_output)
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-6)
    B, S, T = a.batch, a.source_length, a.target_length
    # The decoder reads <bos> + T−1 words and predicts T words (the last one <eos>).
    src = torch.randint(4, a.source_vocab, (B, S))
    tgt = torch.randint(4, a.target_vocab, (B, T))
    dec_in = torch.cat([torch.full((B, 1), 1), tgt[:, :-1]], dim=1)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(src, dec_in)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "bench": "pytorch-bahdanau", "model": "rnnencdec" if a.no_attention else "rnnsearch",
        "deep_output": not a.no_deep_output, "batch": B, "source_length": S, "target_length": T,
        "source_vocab": a.source_vocab, "target_vocab": a.target_vocab, "embed": a.embed, "hidden": a.hidden,
        "decoder_hidden": a.decoder_hidden, "attention_dim": a.attention_dim, "maxout": a.maxout,
        "parameters": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads(),
        "steps": a.steps, "seconds": round(seconds, 2), "sentences_per_second": round(B * a.steps / seconds, 1),
        "target_tokens_per_second": round(B * T * a.steps / seconds, 1), "final_loss": round(loss, 4),
        "note": f"torch {torch.__version__}"}), flush=True)


if __name__ == "__main__":
    main()
