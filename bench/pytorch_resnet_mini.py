"""The resnet-mini recipe end to end in PyTorch, to stand beside `repro run resnet-mini`
(time and test accuracy, same machine, same data files). Not a dependency of repro:

    /root/venv-torch/bin/python bench/pytorch_resnet_mini.py [--seeds 3] [--threads 2]

ResNet-20 (option A, the model of bench/pytorch_resnet.py, with He-normal conv weights) on
Debian's Fashion-MNIST,
normalised by the training set's mean and sd; 2-pixel pad + random 28x28 crop + horizontal
flip; SGD 0.1, momentum 0.9, weight decay 1e-4, batch 128 (last partial batch dropped: 468
steps), cosine schedule over the epoch; test accuracy on the 10k test images in eval mode.
Prints one JSON line per seed; `seconds` counts everything from reading the files to the
test accuracy, as repro's "done after" line plus its evaluation does.
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from pytorch_resnet import ResNet20

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(f"{DATA}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def raw():
    """Debian's Fashion-MNIST as tensors: train images (pixels in 0...1) and labels, test ones."""
    x = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).astype(np.float32) / 255).view(-1, 1, 28, 28)
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    tx = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16).astype(np.float32) / 255).view(-1, 1, 28, 28)
    ty = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    return x, y, tx, ty


def load():
    x, y, tx, ty = raw()
    mean, sd = x.mean(), x.std()
    return (x - mean) / sd, y, (tx - mean) / sd, ty


def augment(x, pad=2):
    """Random crop of the zero-padded batch, then a horizontal flip of half the images."""
    n, _, h, w = x.shape
    p = F.pad(x, (pad, pad, pad, pad))
    oy, ox = torch.randint(0, 2 * pad + 1, (n,)), torch.randint(0, 2 * pad + 1, (n,))
    out = torch.stack([p[i, :, oy[i]:oy[i] + h, ox[i]:ox[i] + w] for i in range(n)])
    flip = torch.rand(n) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def run(seed, epochs, batch=128):
    start = time.perf_counter()
    torch.manual_seed(seed)
    x, y, tx, ty = load()
    model = ResNet20(1)
    for m in model.modules():  # He init for every conv, as the paper and repro's plugin do
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    steps_per_epoch = len(x) // batch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for s in range(steps_per_epoch):
            i = order[s * batch:(s + 1) * batch]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(augment(x[i])), y[i]).backward()
            opt.step()
            sched.step()
    train_seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        correct = sum((model(tx[j:j + 1000]).argmax(1) == ty[j:j + 1000]).sum().item()
                      for j in range(0, len(tx), 1000))
    return {"bench": "pytorch-resnet-mini", "seed": seed, "epochs": epochs,
            "threads": torch.get_num_threads(), "test_accuracy": correct / len(tx),
            "train_seconds": round(train_seconds, 1), "seconds": round(time.perf_counter() - start, 1),
            "note": f"torch {torch.__version__}"}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        print(json.dumps(run(seed, a.epochs)), flush=True)
