"""Generate golden values for whole modules (nn.Linear ... nn.LSTM) from PyTorch.

What this is
    A one-off generator of `Tests/Fixtures/modules.json`, read by
    Tests/ReproKitTests/ModuleGoldenTests.swift. Where make_fixtures.py checks
    ops, this checks modules: that our module with the same config has exactly
    PyTorch's state_dict (names, order, shapes), and that with PyTorch's values
    loaded by name it computes the same outputs and gradients. The JSON is
    committed; the Swift tests never run PyTorch.

How to run (from the repository root)
    /root/venv-torch/bin/python scripts/golden/make_module_fixtures.py

Format
    {"generator": "torch <version>", "cases": [CASE, ...]}
    CASE = {
      "name":        unique case name,
      "module":      PyTorch class name ("Linear", "GRU", ...),
      "config":      constructor arguments and forward options (see each case),
      "state_dict":  [{"name", "shape", "data"}] in PyTorch's state_dict order,
                     before the forward (num_batches_tracked is int64 in PyTorch,
                     written as an integer-valued float),
      "inputs":      {name: T} forward inputs ("x"; "ids" for Embedding, integer
                     valued; "h0"/"c0" initial states; "query"/"key"/"value"),
      "outputs":     {name: T}; RNNs: "output", "hidden" (h_n), "cell" (c_n);
                     MultiheadAttention: "output" and "weights", the attention
                     weights PER HEAD [B, H, Tq, Tk] (average_attn_weights=False),
      "grad_outputs": {name: T} for every output that is differentiated
                     (all but "weights"),
      "input_grads": {name: T}, "param_grads": {state_dict name: T}:
                     d(sum_k sum(outputs[k] * grad_outputs[k])) / d(...),
      "buffers_after": [{"name", "shape", "data"}] (BatchNorm in train mode:
                     running stats after the forward; absent otherwise)
    }
    T = {"shape": [...], "data": [flat row-major values]}. Every number is the
    exact float32 value, written with the fewest significant digits (at most 9)
    that read back as exactly that float32 (make_fixtures.py writes the full
    double; this file would be twice the size that way).

Determinism
    float32, one thread, and each case seeds torch from a CRC32 of its name, so
    adding or removing a case does not change the others. Parameters that
    PyTorch initialises to constants (norm weights/biases, attention biases)
    are replaced by random values so that their gradients are checked.
"""

import json
import math
import os
import struct
import sys
import zlib

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT_PATH = os.path.join("Tests", "Fixtures", "modules.json")

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

CASES = []


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def shortest(v):
    """The float32 value v (a Python float) as the double with the fewest significant digits
    (at most 9) that converts back to exactly v: about half the text of repr(v)."""
    for digits in range(1, 10):
        d = float("%.*g" % (digits, v))
        if f32(d) == v:
            return d
    raise AssertionError("no 9-digit form for %r" % v)


def T(t):
    """Tensor -> {"shape", "data"} with exact float32 values."""
    t = t.detach()
    if t.dtype != torch.float32:
        t = t.to(torch.float64)  # int64 ids / num_batches_tracked: exact integers
    data = t.reshape(-1).tolist()
    for v in data:
        if not math.isfinite(v):
            raise ValueError("non-finite value in fixture")
    return {"shape": list(t.shape), "data": [shortest(float(v)) for v in data]}


def named(pairs):
    return [dict(name=k, **T(v)) for k, v in pairs]


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))


def randomize(module, names, scale=0.5, center=0.0):
    """Replace constant-initialised parameters with random ones (so grads matter)."""
    with torch.no_grad():
        for n, p in module.named_parameters():
            if n in names:
                p.copy_(center + torch.randn(p.shape) * scale)


def add_case(name, module_name, config, module, inputs, grad_inputs, forward, buffers_after=False):
    """Record module's state_dict, forward(module, **leaves) -> {name: tensor}, and grads.

    grad_inputs: input names that get gradients. Outputs named "weights" are recorded
    but not differentiated.
    """
    state = named(module.state_dict().items())
    leaves = {}
    for k, v in inputs.items():
        v = v.detach().clone()
        if k in grad_inputs:
            v.requires_grad_(True)
        leaves[k] = v
    outputs = forward(module, **leaves)
    grad_outputs = {k: torch.randn(v.shape) for k, v in outputs.items() if k != "weights"}
    loss = sum((outputs[k] * g).sum() for k, g in grad_outputs.items())
    loss.backward()
    case = {
        "name": name,
        "module": module_name,
        "config": config,
        "state_dict": state,
        "inputs": {k: T(v) for k, v in inputs.items()},
        "outputs": {k: T(v) for k, v in outputs.items()},
        "grad_outputs": {k: T(v) for k, v in grad_outputs.items()},
        "input_grads": {k: T(leaves[k].grad) for k in grad_inputs},
        "param_grads": {n: T(p.grad) for n, p in module.named_parameters()},
    }
    if buffers_after:
        case["buffers_after"] = named(module.named_buffers())
    CASES.append(case)


