"""Golden values for the Fréchet distance (FID's formula, Heusel et al. 2017, arXiv:1706.08500),
computed by numpy and scipy the way pytorch-fid does.

What this is
    A one-off generator of `Tests/Fixtures/fid_golden.json`, read by
    Tests/ReproKitTests/FrechetDistanceTests.swift. Two fixed sets of 16 features (256 and 192
    examples) that differ in mean and covariance (the second is a linear map of other samples,
    so its covariance has a different shape, not just a different scale), their means and
    covariances (numpy.cov, N − 1), and
        FID = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrtm(S1 S2))
    with scipy.linalg.sqrtm, the real part taken, exactly as pytorch-fid's
    calculate_frechet_distance. The Swift tests never run Python; repro never depends on scipy.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/fid.py      # needs numpy and scipy

Numerics
    The features are rounded to float32 (what repro's tensors hold) and stored exactly (9
    significant digits); everything after that is float64.

Format
    {"generator": "numpy <v>, scipy <v>", "a": T [256, 16], "b": T [192, 16],
     "mean_a", "mean_b": [16], "cov_a", "cov_b": T [16, 16], "trace_sqrt": float, "fid": float}
    T = {"shape": [...], "data": [flat row-major values]}.
"""
import json
import os

import numpy as np
import scipy
from scipy import linalg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
D = 16


def tensor(x, digits=17):
    return {"shape": list(x.shape), "data": [float(f"{v:.{digits}g}") for v in np.asarray(x).reshape(-1).tolist()]}


def main():
    rng = np.random.default_rng(2020)
    a = rng.normal(0.0, 1.0, size=(256, D)).astype(np.float32)
    mix = rng.normal(0.0, 0.6, size=(D, D))
    b = (rng.normal(0.0, 1.0, size=(192, D)) @ mix + rng.normal(0.3, 0.5, size=D)).astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    mu1, mu2 = a64.mean(axis=0), b64.mean(axis=0)
    s1, s2 = np.cov(a64, rowvar=False), np.cov(b64, rowvar=False)
    covmean = np.real(linalg.sqrtm(s1.dot(s2)))
    diff = mu1 - mu2
    fid = diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    out = {"generator": f"numpy {np.__version__}, scipy {scipy.__version__}",
           "a": tensor(a, 9), "b": tensor(b, 9), "mean_a": mu1.tolist(), "mean_b": mu2.tolist(),
           "cov_a": tensor(s1), "cov_b": tensor(s2), "trace_sqrt": float(np.trace(covmean)), "fid": float(fid)}
    path = os.path.join(ROOT, "Tests", "Fixtures", "fid_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes); fid {fid:.6f}, trace of sqrtm {np.trace(covmean):.6f}")


if __name__ == "__main__":
    main()
