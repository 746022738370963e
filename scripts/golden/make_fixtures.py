"""Generate golden reference values from PyTorch for the Swift tests.

What this is
    A one-off generator of `Tests/Fixtures/golden.json`: forward outputs,
    backward gradients and optimizer trajectories computed by PyTorch for the
    ops `repro` implements (conv2d, conv_transpose2d, batch/layer/group norm,
    cross-entropy, GELU, softmax, pooling, LRN, MSE, Adam/AdamW/SGD ...).
    The JSON is committed; the Swift tests read the JSON and never PyTorch.
    PyTorch is not a dependency of the project, only of this script.

How to run (from the repository root)
    python3 -m venv /root/venv-torch
    /root/venv-torch/bin/pip install torch==2.13.0 numpy
    /root/venv-torch/bin/python scripts/golden/make_fixtures.py

Format
    {"generator": "torch <version>", "cases": [CASE, ...]}
    CASE = {"name", "op", "attrs", "inputs": {name: T}, "output": T,
            "grad_output": T, "grads": {name: T}, optional extra keys}
    T    = {"shape": [...], "data": [flat row-major values]}
    Every number is the exact float32 value (written as the double it
    converts to). Integer inputs (class targets) are integer-valued floats.
    "grads"[k] = d(sum(output * grad_output)) / d(inputs[k]); for scalar
    losses grad_output has shape [] and data [1.0]. Optimizer cases (adam,
    adamw, sgd_nesterov) have "output" = param after step 3, plus
    "param_after_1" / "param_after_2", and no grad_output / grads.

Determinism
    float32, torch.set_num_threads(1), torch.manual_seed(0) up front, and each
    case reseeds from a CRC32 of its name, so adding or removing a case does
    not change the values of the others.
"""

import json
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

OUT_PATH = os.path.join("Tests", "Fixtures", "golden.json")

torch.set_num_threads(1)
torch.manual_seed(0)
torch.set_default_dtype(torch.float32)

CASES = []


def T(t):
    """Tensor -> {"shape", "data"} with exact float32 values."""
    t = t.detach()
    if t.dtype != torch.float32:
        t = t.to(torch.float64)  # integer targets: exact integer-valued floats
    data = t.reshape(-1).tolist()
    for v in data:
        if not math.isfinite(v):
            raise ValueError("non-finite value in fixture")
    return {"shape": list(t.shape), "data": [float(v) for v in data]}


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))


def randn(*shape, scale=1.0):
    return torch.randn(*shape, dtype=torch.float32) * scale


def uniform(shape, bound):
    """PyTorch's default init for conv / linear: U(-bound, bound)."""
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1) * bound


def add_case(name, op, attrs, inputs, fn, grad_inputs, extra_fn=None):
    """Run fn(**inputs) forward and backward and record a CASE.

    grad_inputs: names of the float inputs that get gradients.
    extra_fn: optional callable(inputs) -> dict of extra tensors to record
    after the forward (e.g. updated running stats).
    """
    leaves = {}
    for k, v in inputs.items():
        v = v.detach().clone()
        if k in grad_inputs:
            v.requires_grad_(True)
        leaves[k] = v
    out = fn(**leaves)
    if out.dim() == 0:
        grad_out = torch.tensor(1.0, dtype=torch.float32)
    else:
        grad_out = torch.randn(out.shape, dtype=torch.float32)
    (out * grad_out).sum().backward()
    case = {
        "name": name,
        "op": op,
        "attrs": attrs,
        "inputs": {k: T(v) for k, v in inputs.items()},
        "output": T(out),
        "grad_output": T(grad_out),
        "grads": {k: T(leaves[k].grad) for k in grad_inputs},
    }
    if extra_fn is not None:
        for k, v in extra_fn(leaves).items():
            case[k] = T(v)
    CASES.append(case)


# ---------------------------------------------------------------- conv2d

