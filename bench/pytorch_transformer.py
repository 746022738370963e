"""The Transformer plugin's model (Vaswani et al. 2017, arXiv:1706.03762) in PyTorch, for
side-by-side checks with repro. Never a dependency of repro: run by hand with torch installed
(`python3 -m venv /root/venv-torch && /root/venv-torch/bin/pip install torch==2.13.0 numpy h5py`).

`Seq2SeqTransformer` has the state-dict names of Plugins/Transformer/Seq2SeqTransformer.swift
(PyTorch's nn.TransformerEncoder/DecoderLayer names inside), so a repro checkpoint loads by name.

Subcommands
    speed  --steps N --batch B --length L [--d-model D --heads H --layers N --ff F --vocab V]
           training throughput (target tokens/s) on random batches of B pairs of L tokens each
           side, Adam (0.9, 0.98, 1e-9), label smoothing 0.1, dropout 0.1, at
           torch.set_num_threads(2); compare with `repro bench transformer-mini` at the same sizes.
    decode-speed  --sentences N --length L --beam K [--d-model D --heads H --layers N --ff F --vocab V]
           beam search of an untrained model over N random sources of L tokens, with <eos>
           forbidden so every hypothesis runs to the limit 2L + 10 tokens, in chunks of 64
           sentences, at torch.set_num_threads(2); nn.TransformerDecoder has no key/value cache, so
           each step runs the decoder over the whole prefix, as PyTorch code built on it does.
           Compare with the "inference" line of `repro bench transformer-mini --set
           dataset=synthetic --set toy_max_length=L` (its note shows the same source → output lengths).
    check  RUN_FOLDER
           reads the run's checkpoint.h5 (h5py) and config.json, loads every tensor by name (the
           checkpoint's model tensors and the PyTorch state_dict must have the same names),
           teacher-forces the run's own test translations (test_hypotheses.json: source ids,
           output ids, repro's log-probability of each) and prints the largest difference of the
           sentence log-probabilities.
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS = 0, 1, 2


def sinusoids(max_positions, d):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(…) (§3.5), in float64."""
    pos = torch.arange(max_positions, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(d)
    freq = torch.exp(-((j - j % 2).double() / d) * math.log(10000.0))
    angle = pos * freq
    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))


class LearnedPositions(nn.Module):
    def __init__(self, max_positions, d):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_positions, d) * 0.02)

    def forward(self, x, offset=0):
        return x + self.weight[offset:offset + x.shape[1]]


