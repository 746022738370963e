"""Golden values for the ViT plugin's model (Dosovitskiy et al. 2021, arXiv:2010.11929), computed
by PyTorch.

What this is
    A one-off generator of `Tests/Fixtures/vit_golden.json`, read by
    Tests/ReproKitTests/ViTPluginTests.swift. The model is bench/pytorch_vit.py's `ViT` (the same
    state-dict names as Sources/ReproKit/NN/Models/VisionTransformer.swift) at toy sizes: 28×28×1 images, patch
    7 (16 patches + the class token), width 16, 2 pre-norm blocks of 4 heads, MLP 32, 10 classes.
    It stores the parameters, a batch of 3 images and labels, the logits, the mean cross-entropy,
    and that loss's gradient with respect to every parameter. The Swift tests never run PyTorch.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/vit.py

Numerics
    Parameters from PyTorch's init (fixed seed), except the head and class token (zero at init,
    which would leave most gradients zero) drawn from N(0, 0.5²); rounded to float32 and stored
    exactly; the forward and backward run in float64 from them; results stored as float32.
    Dropout and stochastic depth are 0.

Format
    {"generator": "torch <version>", "sizes": {...}, "images": T [3, 1, 28, 28], "labels": [3],
     "parameters": [{"name", "shape", "data"}] in named_parameters() order,
     "logits": T [3, 10], "loss": float, "grads": {name: T}}
    T = {"shape": [...], "data": [flat row-major values]}.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from pytorch_vit import ViT  # noqa: E402

SIZES = {"patch_size": 7, "width": 16, "depth": 2, "heads": 4, "mlp": 32}


def tensor(t, digits=7):
    return {"shape": list(t.shape), "data": [float(f"{v:.{digits}g}") for v in t.reshape(-1).tolist()]}


def main():
    torch.manual_seed(0)
    model = ViT(patch=7, width=16, depth=2, heads=4, mlp=32, dropout=0.0, drop_path=0.0)
    with torch.no_grad():
        for p in (model.head.weight, model.head.bias, model.class_token):
            p.normal_(0, 0.5)
    params = [{"name": n, "shape": list(p.shape), "data": p.detach().float().reshape(-1).tolist()}
              for n, p in model.named_parameters()]
    model = model.double().eval()
    images = torch.randn(3, 1, 28, 28).float()
    labels = [3, 0, 7]
    logits = model(images.double())
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    out = {"generator": f"torch {torch.__version__}", "sizes": SIZES, "images": tensor(images, 9),
           "labels": labels, "parameters": params, "logits": tensor(logits.detach()), "loss": loss.item(),
           "grads": {n: tensor(p.grad) for n, p in model.named_parameters()}}
    path = os.path.join(ROOT, "Tests", "Fixtures", "vit_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
