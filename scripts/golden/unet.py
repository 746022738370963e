"""Golden values for the DDPM U-Net (Ho, Jain, Abbeel 2020, arXiv:2006.11239), computed by PyTorch.

What this is
    A one-off generator of `Tests/Fixtures/unet_golden.json`, read by
    Tests/ReproKitTests/UNetTests.swift, and the PyTorch twin of
    Sources/ReproKit/NN/Models/UNet.swift: the same modules with the same state-dict names
    (those of pesser/pytorch_diffusion, the PyTorch port of the authors' TensorFlow code, with
    attention as nn.MultiheadAttention). At toy sizes: 1-channel 8×8 images, base width 4,
    channel multipliers (1, 2), one residual block per level, attention at 4×4 (and in the
    middle) with 2 heads, GroupNorm of 2 groups. It stores the parameters, 2 images, their
    timesteps, a noise target, the output, the loss mean((out − noise)²) (DDPM's L_simple) and
    the loss's gradient with respect to every parameter. The Swift tests never run PyTorch.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/unet.py

Numerics
    Parameters from PyTorch's init (fixed seed), GroupNorm's affine drawn from N(1, 0.2²) and
    N(0, 0.2²) so that they matter; rounded to float32 and stored exactly; the forward and
    backward run in float64 from them; results stored as float32. Dropout is 0.

Format
    {"generator": "torch <version>", "config": {...}, "images": T [2, 1, 8, 8], "timesteps": [2],
     "noise": T, "parameters": [{"name", "shape", "data"}] in named_parameters() order,
     "output": T [2, 1, 8, 8], "loss": float, "grads": {name: T}}
    T = {"shape": [...], "data": [flat row-major values]}.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = {"image_channels": 1, "image_size": 8, "base_channels": 4, "channel_multipliers": [1, 2],
          "res_blocks": 1, "attention_resolutions": [4], "groups": 2, "heads": 2}


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) / (half - 1) * torch.arange(half, dtype=torch.float64))
    angles = t.to(torch.float64)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tch, groups, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb_proj = nn.Linear(tch, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h


class AttnBlock(nn.Module):
    def __init__(self, channels, heads, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)

    def forward(self, x):
        b, c, h, w = x.shape
        tokens = self.norm(x).reshape(b, c, h * w).permute(0, 2, 1)
        y, _ = self.attn(tokens, tokens, tokens, need_weights=False)
        return x + y.permute(0, 2, 1).reshape(b, c, h, w)


class Resample(nn.Module):
    def __init__(self, channels, up):
        super().__init__()
        self.up = up
        self.conv = nn.Conv2d(channels, channels, 3, stride=1 if up else 2, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest") if self.up else x)


class UNet(nn.Module):
    def __init__(self, image_channels, image_size, base_channels, channel_multipliers, res_blocks,
                 attention_resolutions, groups, heads, dropout=0.0):
        super().__init__()
        ch, tch, levels = base_channels, 4 * base_channels, len(channel_multipliers)
        width = [ch * m for m in channel_multipliers]
        self.base_channels = ch
        self.temb = nn.Module()
        self.temb.dense = nn.ModuleList([nn.Linear(ch, tch), nn.Linear(tch, tch)])
        self.conv_in = nn.Conv2d(image_channels, ch, 3, padding=1)

        def attention(n, c, size):
            return nn.ModuleList([AttnBlock(c, heads, groups) for _ in range(n)] if size in attention_resolutions else [])

        skips, channels, size = [ch], ch, image_size
        self.down = nn.ModuleList()
        for i in range(levels):
            level = nn.Module()
            level.block = nn.ModuleList()
            for j in range(res_blocks):
                level.block.append(ResBlock(channels if j == 0 else width[i], width[i], tch, groups, dropout))
            channels = width[i]
            skips += [channels] * res_blocks
            level.attn = attention(res_blocks, channels, size)
            if i != levels - 1:
                level.downsample = Resample(channels, up=False)
                skips.append(channels)
                size //= 2
            self.down.append(level)
        self.mid = nn.Module()
        self.mid.block_1 = ResBlock(channels, channels, tch, groups, dropout)
        self.mid.attn_1 = AttnBlock(channels, heads, groups)
        self.mid.block_2 = ResBlock(channels, channels, tch, groups, dropout)
        ups = []
        for i in reversed(range(levels)):
            level = nn.Module()
            level.block = nn.ModuleList()
            for _ in range(res_blocks + 1):
                level.block.append(ResBlock(channels + skips.pop(), width[i], tch, groups, dropout))
                channels = width[i]
            level.attn = attention(res_blocks + 1, channels, size)
            if i != 0:
                level.upsample = Resample(channels, up=True)
                size *= 2
            ups.insert(0, level)
        self.up = nn.ModuleList(ups)
        self.norm_out = nn.GroupNorm(groups, channels)
        self.conv_out = nn.Conv2d(channels, image_channels, 3, padding=1)

    def forward(self, x, t):
        e = timestep_embedding(t, self.base_channels).to(x.dtype)
        temb = self.temb.dense[1](F.silu(self.temb.dense[0](e)))
        hs = [self.conv_in(x)]
        for level in self.down:
            for j, block in enumerate(level.block):
                h = block(hs[-1], temb)
                hs.append(level.attn[j](h) if len(level.attn) else h)
            if hasattr(level, "downsample"):
                hs.append(level.downsample(hs[-1]))
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(hs[-1], temb)), temb)
        for level in reversed(self.up):
            for j, block in enumerate(level.block):
                h = block(torch.cat([h, hs.pop()], dim=1), temb)
                h = level.attn[j](h) if len(level.attn) else h
            if hasattr(level, "upsample"):
                h = level.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def tensor(t, digits=7):
    return {"shape": list(t.shape), "data": [float(f"{v:.{digits}g}") for v in t.reshape(-1).tolist()]}


def main():
    torch.manual_seed(0)
    model = UNet(**CONFIG)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm" in name or name.startswith("norm"):
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.2)
    params = [{"name": n, "shape": list(p.shape), "data": [float(f"{v:.9g}") for v in p.detach().float().reshape(-1).tolist()]}
              for n, p in model.named_parameters()]
    model = model.double().eval()
    images = torch.randn(2, 1, 8, 8).float()
    noise = torch.randn(2, 1, 8, 8).float()
    timesteps = [3, 917]
    out = model(images.double(), torch.tensor(timesteps))
    loss = ((out - noise.double()) ** 2).mean()
    loss.backward()
    result = {"generator": f"torch {torch.__version__}", "config": CONFIG, "images": tensor(images, 9),
              "timesteps": timesteps, "noise": tensor(noise, 9), "parameters": params,
              "output": tensor(out.detach()), "loss": loss.item(),
              "grads": {n: tensor(p.grad) for n, p in model.named_parameters()}}
    path = os.path.join(ROOT, "Tests", "Fixtures", "unet_golden.json")
    with open(path, "w") as f:
        json.dump(result, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()