class Seq2SeqTransformer(nn.Module):
    def __init__(self, source_vocab, target_vocab, d_model=128, heads=4, layers=3, feed_forward=512,
                 dropout=0.1, norm_first=False, learned_positions=False, max_positions=512, shared=False):
        super().__init__()
        self.d = d_model
        if shared:
            self.embedding = nn.Embedding(source_vocab, d_model)
        else:
            self.source_embedding = nn.Embedding(source_vocab, d_model)
            self.target_embedding = nn.Embedding(target_vocab, d_model)
        self.shared = shared
        if learned_positions:
            self.source_positions = LearnedPositions(max_positions, d_model)
            self.target_positions = LearnedPositions(max_positions, d_model)
        else:
            self.register_buffer("pe", sinusoids(max_positions, d_model).float(), persistent=False)
        self.learned = learned_positions

        def enc():
            return nn.TransformerEncoderLayer(d_model, heads, feed_forward, dropout, batch_first=True,
                                              norm_first=norm_first)

        def dec():
            return nn.TransformerDecoderLayer(d_model, heads, feed_forward, dropout, batch_first=True,
                                              norm_first=norm_first)
        # Layers built one by one (not deep copies), as repro initialises each on its own.
        self.encoder = nn.TransformerEncoder(enc(), layers, norm=nn.LayerNorm(d_model) if norm_first else None,
                                             enable_nested_tensor=False)
        self.encoder.layers = nn.ModuleList([enc() for _ in range(layers)])
        self.decoder = nn.TransformerDecoder(dec(), layers, norm=nn.LayerNorm(d_model) if norm_first else None)
        self.decoder.layers = nn.ModuleList([dec() for _ in range(layers)])
        self.source_dropout = nn.Dropout(dropout)
        self.target_dropout = nn.Dropout(dropout)
        for e in ([self.embedding] if shared else [self.source_embedding, self.target_embedding]):
            nn.init.normal_(e.weight, 0, d_model ** -0.5)

    def tables(self):
        return (self.embedding, self.embedding) if self.shared else (self.source_embedding, self.target_embedding)

    def embed(self, ids, table, side, offset=0):
        x = table(ids) * math.sqrt(self.d)
        if self.learned:
            x = (self.source_positions if side == "source" else self.target_positions)(x, offset)
        else:
            x = x + self.pe[offset:offset + ids.shape[1]].to(x.dtype)
        return (self.source_dropout if side == "source" else self.target_dropout)(x)

    def forward(self, source, decoder_input):
        """source [B, S] (PAD-padded), decoder_input [B, T] (<bos> + target) → logits [B, T, V]."""
        src_table, tgt_table = self.tables()
        pad = source == PAD
        memory = self.encoder(self.embed(source, src_table, "source"), src_key_padding_mask=pad)
        t = decoder_input.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf"), dtype=memory.dtype), diagonal=1)
        h = self.decoder(self.embed(decoder_input, tgt_table, "target"), memory, tgt_mask=causal,
                         memory_key_padding_mask=pad)
        return F.linear(h, tgt_table.weight)


def pad_rows(rows, value):
    n = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (n - len(r)) for r in rows])


def speed(args):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = Seq2SeqTransformer(args.vocab, args.vocab, args.d_model, args.heads, args.layers, args.ff)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    src = torch.randint(4, args.vocab, (args.batch, args.length))
    tgt = torch.randint(4, args.vocab, (args.batch, args.length))
    dec_in = torch.cat([torch.full((args.batch, 1), BOS), tgt], 1)
    dec_out = torch.cat([tgt, torch.full((args.batch, 1), EOS)], 1)
    model.train()

    def step():
        opt.zero_grad()
        logits = model(src, dec_in)
        loss = F.cross_entropy(logits.reshape(-1, args.vocab), dec_out.reshape(-1), label_smoothing=0.1)
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    elapsed = time.perf_counter() - start
    tokens = args.steps * args.batch * (args.length + 1)
    print(f"pytorch {torch.__version__}: {tokens / elapsed:.0f} target tokens/s "
          f"({args.steps * args.batch / elapsed:.1f} pairs/s, {elapsed / args.steps * 1000:.1f} ms/step)")