def single(module, x):
    return {"output": module(x)}


# ---------------------------------------------------------------- linear, conv

def linear_case(name, x_shape, inf, outf, bias):
    seed(name)
    m = nn.Linear(inf, outf, bias=bias)
    add_case(name, "Linear", {"in_features": inf, "out_features": outf, "bias": bias}, m,
             {"x": torch.randn(*x_shape)}, ["x"], single)


linear_case("linear", (4, 5), 5, 3, True)
linear_case("linear_nobias_3d", (2, 3, 5), 5, 3, False)


def conv_case(name, x_shape, cin, cout, k, stride=1, padding=0, groups=1, bias=True):
    seed(name)
    m = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=bias)
    config = {"in_channels": cin, "out_channels": cout, "kernel_size": k, "stride": stride,
              "padding": padding, "groups": groups, "bias": bias}
    add_case(name, "Conv2d", config, m, {"x": torch.randn(*x_shape)}, ["x"], single)


conv_case("conv2d_k3_s2_p1", (2, 3, 7, 7), 3, 4, 3, stride=2, padding=1)
conv_case("conv2d_groups2", (2, 4, 5, 5), 4, 6, 3, padding=1, groups=2)


def conv_t_case(name, x_shape, cin, cout, k, stride, padding, output_padding):
    seed(name)
    m = nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=padding, output_padding=output_padding)
    config = {"in_channels": cin, "out_channels": cout, "kernel_size": k, "stride": stride,
              "padding": padding, "output_padding": output_padding, "groups": 1, "bias": True}
    add_case(name, "ConvTranspose2d", config, m, {"x": torch.randn(*x_shape)}, ["x"], single)


conv_t_case("conv_transpose2d_k3_s2_p1_op1", (2, 4, 3, 3), 4, 2, 3, 2, 1, 1)

# ---------------------------------------------------------------- normalisation

def bn_case(name, cls, x_shape, train):
    seed(name)
    c = x_shape[1]
    m = cls(c)
    randomize(m, {"weight"}, center=1.0)
    randomize(m, {"bias"})
    with torch.no_grad():
        m.running_mean.copy_(torch.randn(c) * 0.5)
        m.running_var.copy_(torch.rand(c) * 1.5 + 0.25)
    m.train(train)
    x = torch.randn(*x_shape) * 2 + 0.5
    add_case(name, cls.__name__, {"num_features": c, "eps": 1e-5, "momentum": 0.1, "train": train},
             m, {"x": x}, ["x"], single, buffers_after=train)


bn_case("batchnorm2d_train", nn.BatchNorm2d, (3, 4, 3, 3), True)
bn_case("batchnorm2d_eval", nn.BatchNorm2d, (2, 4, 3, 3), False)
bn_case("batchnorm1d_train_3d", nn.BatchNorm1d, (5, 6, 3), True)

name = "layernorm"
seed(name)
m = nn.LayerNorm(8)
randomize(m, {"weight"}, center=1.0)
randomize(m, {"bias"})
add_case(name, "LayerNorm", {"normalized_shape": [8], "eps": 1e-5}, m,
         {"x": torch.randn(2, 3, 8) * 1.5 + 0.3}, ["x"], single)

name = "groupnorm"
seed(name)
m = nn.GroupNorm(2, 4)
randomize(m, {"weight"}, center=1.0)
randomize(m, {"bias"})
add_case(name, "GroupNorm", {"num_groups": 2, "num_channels": 4, "eps": 1e-5}, m,
         {"x": torch.randn(2, 4, 3, 3) * 1.5 + 0.3}, ["x"], single)

name = "local_response_norm"
seed(name)
m = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
add_case(name, "LocalResponseNorm", {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0}, m,
         {"x": torch.randn(2, 7, 3, 3) * 10}, ["x"], single)

name = "embedding"
seed(name)
m = nn.Embedding(10, 4)
ids = torch.tensor([[1, 7, 3], [7, 0, 9]])   # 7 twice: its gradient rows add up
add_case(name, "Embedding", {"num_embeddings": 10, "embedding_dim": 4}, m, {"ids": ids}, [],
         lambda mod, ids: {"output": mod(ids)})

