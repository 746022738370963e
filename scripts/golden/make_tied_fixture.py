"""Generate golden values for a model with tied weights (Vaswani et al. 2017, §3.4: the
embedding and the pre-softmax projection share one matrix) from PyTorch.

What this is
    A one-off generator of `Tests/Fixtures/golden_tied.json`, read by
    Tests/ReproKitTests/TiedParameterTests.swift. The model is nn.Embedding(V, D)
    followed by nn.Linear(D, V) whose weight IS the embedding's (`out.weight =
    embed.weight`), trained with SGD(lr 0.1, momentum 0.9) on cross-entropy for two
    steps. torch.optim sees the shared tensor once (model.parameters() removes
    duplicates), so it is stepped once per step; a framework that lists it under both
    names steps it twice and misses these values. The JSON is committed; the Swift
    tests never run PyTorch.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/make_tied_fixture.py

Format
    {"generator": "torch <version>", "vocab": V, "dim": D, "ids": [...], "targets": [...],
     "lr": 0.1, "momentum": 0.9,
     "named_parameters": names in PyTorch's named_parameters() order,
     "initial": {"weight": T, "bias": T},
     "steps": [{"loss": float, "weight": T, "bias": T}, ...]}   after each SGD step
    T = {"shape": [...], "data": [flat row-major values]}, exact float32 values.

Determinism
    The initial weights come from a formula with exact binary fractions (k/8, k/4),
    which the Swift test computes too, so nothing depends on either side's RNG.
"""

import json
import os

import torch
import torch.nn as nn

OUT_PATH = os.path.join("Tests", "Fixtures", "golden_tied.json")
V, D = 5, 3
IDS = [0, 3, 1, 4, 2, 3]
TARGETS = [1, 2, 4, 0, 3, 1]
LR, MOMENTUM = 0.1, 0.9


def initial_weight():
    """W[i, j] = ((3i + 5j) mod 7 − 3) / 8: eighths, exact in float32."""
    return torch.tensor([[((3 * i + 5 * j) % 7 - 3) / 8 for j in range(D)] for i in range(V)],
                        dtype=torch.float32)


def initial_bias():
    """b[i] = (i mod 3 − 1) / 4."""
    return torch.tensor([(i % 3 - 1) / 4 for i in range(V)], dtype=torch.float32)


class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        self.out = nn.Linear(D, V)
        self.out.weight = self.embed.weight  # the tie: one Parameter in two modules
        with torch.no_grad():
            self.embed.weight.copy_(initial_weight())
            self.out.bias.copy_(initial_bias())

    def forward(self, ids):
        return self.out(self.embed(ids))


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten().tolist()]}


def main():
    torch.set_num_threads(1)
    model = TiedLM()
    assert model.out.weight is model.embed.weight
    names = [n for n, _ in model.named_parameters()]
    initial = {"weight": tensor(model.embed.weight), "bias": tensor(model.out.bias)}
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    ids, targets = torch.tensor(IDS), torch.tensor(TARGETS)
    steps = []
    for _ in range(2):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(ids), targets)
        loss.backward()
        opt.step()
        steps.append({"loss": float(loss.item()), "weight": tensor(model.embed.weight),
                      "bias": tensor(model.out.bias)})
    out = {"generator": f"torch {torch.__version__}", "vocab": V, "dim": D, "ids": IDS,
           "targets": TARGETS, "lr": LR, "momentum": MOMENTUM, "named_parameters": names,
           "initial": initial, "steps": steps}
    with open(OUT_PATH, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {OUT_PATH}: parameters {names}, losses {[s['loss'] for s in steps]}")


if __name__ == "__main__":
    main()