def decode_speed(args):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = Seq2SeqTransformer(args.vocab, args.vocab, args.d_model, args.heads, args.layers, args.ff)
    model.eval()
    sources = torch.randint(4, args.vocab, (args.sentences, args.length))  # repro's sources carry no <eos>
    steps = 2 * args.length + 10
    src_table, tgt_table = model.tables()

    def beam(source):
        b, k, v = source.shape[0], args.beam, args.vocab
        memory = model.encoder(model.embed(source, src_table, "source")).repeat_interleave(k, 0)
        seqs = torch.full((b * k, 1), BOS)
        scores = torch.full((b, k), float("-inf"))
        scores[:, 0] = 0  # one live beam per sentence at the start
        for t in range(steps):
            causal = torch.triu(torch.full((t + 1, t + 1), float("-inf")), diagonal=1)
            h = model.decoder(model.embed(seqs, tgt_table, "target"), memory, tgt_mask=causal)
            logp = F.linear(h[:, -1], tgt_table.weight).log_softmax(-1)
            logp[:, [PAD, BOS, EOS]] = float("-inf")
            top, index = (scores.reshape(b * k, 1) + logp).reshape(b, k * v).topk(k, -1)
            rows = (torch.arange(b)[:, None] * k + index // v).reshape(-1)
            seqs = torch.cat([seqs[rows], (index % v).reshape(-1, 1)], 1)
            scores = top
        return seqs

    with torch.no_grad():
        beam(sources[:4])  # warm-up
        start = time.perf_counter()
        for i in range(0, args.sentences, 64):
            out = beam(sources[i:i + 64])
        elapsed = time.perf_counter() - start
    print(f"pytorch {torch.__version__}: {args.sentences / elapsed:.1f} sentences/s, beam {args.beam}, "
          f"{sources.shape[1]} → {out.shape[1] - 1} tokens each ({elapsed:.2f} s)")


def check(run):
    import h5py
    import numpy as np
    with open(os.path.join(run, "config.json")) as f:
        c = json.load(f)["config"]  # every value stored as a string
    with open(os.path.join(run, "test_hypotheses.json")) as f:
        saved = json.load(f)
    with h5py.File(os.path.join(run, "checkpoint.h5"), "r") as f:
        shared = c["shared_vocabulary"] == "true"
        vs = f["embedding.weight" if shared else "source_embedding.weight"].shape[0]
        vt = f["embedding.weight" if shared else "target_embedding.weight"].shape[0]
        model = Seq2SeqTransformer(vs, vt, int(c["d_model"]), int(c["heads"]), int(c["layers"]),
                                   int(c["feed_forward"]), 0.0, c["norm"] == "pre", c["positions"] == "learned",
                                   int(c["max_positions"]), shared)
        stored = {k for k in f.keys() if isinstance(f[k], h5py.Dataset)}  # the model's tensors
        if stored != set(model.state_dict()):
            raise SystemExit(f"checkpoint and PyTorch model differ in names: only in the checkpoint "
                             f"{sorted(stored - set(model.state_dict()))}, only in PyTorch {sorted(set(model.state_dict()) - stored)}")
        state = {name: torch.from_numpy(np.asarray(f[name])) for name in model.state_dict()}
    model.load_state_dict(state, strict=True)
    model.eval()
    worst = 0.0
    with torch.no_grad():
        for s in saved["sentences"]:
            out = s["output"] + ([EOS] if s["finished"] else [])
            logits = model(torch.tensor([s["source"]]), torch.tensor([[BOS] + out[:-1]])).double()
            lp = logits.log_softmax(-1)[0, torch.arange(len(out)), torch.tensor(out)].sum().item()
            worst = max(worst, abs(lp - s["log_probability"]))
            print(f"{s['reference']}: repro {s['log_probability']:.5f}  pytorch {lp:.5f}")
    print(f"{len(saved['sentences'])} sentences, {len(state)} tensors: largest |Δ log p| = {worst:.2e}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--steps", type=int, default=20)
    s.add_argument("--batch", type=int, default=64)
    s.add_argument("--length", type=int, default=30)
    s.add_argument("--d-model", type=int, default=128)
    s.add_argument("--heads", type=int, default=4)
    s.add_argument("--layers", type=int, default=3)
    s.add_argument("--ff", type=int, default=512)
    s.add_argument("--vocab", type=int, default=8000)
    d = sub.add_parser("decode-speed")
    d.add_argument("--sentences", type=int, default=64)
    d.add_argument("--length", type=int, default=30)
    d.add_argument("--beam", type=int, default=4)
    for name, default in [("--d-model", 128), ("--heads", 4), ("--layers", 3), ("--ff", 512), ("--vocab", 8000)]:
        d.add_argument(name, type=int, default=default)
    k = sub.add_parser("check")
    k.add_argument("run")
    a = p.parse_args()
    {"speed": speed, "decode-speed": decode_speed, "check": lambda a: check(a.run)}[a.cmd](a)


if __name__ == "__main__":
    main()