def conv2d_case(name, x_shape, out_ch, kernel, stride, padding, dilation, groups, bias=True):
    seed(name)
    n, c, h, w = x_shape
    fan_in = (c // groups) * kernel[0] * kernel[1]
    bound = 1.0 / math.sqrt(fan_in)
    inputs = {"x": randn(*x_shape),
              "weight": uniform((out_ch, c // groups, kernel[0], kernel[1]), bound)}
    if bias:
        inputs["bias"] = uniform((out_ch,), bound)
    attrs = {"stride": list(stride), "padding": list(padding),
             "dilation": list(dilation), "groups": groups}

    def fn(x, weight, bias=None):
        return F.conv2d(x, weight, bias, stride=tuple(stride), padding=tuple(padding),
                        dilation=tuple(dilation), groups=groups)

    add_case(name, "conv2d", attrs, inputs, fn, list(inputs.keys()))


conv2d_case("conv2d_3x3_pad1", (2, 3, 5, 5), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1)
conv2d_case("conv2d_3x3_stride2_pad1", (2, 3, 7, 7), 4, (3, 3), (2, 2), (1, 1), (1, 1), 1)
conv2d_case("conv2d_3x3_dilation2_pad1", (1, 2, 7, 7), 3, (3, 3), (1, 1), (1, 1), (2, 2), 1)
conv2d_case("conv2d_stride2_pad1_groups2", (2, 4, 6, 6), 6, (3, 3), (2, 2), (1, 1), (1, 1), 2)
conv2d_case("conv2d_1x1_stride2_nobias", (2, 3, 6, 6), 5, (1, 1), (2, 2), (0, 0), (1, 1), 1, bias=False)
conv2d_case("conv2d_3x2_stride2x1_pad1x0", (1, 2, 7, 6), 3, (3, 2), (2, 1), (1, 0), (1, 1), 1)
conv2d_case("conv2d_depthwise_3x3_pad1", (2, 4, 5, 5), 4, (3, 3), (1, 1), (1, 1), (1, 1), 4)
conv2d_case("conv2d_5x5_stride3_pad2", (1, 2, 8, 8), 2, (5, 5), (3, 3), (2, 2), (1, 1), 1)

# ---------------------------------------------------------------- conv_transpose2d

def conv_t_case(name, x_shape, out_ch, kernel, stride, padding, output_padding, dilation,
                groups, bias=True):
    seed(name)
    n, c, h, w = x_shape
    # PyTorch's ConvTranspose2d weight is [in_channels, out_channels/groups, kh, kw];
    # its default init uses fan_in computed from weight.size(1) * kh * kw.
    fan_in = (out_ch // groups) * kernel[0] * kernel[1]
    bound = 1.0 / math.sqrt(fan_in)
    inputs = {"x": randn(*x_shape),
              "weight": uniform((c, out_ch // groups, kernel[0], kernel[1]), bound)}
    if bias:
        inputs["bias"] = uniform((out_ch,), bound)
    attrs = {"stride": list(stride), "padding": list(padding),
             "output_padding": list(output_padding), "dilation": list(dilation),
             "groups": groups}

    def fn(x, weight, bias=None):
        return F.conv_transpose2d(x, weight, bias, stride=tuple(stride), padding=tuple(padding),
                                  output_padding=tuple(output_padding), groups=groups,
                                  dilation=tuple(dilation))

    add_case(name, "conv_transpose2d", attrs, inputs, fn, list(inputs.keys()))


conv_t_case("conv_transpose2d_k3_stride2_pad1_outpad1", (2, 3, 4, 4), 2, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1)
conv_t_case("conv_transpose2d_k2_stride1_pad0", (1, 2, 3, 3), 3, (2, 2), (1, 1), (0, 0), (0, 0), (1, 1), 1)
conv_t_case("conv_transpose2d_k4_stride2_pad1_groups2", (1, 4, 3, 3), 6, (4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 2)
conv_t_case("conv_transpose2d_k3x2_stride2x1_dilation2_nobias", (1, 2, 3, 4), 2, (3, 2), (2, 1), (1, 0), (1, 0), (2, 2), 1, bias=False)

# ---------------------------------------------------------------- batch norm

def bn_train_case(name, x_shape):
    seed(name)
    c = x_shape[1]
    eps, momentum = 1e-5, 0.1
    inputs = {"x": randn(*x_shape) * 2 + 0.5,
              "weight": 1 + randn(c, scale=0.5),
              "bias": randn(c, scale=0.5)}
    stats = {"running_mean": torch.zeros(c), "running_var": torch.ones(c)}

    def fn(x, weight, bias):
        return F.batch_norm(x, stats["running_mean"], stats["running_var"], weight, bias,
                            training=True, momentum=momentum, eps=eps)

    add_case(name, "batch_norm_train", {"eps": eps, "momentum": momentum}, inputs, fn,
             ["x", "weight", "bias"], extra_fn=lambda _: dict(stats))


bn_train_case("batch_norm_train_4d", (4, 3, 3, 3))
bn_train_case("batch_norm_train_2d", (8, 5))


def bn_eval_case(name, x_shape):
    seed(name)
    c = x_shape[1]
    eps = 1e-5
    inputs = {"x": randn(*x_shape),
              "weight": 1 + randn(c, scale=0.5),
              "bias": randn(c, scale=0.5),
              "running_mean": randn(c, scale=0.5),
              "running_var": torch.rand(c) * 1.5 + 0.25}

    def fn(x, weight, bias, running_mean, running_var):
        return F.batch_norm(x, running_mean, running_var, weight, bias,
                            training=False, eps=eps)

    add_case(name, "batch_norm_eval", {"eps": eps}, inputs, fn, ["x", "weight", "bias"])


bn_eval_case("batch_norm_eval_4d", (2, 3, 3, 3))
bn_eval_case("batch_norm_eval_2d", (4, 5))

# ---------------------------------------------------------------- layer norm

def ln_case(name, x_shape, normalized_shape):
    seed(name)
    eps = 1e-5
    inputs = {"x": randn(*x_shape) * 1.5 + 0.3,
              "weight": 1 + randn(*normalized_shape, scale=0.5),
              "bias": randn(*normalized_shape, scale=0.5)}

    def fn(x, weight, bias):
        return F.layer_norm(x, tuple(normalized_shape), weight, bias, eps)

    add_case(name, "layer_norm", {"normalized_shape": list(normalized_shape), "eps": eps},
             inputs, fn, ["x", "weight", "bias"])


ln_case("layer_norm_last_dim", (2, 3, 8), [8])
ln_case("layer_norm_last_two_dims", (2, 3, 4), [3, 4])

# ---------------------------------------------------------------- group norm

def gn_case(name, x_shape, groups):
    seed(name)
    c = x_shape[1]
    eps = 1e-5
    inputs = {"x": randn(*x_shape) * 1.5 + 0.3,
              "weight": 1 + randn(c, scale=0.5),
              "bias": randn(c, scale=0.5)}

    def fn(x, weight, bias):
        return F.group_norm(x, groups, weight, bias, eps)

    add_case(name, "group_norm", {"num_groups": groups, "eps": eps}, inputs, fn,
             ["x", "weight", "bias"])


gn_case("group_norm_g2", (2, 4, 3, 3), 2)
gn_case("group_norm_g_eq_c", (2, 4, 3, 3), 4)
gn_case("group_norm_g1", (2, 4, 3, 3), 1)

# ---------------------------------------------------------------- cross entropy

def ce_case(name, n, k, smoothing, ignored=(), scale=1.0):
    seed(name)
    logits = randn(n, k) * scale
    target = torch.randint(0, k, (n,))
    for i in ignored:
        target[i] = -100
    attrs = {"label_smoothing": smoothing, "ignore_index": -100, "reduction": "mean"}

    def fn(logits, target):
        return F.cross_entropy(logits, target.to(torch.int64), ignore_index=-100,
                               reduction="mean", label_smoothing=smoothing)

    add_case(name, "cross_entropy", attrs, {"logits": logits, "target": target}, fn, ["logits"])


ce_case("cross_entropy_plain", 6, 5, 0.0)
ce_case("cross_entropy_smooth0.1", 6, 5, 0.1)
ce_case("cross_entropy_ignore_index", 6, 5, 0.0, ignored=(1, 4))
ce_case("cross_entropy_smooth0.1_ignore_index", 6, 5, 0.1, ignored=(1, 4))
ce_case("cross_entropy_large_logits", 6, 5, 0.0, scale=50.0)
ce_case("cross_entropy_large_logits_smooth0.1", 6, 5, 0.1, scale=50.0)

# ---------------------------------------------------------------- GELU

for approx in ("none", "tanh"):
    name = "gelu_" + approx
    seed(name)
    x = torch.stack([torch.linspace(-6, 6, 49), randn(49, scale=3.0)])
    add_case(name, "gelu", {"approximate": approx}, {"x": x},
             lambda x, a=approx: F.gelu(x, approximate=a), ["x"])

# ---------------------------------------------------------------- softmax / log_softmax

for op, f in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
    for dim in (-1, 1):
        name = "%s_dim%d" % (op, dim)
        seed(name)
        x = randn(3, 4, 7, scale=2.0)
        add_case(name, op, {"dim": dim}, {"x": x}, lambda x, f=f, d=dim: f(x, dim=d), ["x"])


def masked_softmax_case(name, shape):
    seed(name)
    x = randn(*shape, scale=2.0)
    t = shape[-1]
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)

    def fn(x):
        return torch.softmax(x.masked_fill(mask, float("-inf")), dim=-1)

    add_case(name, "masked_softmax", {"causal": True}, {"x": x}, fn, ["x"])


masked_softmax_case("masked_softmax_causal", (2, 5, 5))
masked_softmax_case("masked_softmax_causal_4d", (1, 2, 4, 4))

# ---------------------------------------------------------------- pooling

def max_pool_case(name, x_shape, kernel, stride, padding):
    seed(name)
    x = randn(*x_shape)
    attrs = {"kernel": list(kernel), "stride": list(stride), "padding": list(padding)}
    add_case(name, "max_pool2d", attrs, {"x": x},
             lambda x: F.max_pool2d(x, tuple(kernel), tuple(stride), tuple(padding)), ["x"])


max_pool_case("max_pool2d_k2_s2", (2, 3, 6, 6), (2, 2), (2, 2), (0, 0))
max_pool_case("max_pool2d_k3_s2_overlap", (1, 2, 7, 7), (3, 3), (2, 2), (0, 0))
max_pool_case("max_pool2d_k3_s2_pad1", (1, 2, 6, 6), (3, 3), (2, 2), (1, 1))


def avg_pool_case(name, x_shape, kernel, stride, padding, count_include_pad=True):
    seed(name)
    x = randn(*x_shape)
    attrs = {"kernel": list(kernel), "stride": list(stride), "padding": list(padding),
             "count_include_pad": count_include_pad}
    add_case(name, "avg_pool2d", attrs, {"x": x},
             lambda x: F.avg_pool2d(x, tuple(kernel), tuple(stride), tuple(padding),
                                    count_include_pad=count_include_pad), ["x"])


avg_pool_case("avg_pool2d_k2_s2", (2, 3, 6, 6), (2, 2), (2, 2), (0, 0))
avg_pool_case("avg_pool2d_k3_s2_pad1", (1, 2, 6, 6), (3, 3), (2, 2), (1, 1))
avg_pool_case("avg_pool2d_k3_s2_pad1_exclude_pad", (1, 2, 6, 6), (3, 3), (2, 2), (1, 1),
              count_include_pad=False)


def adaptive_case(name, x_shape, out_size):
    seed(name)
    x = randn(*x_shape)
    add_case(name, "adaptive_avg_pool2d", {"output_size": list(out_size)}, {"x": x},
             lambda x: F.adaptive_avg_pool2d(x, tuple(out_size)), ["x"])


adaptive_case("adaptive_avg_pool2d_6x6_to_3x3", (1, 2, 6, 6), (3, 3))
adaptive_case("adaptive_avg_pool2d_5x5_to_3x3", (2, 3, 5, 5), (3, 3))
adaptive_case("adaptive_avg_pool2d_7x5_to_3x2", (1, 2, 7, 5), (3, 2))
adaptive_case("adaptive_avg_pool2d_4x4_to_1x1", (2, 3, 4, 4), (1, 1))

# ---------------------------------------------------------------- local response norm

def lrn_case(name, x_shape, size, alpha, beta, k, scale):
    seed(name)
    x = randn(*x_shape) * scale
    attrs = {"size": size, "alpha": alpha, "beta": beta, "k": k}
    add_case(name, "local_response_norm", attrs, {"x": x},
             lambda x: F.local_response_norm(x, size, alpha=alpha, beta=beta, k=k), ["x"])


lrn_case("local_response_norm_alexnet", (2, 7, 3, 3), 5, 1e-4, 0.75, 2.0, 10.0)
lrn_case("local_response_norm_size4_strong", (1, 6, 2, 3), 4, 0.1, 0.75, 1.0, 3.0)

# ---------------------------------------------------------------- MSE

name = "mse_loss_mean"
seed(name)
add_case(name, "mse_loss", {"reduction": "mean"},
         {"input": randn(3, 4), "target": randn(3, 4)},
         lambda input, target: F.mse_loss(input, target, reduction="mean"),
         ["input", "target"])

# ---------------------------------------------------------------- optimizers

def optimizer_case(name, op, attrs, make_opt):
    seed(name)
    param0 = randn(2, 3)
    grads = [randn(2, 3) for _ in range(3)]
    p = torch.nn.Parameter(param0.clone())
    opt = make_opt([p])
    after = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        after.append(p.detach().clone())
    case = {
        "name": name,
        "op": op,
        "attrs": attrs,
        "inputs": {"param": T(param0), "grad_1": T(grads[0]), "grad_2": T(grads[1]),
                   "grad_3": T(grads[2])},
        "output": T(after[2]),
        "param_after_1": T(after[0]),
        "param_after_2": T(after[1]),
    }
    CASES.append(case)


adam_attrs = {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1}
optimizer_case("adam_wd0.1", "adam", adam_attrs,
               lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8,
                                           weight_decay=0.1, foreach=False))
optimizer_case("adamw_wd0.1", "adamw", adam_attrs,
               lambda ps: torch.optim.AdamW(ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8,
                                            weight_decay=0.1, foreach=False))
optimizer_case("sgd_nesterov_m0.9", "sgd_nesterov",
               {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4,
                "dampening": 0.0},
               lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                          weight_decay=1e-4, dampening=0.0, foreach=False))

# ---------------------------------------------------------------- write

names = [c["name"] for c in CASES]
assert len(names) == len(set(names)), "duplicate case names"

doc = {"generator": "torch " + torch.__version__, "cases": CASES}
# One case per line: valid JSON, compact, and diffs stay readable.
lines = ['{"generator":' + json.dumps(doc["generator"]) + ',"cases":[']
for i, c in enumerate(CASES):
    sep = "," if i + 1 < len(CASES) else ""
    lines.append(json.dumps(c, separators=(",", ":"), allow_nan=False) + sep)
lines.append("]}")
text = "\n".join(lines) + "\n"
json.loads(text)  # round-trip check

os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
with open(OUT_PATH, "w") as f:
    f.write(text)
print("wrote %s: %d cases, %d bytes" % (OUT_PATH, len(CASES), len(text)), file=sys.stderr)
