#!/usr/bin/python3
"""Reads a repro checkpoint with h5py, checks its layout, and prints it as JSON.

    /usr/bin/python3 scripts/check_checkpoint.py artifacts/<experiment>/<run>/checkpoint.h5

Output (one JSON object):
    {"attrs": {root attributes},
     "datasets": {path: [shape, sum, first value, dtype]},
     "groups": {"optimizer": {attrs}, "progress": {attrs}, "task": {attrs}},
     "strings": {path: text}}   (the task's strings, task/strings/<name>)
Float sums are float64 sums of the values; integer datasets give sum and first value as exact
decimal strings (uint64 RNG states do not fit a JSON double). An empty dataset's first value
is null.

Exit status: 0 valid; 1 not a valid repro checkpoint (the reason on stderr); 3 h5py or numpy
missing for this Python (run scripts/setup, which installs python3-h5py).
This is how the tests prove that a checkpoint is plain HDF5 that PyTorch users can read.
"""
import json
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"check_checkpoint: {e} for {sys.executable}; run scripts/setup (it installs python3-h5py)",
          file=sys.stderr)
    sys.exit(3)

MAGIC = "repro-checkpoint"
SUPPORTED_VERSION = 2
RESERVED = ("optimizer", "rng", "task", "progress")


def fail(path, why):
    print(f"check_checkpoint: {path}: {why}", file=sys.stderr)
    sys.exit(1)


def plain(v):
    """An attribute value as JSON: str, int or float."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.tolist()]
    return v


def summary(ds):
    a = ds[()]
    a = np.asarray(a)
    shape = list(a.shape)
    flat = a.reshape(-1)
    if a.dtype.kind == "f":
        total = float(flat.astype(np.float64).sum())
        first = float(flat[0]) if flat.size else None
    elif a.dtype.kind in "iu":
        total = str(sum(int(x) for x in flat))
        first = str(int(flat[0])) if flat.size else None
    else:
        total, first = None, None
    return [shape, total, first, str(a.dtype)]


def main():
    if len(sys.argv) != 2:
        print("usage: check_checkpoint.py CHECKPOINT.h5", file=sys.stderr)
        sys.exit(2)
    path = sys.argv[1]
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        fail(path, f"not a readable HDF5 file: {e}")
    with f:
        attrs = {k: plain(v) for k, v in f.attrs.items()}
        if attrs.get("format") != MAGIC:
            fail(path, f"format attribute is {attrs.get('format')!r}, expected {MAGIC!r}")
        version = f.attrs.get("format_version")
        if not isinstance(version, np.integer) or not 1 <= int(version) <= SUPPORTED_VERSION:
            fail(path, f"format_version is {version!r}, expected an int in 1...{SUPPORTED_VERSION}")
        for key in ("plugin", "plugin_version", "experiment", "config", "created"):
            if not isinstance(f.attrs.get(key), str):
                fail(path, f"root attribute {key!r} is missing or not a string")
        json.loads(attrs["config"])

        datasets = {}
        strings = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                datasets[name] = summary(obj)
                if f[name].shape != obj.shape:  # the state_dict name itself is the key
                    fail(path, f"f[{name!r}] does not find the dataset")
                top = name.split("/", 1)[0]
                kind = obj.dtype
                if top not in RESERVED and kind != np.float32:
                    fail(path, f"model tensor {name!r} is {kind}, expected float32")
                if top == "optimizer" and kind != np.float32:
                    fail(path, f"optimizer tensor {name!r} is {kind}, expected float32")
                if top == "rng" and (kind != np.uint64 or obj.shape != (2,)):
                    fail(path, f"RNG state {name!r} is {kind} {obj.shape}, expected uint64 (2,)")
                if top == "task":
                    if name.startswith("task/strings/"):
                        if kind.kind != "S" or obj.shape != ():
                            fail(path, f"task string {name!r} is {kind} {obj.shape}, expected a scalar string")
                        strings[name] = obj[()].decode("utf-8")
                    elif not name.startswith("task/tensors/") or kind != np.float32:
                        fail(path, f"task dataset {name!r} is {kind}, expected float32 under task/tensors/")
                if name in ("progress/step", "progress/epoch") and (kind != np.int64 or obj.shape != ()):
                    fail(path, f"{name!r} is {kind} {obj.shape}, expected an int64 scalar")

        f.visititems(visit)
        for name in ("progress/step", "progress/epoch"):
            if name not in datasets:
                fail(path, f"{name!r} is missing")
        groups = {g: {k: plain(v) for k, v in f[g].attrs.items()}
                  for g in ("optimizer", "progress", "task") if g in f}
    print(json.dumps({"attrs": attrs, "datasets": datasets, "groups": groups, "strings": strings},
                     sort_keys=True))


if __name__ == "__main__":
    main()
