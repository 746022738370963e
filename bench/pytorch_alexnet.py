"""The mini AlexNet of Plugins/AlexNet (and Fig. 1's four-layer CNN) training throughput in
PyTorch, for `repro bench alexnet-mini` / `repro bench alexnet-relu` to stand beside. Not a
dependency of repro: run it with a PyTorch install, e.g.

    python3 -m venv /root/venv-torch && /root/venv-torch/bin/pip install torch==2.13.0
    /root/venv-torch/bin/python bench/pytorch_alexnet.py

Prints one JSON line per case in the format of `repro bench`: images/s of forward,
backward and an SGD step at batch 128 on 28x28x1 input, at 1 and 2 threads.
Keep the widths in step with Plugins/AlexNet and Papers/alexnet.toml; compare with
`repro bench alexnet-mini --set batch_size=128` (the card trains at batch 64).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

WIDTHS = [24, 48, 64, 64, 48]
HIDDEN = 384


class MiniAlexNet(nn.Module):
    """conv1-conv5 and fc1-fc3 as in the plugin: LRN after conv1/conv2 (the paper's k=2, n=5,
    alpha=1e-4, beta=0.75; PyTorch divides alpha by n, hence 5e-4), 3/2 max-pooling, dropout
    0.5 on the hidden FC outputs."""

    def __init__(self, widths=WIDTHS, hidden=HIDDEN, size=28):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 5, padding=2)
        self.conv2 = nn.Conv2d(widths[0], widths[1], 5, padding=2)
        self.conv3 = nn.Conv2d(widths[1], widths[2], 3, padding=1)
        self.conv4 = nn.Conv2d(widths[2], widths[3], 3, padding=1)
        self.conv5 = nn.Conv2d(widths[3], widths[4], 3, padding=1)
        self.lrn = nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2)
        side = size
        for _ in range(3):
            side = (side - 3) // 2 + 1
        self.fc1 = nn.Linear(widths[4] * side * side, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 10)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        h = F.max_pool2d(self.lrn(F.relu(self.conv1(x))), 3, 2)
        h = F.max_pool2d(self.lrn(F.relu(self.conv2(h))), 3, 2)
        h = F.relu(self.conv3(h))
        h = F.relu(self.conv4(h))
        h = F.max_pool2d(F.relu(self.conv5(h)), 3, 2).flatten(1)
        h = self.drop(F.relu(self.fc1(h)))
        h = self.drop(F.relu(self.fc2(h)))
        return self.fc3(h)


class FourLayerCNN(nn.Module):
    """Fig. 1: conv16-5x5, pool 2, conv32-5x5, pool 2, fc128, fc10; ReLU or tanh."""

    def __init__(self, act, widths=(16, 32), hidden=128):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 5, padding=2)
        self.conv2 = nn.Conv2d(widths[0], widths[1], 5, padding=2)
        self.fc1 = nn.Linear(widths[1] * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, 10)
        self.act = torch.relu if act == "relu" else torch.tanh

    def forward(self, x):
        h = F.max_pool2d(self.act(self.conv1(x)), 2)
        h = F.max_pool2d(self.act(self.conv2(h)), 2)
        return self.fc2(self.act(self.fc1(h.flatten(1))))


def bench(name, make, weight_decay, threads, steps=20, batch=128):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=weight_decay)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - t0
    return {"bench": name, "case": "train_step", "shape": "28x28x1", "threads": threads,
            "seconds": seconds / steps, "itemsPerSecond": batch * steps / seconds,
            "note": f"torch {torch.__version__}, batch {batch}"}


if __name__ == "__main__":
    cases = [("pytorch-alexnet-mini", MiniAlexNet, 5e-4),
             ("pytorch-alexnet-fig1-relu", lambda: FourLayerCNN("relu"), 0.0)]
    if "--mini-only" in sys.argv:
        cases = cases[:1]
    for name, make, wd in cases:
        for threads in [1, 2]:
            print(json.dumps(bench(name, make, wd, threads), sort_keys=True), flush=True)