# ---------------------------------------------------------------- attention

def mha_case(name, e, heads, tq, tk, self_attention, padding=None, causal=False, bias=True, batch=2):
    seed(name)
    m = nn.MultiheadAttention(e, heads, bias=bias, batch_first=True)
    randomize(m, {"in_proj_bias", "out_proj.bias"}, scale=0.1)
    config = {"embed_dim": e, "num_heads": heads, "bias": bias, "causal": causal,
              "self_attention": self_attention}
    if padding is not None:
        config["key_padding_mask"] = padding
    mask = None if padding is None else torch.tensor(padding, dtype=torch.bool)
    attn_mask = torch.triu(torch.ones(tq, tk, dtype=torch.bool), diagonal=1) if causal else None

    if self_attention:
        inputs = {"x": torch.randn(batch, tq, e)}

        def fwd(mod, x):
            out, w = mod(x, x, x, key_padding_mask=mask, attn_mask=attn_mask, need_weights=True,
                         average_attn_weights=False)
            return {"output": out, "weights": w}
    else:
        inputs = {"query": torch.randn(batch, tq, e), "key": torch.randn(batch, tk, e),
                  "value": torch.randn(batch, tk, e)}

        def fwd(mod, query, key, value):
            out, w = mod(query, key, value, key_padding_mask=mask, attn_mask=attn_mask,
                         need_weights=True, average_attn_weights=False)
            return {"output": out, "weights": w}
    add_case(name, "MultiheadAttention", config, m, inputs, list(inputs), fwd)


mha_case("mha_self_key_padding", 16, 4, 5, 5, True,
         padding=[[False] * 5, [False, False, False, True, True]])
mha_case("mha_cross", 16, 4, 3, 6, False, padding=[[False] * 6, [False] * 4 + [True] * 2])
mha_case("mha_self_causal_nobias", 16, 4, 5, 5, True, causal=True, bias=False,
         padding=[[False] * 5, [False, False, False, False, True]])

# ---------------------------------------------------------------- recurrent

def rnn_case(name, cls, lengths=None, batch=2, steps=20, inp=5, hidden=6, layers=2):
    seed(name)
    m = cls(inp, hidden, num_layers=layers, bidirectional=True, batch_first=True)
    config = {"input_size": inp, "hidden_size": hidden, "num_layers": layers,
              "bidirectional": True, "batch_first": True}
    inputs = {"x": torch.randn(batch, steps, inp), "h0": torch.randn(2 * layers, batch, hidden) * 0.5}
    is_lstm = cls is nn.LSTM
    if is_lstm:
        inputs["c0"] = torch.randn(2 * layers, batch, hidden) * 0.5
    if lengths is not None:
        config["lengths"] = lengths

    def fwd(mod, x, h0, c0=None):
        state = (h0, c0) if is_lstm else h0
        if lengths is None:
            out, hn = mod(x, state)
        else:
            packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True,
                                          enforce_sorted=False)
            out, hn = mod(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
        if is_lstm:
            return {"output": out, "hidden": hn[0], "cell": hn[1]}
        return {"output": out, "hidden": hn}
    add_case(name, cls.__name__, config, m, inputs, list(inputs), fwd)


rnn_case("gru_2layer_bidirectional", nn.GRU)
rnn_case("gru_2layer_bidirectional_lengths", nn.GRU, lengths=[20, 13])
rnn_case("lstm_2layer_bidirectional", nn.LSTM)
rnn_case("lstm_2layer_bidirectional_lengths", nn.LSTM, lengths=[11, 20])

name = "grucell"
seed(name)
m = nn.GRUCell(5, 6)
add_case(name, "GRUCell", {"input_size": 5, "hidden_size": 6}, m,
         {"x": torch.randn(3, 5), "h0": torch.randn(3, 6)}, ["x", "h0"],
         lambda mod, x, h0: {"output": mod(x, h0)})

name = "lstmcell"
seed(name)
m = nn.LSTMCell(5, 6)


def lstmcell_fwd(mod, x, h0, c0):
    h, c = mod(x, (h0, c0))
    return {"output": h, "cell": c}


add_case(name, "LSTMCell", {"input_size": 5, "hidden_size": 6}, m,
         {"x": torch.randn(3, 5), "h0": torch.randn(3, 6), "c0": torch.randn(3, 6)},
         ["x", "h0", "c0"], lstmcell_fwd)

# ---------------------------------------------------------------- write

names = [c["name"] for c in CASES]
assert len(names) == len(set(names)), "duplicate case names"

doc = {"generator": "torch " + torch.__version__, "cases": CASES}
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
