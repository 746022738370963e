"""DDPM training throughput in PyTorch (Ho, Jain, Abbeel 2020, arXiv:2006.11239), to stand
beside `repro bench ddpm-mini`. Not a dependency of repro:

    /root/venv-torch/bin/python bench/pytorch_ddpm.py [--steps 10] [--threads 2]

The U-Net is scripts/golden/unet.py's, the PyTorch twin of Sources/ReproKit/NN/Models/UNet.swift,
at the ddpm-mini card's sizes: base 32 channels, channel_mult [1, 2, 2], 1 residual block per
level, attention at 8x8 (and in the middle) with 1 head, GroupNorm of 8 groups, SiLU, dropout
0.1. One training step is the card's recipe: a batch of 64 images of 1x32x32 (random values in
[-1, 1]: the step's work does not depend on them), timesteps uniform in 0..<1000, ε ~ N(0, I),
x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε with the linear β from 1e-4 to 0.02, L_simple = mean (ε − ε_θ)²,
backward, the global gradient norm clipped at 1, Adam 2e-4, and the EMA of the weights (0.999).
3 warm-up steps, then `--steps` timed ones, as `repro bench` does; prints one JSON line with
training images/s and the best single step's rate.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "golden"))
from unet import UNet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = UNet(image_channels=1, image_size=32, base_channels=32, channel_multipliers=[1, 2, 2],
                 res_blocks=1, attention_resolutions=[8], groups=8, heads=1, dropout=0.1)
    ema = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - betas, 0).float()
    x0 = torch.rand(a.batch, 1, 32, 32) * 2 - 1
    model.train()

    def step():
        t = torch.randint(0, 1000, (a.batch,))
        eps = torch.randn_like(x0)
        ab = alpha_bar[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(xt, t), eps)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(ema, [p.detach() for p in model.parameters()], 1 - 0.999)

    for _ in range(3):
        step()
    best = 0.0
    start = time.perf_counter()
    for _ in range(a.steps):
        s = time.perf_counter()
        step()
        best = max(best, a.batch / (time.perf_counter() - s))
    seconds = time.perf_counter() - start
    print(json.dumps({"bench": "pytorch-ddpm-mini", "case": "train_step", "threads": torch.get_num_threads(),
                      "itemsPerSecond": round(a.steps * a.batch / seconds, 1), "bestStep": round(best, 1),
                      "seconds": round(seconds / a.steps, 4),
                      "note": f"torch {torch.__version__}, {a.steps} steps of {a.batch} images"}), flush=True)


if __name__ == "__main__":
    main()
