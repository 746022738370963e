"""The vit-mini recipe in PyTorch, to stand beside `repro run vit-mini` / `repro bench vit-mini`
(same machine, same data files), and a check that a repro checkpoint loads by name into the same
PyTorch model and gives the same logits. Not a dependency of repro:

    /root/venv-torch/bin/python bench/pytorch_vit.py train [--seeds 1] [--epochs 3] [--patch 7] [--threads 2]
    /root/venv-torch/bin/python bench/pytorch_vit.py speed [--steps 30] [--patch 7] [--threads 2]
    /root/venv-torch/bin/python bench/pytorch_vit.py check artifacts/vit-mini/<run>

The model is Sources/ReproKit/NN/Models/VisionTransformer.swift written with torch.nn: a P×P stride-P conv
(`patch_embedding`), `class_token`, `position_embedding`, nn.TransformerEncoder of pre-norm
GELU layers with LayerNorm eps 1e-6 (`encoder.layers.N.*`, `encoder.norm`), stochastic depth
rising linearly to `drop_path` (0 in vit-mini, as in the ViT paper), and `head` on the class token. The recipe is the card's vit-mini:
Debian's Fashion-MNIST normalised by the training set's mean and sd, 2-pixel pad + random crop +
horizontal flip, AdamW (lr 3e-3, betas 0.9, 0.999, weight decay 0.05 on matrices only), batch 128 (last partial
batch dropped), linear warm-up over 10% of the steps then cosine to 0, gradient norm clipped at 1.

`check` reads the run's checkpoint.h5 (h5py), loads every model tensor by its name, runs the first
test images of `test_logits.json` (written by the run) and prints the largest absolute difference.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from pytorch_resnet_mini import raw


class Block(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer (pre-norm) with stochastic depth on both residual branches."""

    def __init__(self, width, heads, mlp, dropout, drop_path):
        super().__init__(width, heads, mlp, dropout, activation="gelu", layer_norm_eps=1e-6,
                         batch_first=True, norm_first=True)
        self.drop_path = drop_path

    def branch(self, y):
        if not self.training or self.drop_path == 0:
            return y
        keep = (torch.rand(y.shape[0], 1, 1) >= self.drop_path).to(y.dtype)
        return y * keep / (1 - self.drop_path)

    def forward(self, x, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = x + self.branch(self._sa_block(self.norm1(x), None, None))
        return x + self.branch(self._ff_block(self.norm2(x)))


class ViT(nn.Module):
    def __init__(self, image=28, channels=1, classes=10, patch=4, width=64, depth=6, heads=4, mlp=128,
                 dropout=0.0, drop_path=0.0):
        super().__init__()
        n = (image // patch) ** 2
        self.patch_embedding = nn.Conv2d(channels, width, patch, stride=patch)
        nn.init.normal_(self.patch_embedding.weight, std=math.sqrt(1 / (channels * patch * patch)))
        nn.init.zeros_(self.patch_embedding.bias)
        self.class_token = nn.Parameter(torch.zeros(1, 1, width))
        self.position_embedding = nn.Parameter(torch.randn(1, n + 1, width) * 0.02)
        rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList(Block(width, heads, mlp, dropout, r) for r in rates)
        self.encoder.norm = nn.LayerNorm(width, eps=1e-6)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, classes)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x):
        p = self.patch_embedding(x).flatten(2).transpose(1, 2)              # [B, N, D]
        z = torch.cat([self.class_token.expand(x.shape[0], -1, -1), p], 1)  # Eq. 1
        z = self.dropout(z + self.position_embedding)
        for layer in self.encoder.layers:                                   # Eq. 2-3
            z = layer(z)
        return self.head(self.encoder.norm(z)[:, 0])                        # Eq. 4


def load(train_images=60000):
    """Normalised by the mean and population sd of the first `train_images` training images
    (the ones a run trained on), as repro does."""
    x, y, tx, ty = raw()
    x, y = x[:train_images], y[:train_images]
    mean, sd = x.mean(), x.std(unbiased=False)
    global BLACK
    BLACK = float(-mean / sd)
    return (x - mean) / sd, y, (tx - mean) / sd, ty


BLACK = 0.0  # a zero pixel after normalisation: the crop's padding, as repro pads


def augment(x, pad=2):
    """Random crop of the padded batch (padded with black in pixel space), then flip half."""
    n, _, h, w = x.shape
    p = F.pad(x, (pad, pad, pad, pad), value=BLACK)
    oy, ox = torch.randint(0, 2 * pad + 1, (n,)), torch.randint(0, 2 * pad + 1, (n,))
    out = torch.stack([p[i, :, oy[i]:oy[i] + h, ox[i]:ox[i] + w] for i in range(n)])
    flip = torch.rand(n) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def optimizer(model, lr=3e-3, wd=0.05):
    decay = [p for p in model.parameters() if p.dim() > 1]
    rest = [p for p in model.parameters() if p.dim() <= 1]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0}], lr=lr)


