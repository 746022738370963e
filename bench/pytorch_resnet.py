"""ResNet-20 (CIFAR family, option A shortcuts) training throughput in PyTorch, for
`repro bench resnet-mini` to stand beside. Not a dependency of repro: run it with a
PyTorch install, e.g.

    python3 -m venv /root/venv-torch && /root/venv-torch/bin/pip install torch==2.13.0
    /root/venv-torch/bin/python bench/pytorch_resnet.py

Prints one JSON line per case in the format of `repro bench`: images/s of forward,
backward and an SGD step at batch 128, on 28x28x1 and 32x32x3 inputs, at 1 and 2 threads.
"""
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.pad = (out - inp) // 2
        self.stride = stride

    def forward(self, x):
        f = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        s = x[:, :, ::self.stride, ::self.stride] if self.stride != 1 else x
        if self.pad:
            s = F.pad(s, (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(f + s)


class ResNet20(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers = []
        for inp, out, stride in [(16, 16, 1), (16, 32, 2), (32, 64, 2)]:
            for i in range(3):
                layers.append(Block(inp if i == 0 else out, out, stride if i == 0 else 1))
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


def bench(channels, size, threads, steps=20, batch=128):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = ResNet20(channels)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    best = 0.0  # the fastest single step, as repro's bench notes it (steadier on a shared machine)
    t0 = time.perf_counter()
    for _ in range(steps):
        s0 = time.perf_counter()
        step()
        best = max(best, batch / (time.perf_counter() - s0))
    seconds = time.perf_counter() - t0
    return {"bench": "pytorch-resnet20", "case": "train_step", "shape": f"{size}x{size}x{channels}",
            "threads": threads, "seconds": seconds / steps, "itemsPerSecond": batch * steps / seconds,
            "note": f"torch {torch.__version__}, best step {round(best)}/s"}


if __name__ == "__main__":
    for channels, size in [(1, 28), (3, 32)]:
        for threads in [1, 2]:
            print(json.dumps(bench(channels, size, threads), sort_keys=True), flush=True)