def lr_at(step, total, lr=3e-3, warmup=0.1):
    w = round(warmup * total)
    base = 0.5 * lr * (1 + math.cos(math.pi * step / total))
    return base * (step + 1) / w if step < w else base


def train_step(model, opt, xb, yb, step, total):
    for g in opt.param_groups:
        g["lr"] = lr_at(step, total)
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(xb), yb).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def train(seed, epochs, patch, batch=128):
    start = time.perf_counter()
    torch.manual_seed(seed)
    x, y, tx, ty = load()
    model = ViT(patch=patch)
    opt = optimizer(model)
    per_epoch = len(x) // batch
    total = epochs * per_epoch
    model.train()
    for e in range(epochs):
        order = torch.randperm(len(x))
        for s in range(per_epoch):
            i = order[s * batch:(s + 1) * batch]
            train_step(model, opt, augment(x[i]), y[i], e * per_epoch + s, total)
    train_seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        correct = sum((model(tx[j:j + 500]).argmax(1) == ty[j:j + 500]).sum().item() for j in range(0, len(tx), 500))
    return {"bench": "pytorch-vit-mini", "seed": seed, "epochs": epochs, "threads": torch.get_num_threads(),
            "test_accuracy": correct / len(tx), "train_seconds": round(train_seconds, 1),
            "patch": patch, "images_per_second": round(total * batch / train_seconds, 1),
            "seconds": round(time.perf_counter() - start, 1), "note": f"torch {torch.__version__}"}


def speed(steps, patch, batch=128, warm=5):
    """Training images/s on one fixed random batch of Fashion-MNIST's shape, without data
    gathering or augmentation; `repro bench vit-mini` times real augmented batches, so the
    difference favours PyTorch."""
    torch.manual_seed(0)
    model = ViT(patch=patch)
    opt = optimizer(model)
    model.train()
    xb, yb = torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    for s in range(warm):
        train_step(model, opt, xb, yb, s, steps + warm)
    start = time.perf_counter()
    for s in range(steps):
        train_step(model, opt, xb, yb, warm + s, steps + warm)
    seconds = time.perf_counter() - start
    return {"bench": "pytorch-vit-mini", "threads": torch.get_num_threads(), "batch": batch, "steps": steps,
            "patch": patch, "images_per_second": round(steps * batch / seconds, 1), "note": f"torch {torch.__version__}"}


def check(run):
    import h5py
    with open(os.path.join(run, "config.json")) as f:
        c = json.load(f)
    c_all = c["config"]  # every value stored as a string
    c = {k: int(c_all[k]) for k in ("patch_size", "width", "depth", "heads", "mlp")}  # stored as strings
    model = ViT(patch=c["patch_size"], width=c["width"], depth=c["depth"], heads=c["heads"], mlp=c["mlp"])
    state = {}
    with h5py.File(os.path.join(run, "checkpoint.h5"), "r") as f:
        for name in model.state_dict():
            state[name] = torch.from_numpy(np.asarray(f[name]))
    model.load_state_dict(state, strict=True)
    model.eval()
    with open(os.path.join(run, "test_logits.json")) as f:
        saved = json.load(f)
    n = int(c_all.get("train_subset", "0")) or 60000
    n = int(float(c_all.get("train_fraction", "1")) * n + 0.5)  # Swift's .rounded()
    if c_all.get("dataset", "fashion-mnist") != "fashion-mnist":
        raise SystemExit(f"check reads Fashion-MNIST; this run trained on {c_all['dataset']}")
    _, _, tx, _ = load(train_images=n)
    with torch.no_grad():
        logits = model(tx[saved["indices"]])
    diff = (logits - torch.tensor(saved["logits"])).abs().max().item()
    return {"check": run, "tensors": len(state), "images": len(saved["indices"]), "max_abs_difference": diff}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "speed", "check"])
    ap.add_argument("run", nargs="?", help="a repro run folder (check)")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--patch", type=int, default=7)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.mode == "check":
        print(json.dumps(check(a.run)))
    elif a.mode == "speed":
        print(json.dumps(speed(a.steps, a.patch)))
    else:
        for seed in range(a.first_seed, a.first_seed + a.seeds):
            print(json.dumps(train(seed, a.epochs, a.patch)), flush=True)
