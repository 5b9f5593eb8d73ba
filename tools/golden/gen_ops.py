#!/usr/bin/python3
"""Golden fixtures for the Tessera op catalogue, computed with PyTorch 1.13.

    /usr/bin/python3 tools/golden/gen_ops.py            # writes packages/tensor/src/__golden__/ops_*.safetensors
    /usr/bin/python3 tools/golden/gen_ops.py --check    # regenerates in memory, compares with the files

Each fixture file holds one op family. A case `<case>` stores its inputs as `<case>/in0`,
`<case>/in1`, ... and its outputs as `<case>/out` (then `<case>/out1`, ... for multi-output ops),
and its call in the file's `__metadata__` under the key `<case>`:

    {"op": "conv2d", "inputs": ["input", "weight", "bias"], "args": {"stride": 2, "padding": 1}}

`op` is the name of the Tessera function, `inputs` names the role of each `in<i>`, and `args`
holds the remaining arguments with Tessera's (camelCase) names, so that
packages/tensor/src/golden.test.ts can replay every case generically. The key `__golden__` holds
what made the file (script, torch version, seed).

Inputs are float32 (indices int32, masks and conditions bool). Outputs are computed by PyTorch in
float32, except scaledDotProductAttention (PyTorch 1.13 has no F.scaled_dot_product_attention): its
reference is computed by definition in float64 and stored as float32. int64 results (argmax,
indices, one_hot) are stored as I32. Every float case is also recomputed in float64 as a
self-check of the reference itself; the script fails if float32 PyTorch strays from it by more
than the test's tolerance.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from collections import OrderedDict

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore", message="Using padding='same'")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import deserialize, serialize  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(ROOT, "packages", "tensor", "src", "__golden__")
SEED = 0

# Self-check: |f32 - f64| <= ATOL + RTOL·|f64| for every float output, with the tolerance the
# TypeScript test uses for the op (kept in sync by hand; see golden.test.ts TOLERANCES).
TOL_DEFAULT = (1e-5, 1e-5)
TOL_LOOSE = (1e-4, 1e-4)
LOOSE_OPS = {
    "matmul", "linear", "layerNorm", "groupNorm", "scaledDotProductAttention",
    "conv1d", "conv2d", "conv3d", "convTranspose1d", "convTranspose2d", "convTranspose3d",
    "interpolate",
}


class Fixtures:
    """Collects the cases of every family, in order."""

    def __init__(self) -> None:
        self.families: "OrderedDict[str, OrderedDict[str, dict]]" = OrderedDict()
        self.family = ""
        self.selfcheck: list = []

    def begin(self, family: str) -> None:
        self.family = family
        self.families.setdefault(family, OrderedDict())

    def add(self, name, op, inputs, args, fn, roles=None, ref64=None, selfcheck=True):
        """Adds a case: `fn(*inputs)` is the PyTorch reference (a tensor or a tuple of them).

        `ref64(*inputs64)`, when given, is the reference computed in float64 instead (the stored
        output is its float32 rounding). `selfcheck=False` skips the float64 recomputation (ops
        whose float32 semantics are the point, e.g. nearest-neighbour index arithmetic).
        """
        cases = self.families[self.family]
        if name in cases or any(name in c for c in self.families.values()):
            raise ValueError(f"duplicate case {name}")
        if "/" in name or name.startswith("__"):
            raise ValueError(f"bad case name {name}")
        inputs = list(inputs)
        for t in inputs:
            assert t.dtype in (torch.float32, torch.int32, torch.bool), (name, t.dtype)
        roles = roles or [f"in{i}" for i in range(len(inputs))]
        assert len(roles) == len(inputs), name

        def to64(t):
            return t.double() if t.is_floating_point() else t

        if ref64 is not None:
            outs = ref64(*[to64(t) for t in inputs])
        else:
            outs = fn(*inputs)
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
        stored = [store(o, f"{name} output") for o in outs]

        if selfcheck and ref64 is None:
            outs64 = fn(*[to64(t) for t in inputs])
            outs64 = list(outs64) if isinstance(outs64, (tuple, list)) else [outs64]
            rtol, atol = TOL_LOOSE if op in LOOSE_OPS else TOL_DEFAULT
            for i, (o32, o64) in enumerate(zip(stored, outs64)):
                if not o32.is_floating_point():
                    if o64.dtype == torch.float64:
                        raise AssertionError(f"{name}: output {i} dtype differs in float64")
                    continue
                a, b = o32.double(), o64.double()
                fin = torch.isfinite(b)
                same_nonfinite = torch.equal(torch.isnan(a), torch.isnan(b)) and torch.equal(a[torch.isinf(b)], b[torch.isinf(b)])
                ratio = ((a - b).abs() / (atol + rtol * b.abs()))[fin]
                worst = float(ratio.max()) if ratio.numel() else 0.0
                self.selfcheck.append((name, worst))
                if worst > 1 or not same_nonfinite:
                    raise AssertionError(f"{name}: float32 PyTorch differs from float64 beyond ({rtol}, {atol}) ({worst:.3g} x tolerance)")

        entry = {"op": op, "inputs": roles, "args": args}
        tensors = OrderedDict()
        for i, t in enumerate(inputs):
            tensors[f"{name}/in{i}"] = t.contiguous()
        for i, t in enumerate(stored):
            tensors[f"{name}/out" if i == 0 else f"{name}/out{i}"] = t
        cases[name] = {"meta": entry, "tensors": tensors}


def store(t: torch.Tensor, what: str) -> torch.Tensor:
    """The tensor as it goes in the file: float -> float32, int64 -> int32, bool stays."""
    t = t.detach().contiguous()
    if t.is_floating_point():
        return t.float()
    if t.dtype == torch.bool:
        return t
    if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        if t.numel() and (int(t.max()) > 2**31 - 1 or int(t.min()) < -(2**31)):
            raise ValueError(f"{what}: int value out of int32 range")
        return t.to(torch.int32)
    raise TypeError(f"{what}: unsupported dtype {t.dtype}")


def randn(*shape, scale=1.0, offset=0.0):
    return (torch.randn(*shape) * scale + offset).float()


def rand(*shape, low=0.0, high=1.0):
    return (torch.rand(*shape) * (high - low) + low).float()


def randint(low, high, *shape):
    return torch.randint(low, high, shape).to(torch.int32)


def f32(values, shape=None):
    t = torch.tensor(values, dtype=torch.float32)
    return t.reshape(shape) if shape is not None else t


def with_specials(specials, total, scale=2.0, shape=None):
    """A float32 vector: the special values first, then random normals (times `scale`)."""
    sp = f32(specials)
    rest = randn(total - sp.numel(), scale=scale)
    x = torch.cat([sp, rest])
    return x.reshape(shape) if shape is not None else x


def long(t):
    return t.to(torch.int64)


# ---------------------------------------------------------------------------------------------
# Families


def elementwise(fx: Fixtures) -> None:
    fx.begin("elementwise")
    near0 = [0.0, 1e-7, -1e-7, 1e-4, -1e-4, 0.03, -0.03, 0.5, -0.5, 1.0, -1.0]
    large = [3.0, -3.0, 5.0, -5.0, 8.0, -8.0, 10.0, -10.0, 20.0, -20.0, 50.0, -50.0, 100.0, -100.0]
    positive = [0.0, 1e-7, 1e-4, 0.03, 0.5, 1.0, 2.0, 100.0, 1e4, 1e6]
    unary = {
        "neg": (torch.neg, near0 + large),
        "abs": (torch.abs, near0 + large),
        "exp": (torch.exp, near0 + [10.0, -10.0, 40.0, -40.0, 80.0, -80.0, 88.0, -100.0]),
        "log": (torch.log, positive),
        "sqrt": (torch.sqrt, positive),
        "rsqrt": (torch.rsqrt, positive),
        "sin": (torch.sin, near0 + large),
        "cos": (torch.cos, near0 + large),
        "tanh": (torch.tanh, near0 + large),
        "sigmoid": (torch.sigmoid, near0 + large),
        "relu": (torch.relu, near0 + large),
        "silu": (F.silu, near0 + large),
        "erf": (torch.erf, near0 + large + [0.2, -0.2, 0.9, -0.9, 2.0, -2.0, 2.5, -2.5, 3.5, 4.0, 6.0]),
        "square": (torch.square, near0 + large),
        "reciprocal": (torch.reciprocal, [0.0] + near0[1:] + large),
        "floor": (torch.floor, near0 + large + [2.5, -2.5, 1.9999, -1.0001, 0.9999999, -0.9999999, 1e7 + 1, -3.5]),
    }
    for op, (fn, specials) in unary.items():
        total = 48
        if op in ("log", "sqrt", "rsqrt"):
            x = torch.cat([f32(specials), rand(total - len(specials), low=0.01, high=5.0)]).reshape(6, 8)
        else:
            x = with_specials(specials, total, scale=2.0, shape=[6, 8])
        fx.add(f"{op}.mixed", op, [x], {}, fn)
    # Non-finite inputs: ±inf and NaN where PyTorch's answer is the limit (gelu and silu at -inf give
    # NaN in PyTorch, an artefact of x·Φ(x) = -inf·0, so they only get +inf and NaN).
    INF, NAN = float("inf"), float("nan")
    for op, (fn, _) in unary.items():
        vals = [INF, NAN, 1.0, 0.0] if op in ("log", "sqrt", "rsqrt") else [INF, -INF, NAN, 0.0, -2.5, 1.0]
        fx.add(f"{op}.nonfinite", op, [f32(vals)], {}, fn)
    fx.add("gelu.nonfinite", "gelu", [f32([INF, NAN, 0.0, 1.0])], {"approximate": "none"}, F.gelu)
    fx.add("gelu.tanh_nonfinite", "gelu", [f32([INF, NAN, 0.0, 1.0])], {"approximate": "tanh"}, lambda t: F.gelu(t, approximate="tanh"))
    fx.add("clamp.nonfinite", "clamp", [f32([INF, -INF, NAN, 0.0, 3.0])], {"min": -1.0, "max": 1.0}, lambda t: torch.clamp(t, -1.0, 1.0))
    for approx in ("none", "tanh"):
        x = with_specials(near0 + large + [0.7, -0.7, 2.0, -2.0, 4.0, -4.0], 48, shape=[6, 8])
        fx.add(f"gelu.{approx}", "gelu", [x], {"approximate": approx}, lambda t, a=approx: F.gelu(t, approximate=a))
    # 3-d input and non-trivial shapes for a couple of unary ops
    x = randn(2, 3, 4, scale=3.0)
    fx.add("tanh.3d", "tanh", [x], {}, torch.tanh)
    fx.add("sigmoid.3d", "sigmoid", [x], {}, torch.sigmoid)
    x = with_specials([0.0, 1.0, -1.0, 2.0, -2.0], 24, shape=[4, 6])
    fx.add("clamp.both", "clamp", [x], {"min": -1.0, "max": 1.5}, lambda t: torch.clamp(t, -1.0, 1.5))
    fx.add("clamp.min_only", "clamp", [x], {"min": -0.5}, lambda t: torch.clamp(t, min=-0.5))
    fx.add("clamp.max_only", "clamp", [x], {"max": 0.25}, lambda t: torch.clamp(t, max=0.25))
    fx.add("clamp.min_eq_max", "clamp", [x], {"min": 0.5, "max": 0.5}, lambda t: torch.clamp(t, 0.5, 0.5))
    b = torch.tensor([[True, False, True], [False, False, True]])
    fx.add("logicalNot.bool", "logicalNot", [b], {}, torch.logical_not)
    fx.add("logicalNot.float", "logicalNot", [f32([[0.0, 1.0, -2.0], [0.5, 0.0, -0.0]])], {}, torch.logical_not)

    # Binary with broadcasting: [2,3,4] op [3,1]; [2,1,4] op [3,1]; [4] op [2,3,4]; 0-d; python scalar.
    arith = {
        "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
        "maximum": torch.maximum, "minimum": torch.minimum,
    }
    for op, fn in arith.items():
        safe = (lambda t: t.sign() * (t.abs() + 0.1)) if op == "div" else (lambda t: t)
        a, b = randn(2, 3, 4), safe(randn(3, 1))
        fx.add(f"{op}.bcast_trailing", op, [a, b], {}, fn)
        a, b = randn(2, 1, 4), safe(randn(3, 1))
        fx.add(f"{op}.bcast_both", op, [a, b], {}, fn)
        a, b = randn(4), safe(randn(2, 3, 4))
        fx.add(f"{op}.bcast_rank", op, [a, b], {}, fn)
        a, b = randn(3, 4), safe(randn(1)).reshape([])
        fx.add(f"{op}.zero_d", op, [a, b], {}, fn)
        fx.add(f"{op}.scalar", op, [a], {"other": 0.75}, lambda t, f=fn: f(t, torch.tensor(0.75)))
        fx.add(f"{op}.scalar_first", op, [a], {"scalarFirst": -1.25}, lambda t, f=fn: f(torch.tensor(-1.25), t))
    # division near zero and by zero
    num = f32([1.0, -1.0, 0.0, 1e-3, 3.0, -2.0, 1.0, -1.0])
    den = f32([1e-6, 1e-6, 1.0, -1e-4, 1e-3, 7.0, 0.0, 0.0])
    fx.add("div.near_zero", "div", [num, den], {}, torch.div)
    # NaN propagation of maximum / minimum
    a = f32([1.0, float("nan"), -2.0, float("nan"), 0.0, float("inf")])
    b = f32([float("nan"), 3.0, -1.0, float("nan"), -0.5, 2.0])
    fx.add("maximum.nan", "maximum", [a, b], {}, torch.maximum)
    fx.add("minimum.nan", "minimum", [a, b], {}, torch.minimum)
    # pow: positive base with real exponents (broadcast), negative base with integer exponents, scalars
    base = rand(2, 3, 4, low=0.1, high=3.0)
    expo = rand(3, 1, low=-2.0, high=2.0)
    fx.add("pow.bcast_real", "pow", [base, expo], {}, torch.pow)
    base = randn(3, 4, scale=2.0)
    expo = f32([0.0, 1.0, 2.0, 3.0])
    fx.add("pow.neg_base_int_exp", "pow", [base, expo], {}, torch.pow)
    fx.add("pow.scalar2", "pow", [base], {"other": 2.0}, lambda t: torch.pow(t, 2.0))
    base = rand(3, 4, low=0.0, high=4.0)
    fx.add("pow.scalar_half", "pow", [base], {"other": 0.5}, lambda t: torch.pow(t, 0.5))
    fx.add("pow.scalar_first", "pow", [rand(3, 4, low=-2.0, high=2.0)], {"scalarFirst": 2.0}, lambda t: torch.pow(torch.tensor(2.0), t))
    # IEEE / C99 pow special values (PyTorch uses std::pow): 1^y = 1 for every y, NaN included;
    # (-1)^±inf = 1; x^0 = 1 for every x, NaN included.
    fx.add("pow.edges", "pow", [f32([0.0, 0.0, 0.0, -8.0, -8.0, 2.0, 0.5, INF, -INF, NAN, 1.0, 1.0, 1.0, -1.0, -1.0]),
                                f32([0.0, -1.0, 2.0, 1 / 3, 2.0, INF, INF, -1.0, 3.0, 0.0, NAN, INF, -INF, INF, -INF])], {}, torch.pow)
    fx.add("pow.neg_base_real_exp", "pow", [f32([-2.0, -0.5, 2.0]), f32([0.5, 1.5, -1.5])], {}, torch.pow)

    # Comparisons on quantised values so that ties happen.
    cmp = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}
    for op, fn in cmp.items():
        a = torch.round(randn(2, 3, 4) * 2) / 2
        b = torch.round(randn(3, 1) * 2) / 2
        fx.add(f"{op}.bcast", op, [a, b], {}, fn)
        fx.add(f"{op}.scalar", op, [a], {"other": 0.5}, lambda t, f=fn: f(t, 0.5))
    # Logical ops: float inputs (nonzero is true) and bool inputs, broadcast.
    for op, fn in {"logicalAnd": torch.logical_and, "logicalOr": torch.logical_or}.items():
        a = torch.round(randn(2, 3, 4)) * (rand(2, 3, 4) > 0.3).float()
        b = (randn(3, 1) > 0).float() * randn(3, 1)
        fx.add(f"{op}.float_bcast", op, [a, b], {}, fn)
        a = rand(4, 5) > 0.5
        b = rand(5) > 0.5
        fx.add(f"{op}.bool_bcast", op, [a, b], {}, fn)
        a = torch.round(randn(3, 4)) * (rand(3, 4) > 0.3).float()
        fx.add(f"{op}.scalar", op, [a], {"other": 0.5}, lambda t, f=fn: f(t, torch.tensor(0.5)))
        fx.add(f"{op}.scalar_zero", op, [a], {"other": 0.0}, lambda t, f=fn: f(t, torch.tensor(0.0)))
    # where: cond [2,3,4], a [3,4], b [2,1,4]; scalar branches
    c = rand(2, 3, 4) > 0.4
    fx.add("where.bcast", "where", [c, randn(3, 4), randn(2, 1, 4)], {}, torch.where, roles=["condition", "input", "other"])
    c = rand(3, 4) > 0.5
    x = randn(3, 4)
    fx.add("where.scalar_other", "where", [c, x], {"other": -1e9}, lambda cc, t: torch.where(cc, t, torch.tensor(-1e9)), roles=["condition", "input"])
    fx.add("where.scalar_input", "where", [c, x], {"input": 2.5}, lambda cc, t: torch.where(cc, torch.tensor(2.5), t), roles=["condition", "other"])


def reductions(fx: Fixtures) -> None:
    fx.begin("reduce")
    x = randn(3, 4, 5)
    xp = torch.exp(randn(3, 4, 5, scale=0.3))  # prod: values near 1, no underflow
    dimsets = [
        ("all", None, False),
        ("d0", 0, False),
        ("dlast_keep", -1, True),
        ("d1", 1, False),
        ("d02_keep", [0, 2], True),
        ("d12", [1, 2], False),
        ("d012_keep", [0, 1, 2], True),
    ]

    def over(fn_one, fn_all=None):
        """Reference for ops PyTorch only takes one dim for: reduce dims one by one, last first."""

        def run(t, dim, keep):
            if dim is None:
                return (fn_all or fn_one)(t, None, False)
            dims = sorted([d % t.dim() for d in ([dim] if isinstance(dim, int) else dim)], reverse=True)
            for d in dims:
                t = fn_one(t, d, True)
            if not keep:
                for d in dims:
                    t = t.squeeze(d)
            return t

        return run

    refs = {
        "sum": lambda t, d, k: t.sum() if d is None else t.sum(d, keepdim=k),
        "mean": lambda t, d, k: t.mean() if d is None else t.mean(d, keepdim=k),
        "max": lambda t, d, k: t.max() if d is None else torch.amax(t, d, keepdim=k),
        "min": lambda t, d, k: t.min() if d is None else torch.amin(t, d, keepdim=k),
        "prod": over(lambda t, d, k: t.prod() if d is None else t.prod(d, keepdim=k)),
        "logsumexp": lambda t, d, k: torch.logsumexp(t, list(range(t.dim())) if d is None else d, keepdim=k),
    }
    for op, ref in refs.items():
        for label, dim, keep in dimsets:
            if op == "logsumexp" and dim is None:
                continue
            inp = xp if op == "prod" else x
            args = {"keepdim": keep}
            if dim is not None:
                args["dim"] = dim
            fx.add(f"{op}.{label}", op, [inp], args, lambda t, r=ref, d=dim, k=keep: r(t, d, k))
    fx.add("logsumexp.large", "logsumexp", [randn(3, 6, scale=30.0, offset=200.0)], {"dim": 1, "keepdim": False}, lambda t: torch.logsumexp(t, 1))
    fx.add("logsumexp.neg_inf", "logsumexp", [f32([[0.0, float("-inf"), 1.0], [-5.0, 2.0, float("-inf")]])], {"dim": 1, "keepdim": False}, lambda t: torch.logsumexp(t, 1))
    INF, NAN = float("inf"), float("nan")
    fx.add("logsumexp.nonfinite_rows", "logsumexp", [f32([[-INF, -INF], [INF, 1.0], [INF, -INF], [NAN, 1.0]])], {"dim": 1, "keepdim": False},
           lambda t: torch.logsumexp(t, 1))
    nanx = f32([[1.0, NAN, 3.0, 0.0], [NAN, 2.0, NAN, -1.0], [4.0, 2.0, -1.0, 0.5]])
    fx.add("max.nan", "max", [nanx], {"dim": 1, "keepdim": False}, lambda t: torch.amax(t, 1))
    fx.add("min.nan", "min", [nanx], {"dim": 1, "keepdim": False}, lambda t: torch.amin(t, 1))
    fx.add("sum.nan", "sum", [nanx], {"dim": 1, "keepdim": False}, lambda t: t.sum(1))
    empty = torch.zeros(0, 3)
    fx.add("sum.empty", "sum", [empty], {"dim": 0, "keepdim": False}, lambda t: t.sum(0))
    fx.add("mean.empty", "mean", [empty], {"dim": 0, "keepdim": False}, lambda t: t.mean(0))
    fx.add("prod.empty", "prod", [empty], {"dim": 0, "keepdim": True}, lambda t: t.prod(0, keepdim=True))
    fx.add("sum.all_empty", "sum", [empty], {"keepdim": False}, lambda t: t.sum())
    fx.add("sum.d1_keep_0d_like", "sum", [randn(4, 1)], {"dim": 1, "keepdim": True}, lambda t: t.sum(1, keepdim=True))
    for op in ("var", "std"):
        fn = torch.var if op == "var" else torch.std
        for corr in (1, 0):
            for label, dim, keep in dimsets:
                if label in ("d1", "d12"):
                    continue
                args = {"keepdim": keep, "correction": corr}
                if dim is not None:
                    args["dim"] = dim
                fx.add(
                    f"{op}.{label}.c{corr}", op, [x], args,
                    lambda t, d=dim, k=keep, c=corr, f=fn: f(t, d, correction=c, keepdim=k) if d is not None else f(t, None, correction=c),
                )
        fx.add(f"{op}.d1.c2", op, [x], {"dim": 1, "keepdim": False, "correction": 2}, lambda t, f=fn: f(t, 1, correction=2))
        fx.add(f"{op}.offset", op, [randn(4, 16, offset=1000.0)], {"dim": 1, "keepdim": False, "correction": 1}, lambda t, f=fn: f(t, 1, correction=1))
        # one element along the dim with correction 1: 0/0 = NaN in PyTorch
        # correction >= N: PyTorch divides by max(0, N - correction), i.e. by 0 -> inf
        fx.add(f"{op}.correction_eq_n", op, [f32([[1.0, 2.0], [3.0, 5.0]])], {"dim": 1, "keepdim": False, "correction": 2},
               lambda t, f=fn: f(t, 1, correction=2))
        fx.add(f"{op}.correction_gt_n", op, [f32([[1.0, 2.0], [3.0, 5.0]])], {"dim": 1, "keepdim": False, "correction": 3},
               lambda t, f=fn: f(t, 1, correction=3))
        fx.add(f"{op}.constant", op, [torch.full((2, 5), 0.3)], {"dim": 1, "keepdim": False, "correction": 0},
               lambda t, f=fn: f(t, 1, correction=0))
        fx.add(f"{op}.single.c1", op, [randn(3, 1)], {"dim": 1, "keepdim": False, "correction": 1}, lambda t, f=fn: f(t, 1, correction=1))
    for op, fn in (("argmax", torch.argmax), ("argmin", torch.argmin)):
        fx.add(f"{op}.all", op, [x], {"keepdim": False}, lambda t, f=fn: f(t))
        fx.add(f"{op}.d0", op, [x], {"dim": 0, "keepdim": False}, lambda t, f=fn: f(t, 0))
        fx.add(f"{op}.dlast_keep", op, [x], {"dim": -1, "keepdim": True}, lambda t, f=fn: f(t, -1, keepdim=True))
        fx.add(f"{op}.d1", op, [x], {"dim": 1, "keepdim": False}, lambda t, f=fn: f(t, 1))
        # ties: PyTorch returns the first index of the extreme value
        ties = f32([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0], [5.0, 5.0, 5.0, 5.0]])
        fx.add(f"{op}.ties", op, [ties], {"dim": 1, "keepdim": False}, lambda t, f=fn: f(t, 1))
        # NaN counts as the extreme value for both (the first NaN wins)
        fx.add(f"{op}.nan", op, [nanx], {"dim": 1, "keepdim": False}, lambda t, f=fn: f(t, 1))


def linalg(fx: Fixtures) -> None:
    fx.begin("matmul")
    shapes = [
        ("2d", [3, 4], [4, 5]),
        ("batched", [2, 3, 4], [2, 4, 5]),
        ("bcast_batch", [2, 1, 3, 4], [3, 4, 5]),
        ("batched_x_2d", [2, 3, 4], [4, 5]),
        ("2d_x_batched", [3, 4], [2, 4, 6]),
        ("vec_vec", [7], [7]),
        ("vec_mat", [4], [4, 5]),
        ("mat_vec", [3, 4], [4]),
        ("vec_batched", [4], [2, 4, 5]),
        ("batched_vec", [2, 3, 4], [4]),
        ("k1", [3, 1], [1, 4]),
        ("wide", [2, 33], [33, 17]),
    ]
    for label, sa, sb in shapes:
        fx.add(f"matmul.{label}", "matmul", [randn(*sa), randn(*sb)], {}, torch.matmul)
    fx.add("matmul.empty_inner", "matmul", [torch.zeros(2, 0), torch.zeros(0, 3)], {}, torch.matmul)
    fx.add("linear.bias", "linear", [randn(2, 3, 4), randn(5, 4), randn(5)], {}, F.linear, roles=["input", "weight", "bias"])
    fx.add("linear.nobias", "linear", [randn(3, 4), randn(5, 4)], {}, F.linear, roles=["input", "weight"])


def nn(fx: Fixtures) -> None:
    fx.begin("nn")
    x = randn(2, 3, 5)
    for op, fn in (("softmax", F.softmax), ("logSoftmax", F.log_softmax)):
        for d in (-1, 0, 1):
            fx.add(f"{op}.d{d}", op, [x], {"dim": d}, lambda t, f=fn, dd=d: f(t, dim=dd))
        fx.add(f"{op}.large", op, [randn(3, 6, scale=50.0)], {"dim": -1}, lambda t, f=fn: f(t, dim=-1))
        fx.add(f"{op}.neg_inf", op, [f32([[0.0, float("-inf"), 1.0, 2.0], [float("-inf"), -3.0, 5.0, float("-inf")]])], {"dim": -1}, lambda t, f=fn: f(t, dim=-1))

    ninf = float("-inf")
    fx.add("softmax.all_neg_inf_row", "softmax", [f32([[ninf, ninf, ninf], [0.0, 1.0, ninf]])], {"dim": -1}, lambda t: F.softmax(t, dim=-1))
    fx.add("softmax.size1_dim", "softmax", [randn(3, 1)], {"dim": 1}, lambda t: F.softmax(t, dim=1))

    # layerNorm
    x = randn(2, 3, 8, scale=2.0, offset=0.5)
    w, b = randn(8, scale=0.5, offset=1.0), randn(8)
    fx.add("layerNorm.affine", "layerNorm", [x, w, b], {"normalizedShape": [8], "eps": 1e-5},
           lambda t, ww, bb: F.layer_norm(t, [8], ww, bb, 1e-5), roles=["input", "weight", "bias"])
    fx.add("layerNorm.plain", "layerNorm", [x], {"normalizedShape": [8], "eps": 1e-5},
           lambda t: F.layer_norm(t, [8], None, None, 1e-5), roles=["input"])
    fx.add("layerNorm.weight_only", "layerNorm", [x, w], {"normalizedShape": [8], "eps": 1e-6},
           lambda t, ww: F.layer_norm(t, [8], ww, None, 1e-6), roles=["input", "weight"])
    w2, b2 = randn(3, 8, scale=0.5, offset=1.0), randn(3, 8)
    fx.add("layerNorm.multidim_affine", "layerNorm", [x, w2, b2], {"normalizedShape": [3, 8], "eps": 1e-5},
           lambda t, ww, bb: F.layer_norm(t, [3, 8], ww, bb, 1e-5), roles=["input", "weight", "bias"])
    fx.add("layerNorm.multidim_plain", "layerNorm", [x], {"normalizedShape": [3, 8], "eps": 1e-5},
           lambda t: F.layer_norm(t, [3, 8], None, None, 1e-5), roles=["input"])
    xo = randn(4, 16, offset=50.0)
    fx.add("layerNorm.offset_bias_only", "layerNorm", [xo, randn(16)], {"normalizedShape": [16], "eps": 1e-5},
           lambda t, bb: F.layer_norm(t, [16], None, bb, 1e-5), roles=["input", "bias"])

    xc = torch.cat([torch.full((2, 8), 1.5), randn(1, 8)])
    fx.add("layerNorm.constant_rows", "layerNorm", [xc, randn(8), randn(8)], {"normalizedShape": [8], "eps": 1e-5},
           lambda t, ww, bb: F.layer_norm(t, [8], ww, bb, 1e-5), roles=["input", "weight", "bias"])

    # groupNorm
    x = randn(2, 6, 4, 4, scale=1.5, offset=-0.3)
    w, b = randn(6, scale=0.5, offset=1.0), randn(6)
    for g in (1, 3, 6):
        fx.add(f"groupNorm.g{g}_affine", "groupNorm", [x, w, b], {"numGroups": g, "eps": 1e-5},
               lambda t, ww, bb, gg=g: F.group_norm(t, gg, ww, bb, 1e-5), roles=["input", "weight", "bias"])
    fx.add("groupNorm.g2_plain", "groupNorm", [x], {"numGroups": 2, "eps": 1e-5},
           lambda t: F.group_norm(t, 2, None, None, 1e-5), roles=["input"])
    x3 = randn(2, 4, 7)
    fx.add("groupNorm.3d_g2", "groupNorm", [x3, randn(4), randn(4)], {"numGroups": 2, "eps": 1e-6},
           lambda t, ww, bb: F.group_norm(t, 2, ww, bb, 1e-6), roles=["input", "weight", "bias"])
    x5 = randn(1, 4, 2, 3, 3)
    fx.add("groupNorm.5d_g2", "groupNorm", [x5, randn(4), randn(4)], {"numGroups": 2, "eps": 1e-5},
           lambda t, ww, bb: F.group_norm(t, 2, ww, bb, 1e-5), roles=["input", "weight", "bias"])

    # scaledDotProductAttention, by definition in float64
    def sdpa64(q, k, v, mask=None, causal=False, scale=None):
        L, S = q.shape[-2], k.shape[-2]
        sc = (1.0 / math.sqrt(q.shape[-1])) if scale is None else scale
        s = torch.matmul(q, k.transpose(-2, -1)) * sc
        if causal:
            s = s.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
        if mask is not None:
            s = s.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else s + mask
        return torch.matmul(torch.softmax(s, dim=-1), v)

    q, k, v = randn(2, 2, 5, 8), randn(2, 2, 6, 8), randn(2, 2, 6, 4)
    qkv = ["query", "key", "value"]
    fx.add("scaledDotProductAttention.plain", "scaledDotProductAttention", [q, k, v], {}, None, roles=qkv, ref64=sdpa64)
    bmask = rand(5, 6) > 0.4
    bmask[:, 0] = True  # every query attends to something
    fx.add("scaledDotProductAttention.bool_mask", "scaledDotProductAttention", [q, k, v, bmask], {}, None,
           roles=qkv + ["attnMask"], ref64=lambda a, b_, c, m: sdpa64(a, b_, c, mask=m))
    amask = randn(2, 1, 5, 6, scale=2.0)
    fx.add("scaledDotProductAttention.additive_mask", "scaledDotProductAttention", [q, k, v, amask], {}, None,
           roles=qkv + ["attnMask"], ref64=lambda a, b_, c, m: sdpa64(a, b_, c, mask=m))
    fx.add("scaledDotProductAttention.scale", "scaledDotProductAttention", [q, k, v], {"scale": 0.05}, None,
           roles=qkv, ref64=lambda a, b_, c: sdpa64(a, b_, c, scale=0.05))
    qc, kc, vc = randn(2, 5, 8), randn(2, 5, 8), randn(2, 5, 8)
    fx.add("scaledDotProductAttention.causal", "scaledDotProductAttention", [qc, kc, vc], {"isCausal": True}, None,
           roles=qkv, ref64=lambda a, b_, c: sdpa64(a, b_, c, causal=True))
    qr, kr, vr = randn(1, 2, 4, 8), randn(1, 2, 6, 8), randn(1, 2, 6, 3)
    fx.add("scaledDotProductAttention.causal_rect", "scaledDotProductAttention", [qr, kr, vr], {"isCausal": True}, None,
           roles=qkv, ref64=lambda a, b_, c: sdpa64(a, b_, c, causal=True))
    fm = rand(5, 6) > 0.5
    fm[:, 1] = True
    fm[2, :] = False  # query 2 attends to nothing: NaN, as PyTorch's math path
    fx.add("scaledDotProductAttention.fully_masked_row", "scaledDotProductAttention", [q, k, v, fm], {}, None,
           roles=qkv + ["attnMask"], ref64=lambda a, b_, c, m: sdpa64(a, b_, c, mask=m))
    qb, kb, vb = randn(2, 3, 4, 8), randn(1, 3, 6, 8), randn(3, 6, 8)
    fx.add("scaledDotProductAttention.bcast_batch", "scaledDotProductAttention", [qb, kb, vb], {}, None,
           roles=qkv, ref64=sdpa64)


def conv(fx: Fixtures) -> None:
    fx.begin("conv")
    io = ["input", "weight", "bias"]
    iw = ["input", "weight"]

    def c(name, op, fn, x, w, b, args, torch_kwargs=None):
        kw = dict(torch_kwargs if torch_kwargs is not None else args)
        if "outputPadding" in kw:
            kw["output_padding"] = kw.pop("outputPadding")
        ins = [x, w] + ([b] if b is not None else [])
        fx.add(name, op, ins, args, lambda *t: fn(t[0], t[1], t[2] if len(t) > 2 else None, **kw), roles=io if b is not None else iw)

    # conv1d
    c("conv1d.basic_bias", "conv1d", F.conv1d, randn(2, 4, 10), randn(6, 4, 3), randn(6), {})
    c("conv1d.stride2_pad1_dil2", "conv1d", F.conv1d, randn(2, 4, 11), randn(6, 4, 3), randn(6), {"stride": 2, "padding": 1, "dilation": 2})
    c("conv1d.groups2", "conv1d", F.conv1d, randn(2, 4, 9), randn(6, 2, 3), None, {"groups": 2, "padding": 2})
    c("conv1d.depthwise", "conv1d", F.conv1d, randn(1, 4, 8), randn(8, 1, 3), randn(8), {"groups": 4, "padding": 1})
    c("conv1d.same_even", "conv1d", F.conv1d, randn(1, 4, 9), randn(3, 4, 4), randn(3), {"padding": "same"})
    c("conv1d.same_dil2", "conv1d", F.conv1d, randn(1, 4, 9), randn(3, 4, 3), None, {"padding": "same", "dilation": 2})
    c("conv1d.pad_gt_kernel", "conv1d", F.conv1d, randn(1, 2, 5), randn(2, 2, 2), randn(2), {"padding": 3})
    c("conv1d.valid", "conv1d", F.conv1d, randn(1, 2, 7), randn(3, 2, 5), None, {"padding": "valid"})
    # conv2d
    c("conv2d.basic_bias", "conv2d", F.conv2d, randn(2, 3, 7, 7), randn(4, 3, 3, 3), randn(4), {})
    c("conv2d.tuple_stride_pad_dil", "conv2d", F.conv2d, randn(1, 3, 8, 9), randn(4, 3, 3, 2), randn(4),
      {"stride": [2, 1], "padding": [1, 2], "dilation": [1, 2]})
    c("conv2d.groups2_bias", "conv2d", F.conv2d, randn(1, 4, 6, 6), randn(6, 2, 3, 3), randn(6), {"groups": 2, "padding": 1})
    c("conv2d.depthwise_s2", "conv2d", F.conv2d, randn(2, 3, 7, 7), randn(6, 1, 3, 3), randn(6), {"groups": 3, "stride": 2, "padding": 1})
    c("conv2d.pointwise", "conv2d", F.conv2d, randn(2, 5, 4, 4), randn(3, 5, 1, 1), randn(3), {})
    c("conv2d.same_even", "conv2d", F.conv2d, randn(1, 2, 6, 7), randn(3, 2, 4, 2), None, {"padding": "same"})
    c("conv2d.dil2_pad2_s3", "conv2d", F.conv2d, randn(1, 2, 11, 10), randn(2, 2, 3, 3), randn(2), {"stride": 3, "padding": 2, "dilation": 2})
    c("conv2d.unbatched", "conv2d", F.conv2d, randn(3, 6, 6), randn(4, 3, 3, 3), randn(4), {"padding": 1})
    c("conv2d.patchify", "conv2d", F.conv2d, randn(2, 3, 8, 8), randn(5, 3, 4, 4), randn(5), {"stride": 4})
    # conv3d
    c("conv3d.basic_bias", "conv3d", F.conv3d, randn(1, 2, 5, 6, 6), randn(4, 2, 3, 3, 3), randn(4), {})
    c("conv3d.groups2_stride_pad", "conv3d", F.conv3d, randn(1, 4, 5, 6, 6), randn(4, 2, 3, 3, 3), randn(4),
      {"groups": 2, "stride": [1, 2, 2], "padding": 1})
    c("conv3d.dil2", "conv3d", F.conv3d, randn(2, 2, 6, 6, 7), randn(3, 2, 2, 3, 3), None, {"dilation": [2, 1, 2], "padding": [1, 1, 0]})
    c("conv3d.depthwise", "conv3d", F.conv3d, randn(1, 3, 4, 5, 5), randn(3, 1, 3, 3, 3), randn(3), {"groups": 3, "padding": 1})
    c("conv3d.tubelet", "conv3d", F.conv3d, randn(1, 3, 4, 8, 8), randn(6, 3, 2, 4, 4), randn(6), {"stride": [2, 4, 4]})
    # convTranspose (weight [Cin, Cout/groups, k...])
    c("convTranspose1d.basic_bias", "convTranspose1d", F.conv_transpose1d, randn(2, 4, 6), randn(4, 3, 3), randn(3), {})
    c("convTranspose1d.s2_p1_op1", "convTranspose1d", F.conv_transpose1d, randn(2, 4, 6), randn(4, 3, 3), randn(3),
      {"stride": 2, "padding": 1, "outputPadding": 1})
    c("convTranspose1d.groups2_dil2", "convTranspose1d", F.conv_transpose1d, randn(1, 4, 5), randn(4, 2, 3), None,
      {"groups": 2, "dilation": 2, "stride": 3, "padding": 2, "outputPadding": 1})
    c("convTranspose2d.s2_p1_op1_bias", "convTranspose2d", F.conv_transpose2d, randn(1, 4, 5, 5), randn(4, 3, 3, 3), randn(3),
      {"stride": 2, "padding": 1, "outputPadding": 1})
    c("convTranspose2d.groups2_dil2", "convTranspose2d", F.conv_transpose2d, randn(2, 4, 4, 5), randn(4, 2, 3, 3), randn(4),
      {"groups": 2, "dilation": 2, "stride": [2, 1], "padding": [0, 1], "outputPadding": [1, 0]})
    c("convTranspose2d.depthwise_k4_s2", "convTranspose2d", F.conv_transpose2d, randn(1, 4, 4, 4), randn(4, 1, 4, 4), None,
      {"groups": 4, "stride": 2, "padding": 1})
    c("convTranspose2d.basic", "convTranspose2d", F.conv_transpose2d, randn(2, 3, 4, 4), randn(3, 2, 2, 3), None, {})
    c("convTranspose2d.unbatched", "convTranspose2d", F.conv_transpose2d, randn(3, 4, 4), randn(3, 2, 3, 3), randn(2), {"stride": 2})
    c("convTranspose3d.s2_p1_op1_bias", "convTranspose3d", F.conv_transpose3d, randn(1, 2, 3, 4, 4), randn(2, 3, 3, 3, 3), randn(3),
      {"stride": 2, "padding": 1, "outputPadding": 1})
    c("convTranspose3d.groups2_dil2", "convTranspose3d", F.conv_transpose3d, randn(1, 4, 3, 3, 4), randn(4, 1, 2, 3, 3), randn(2),
      {"groups": 2, "dilation": [1, 2, 2], "stride": [1, 2, 1], "padding": [0, 1, 1], "outputPadding": [0, 1, 0]})
    c("convTranspose3d.tubelet", "convTranspose3d", F.conv_transpose3d, randn(1, 6, 2, 2, 2), randn(6, 3, 2, 4, 4), randn(3), {"stride": [2, 4, 4]})


def pool(fx: Fixtures) -> None:
    fx.begin("pool")

    def mp(name, n, x, k, args):
        fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[n]
        kw = {"stride": args.get("stride"), "padding": args.get("padding", 0), "dilation": args.get("dilation", 1),
              "ceil_mode": args.get("ceilMode", False), "return_indices": args.get("returnIndices", False)}
        fx.add(name, f"maxPool{n}d", [x], {"kernelSize": k, **args}, lambda t: fn(t, k, **kw))

    def ap(name, n, x, k, args):
        fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[n]
        kw = {"stride": args.get("stride"), "padding": args.get("padding", 0), "ceil_mode": args.get("ceilMode", False),
              "count_include_pad": args.get("countIncludePad", True)}
        if n > 1:
            kw["divisor_override"] = args.get("divisorOverride")
        fx.add(name, f"avgPool{n}d", [x], {"kernelSize": k, **args}, lambda t: fn(t, k, **kw))

    x = randn(2, 3, 7, 7)
    x8 = randn(1, 2, 8, 8)
    mp("maxPool2d.k2", 2, x, 2, {})
    mp("maxPool2d.k3_s2_p1", 2, x, 3, {"stride": 2, "padding": 1})
    mp("maxPool2d.ceil", 2, x8, 3, {"stride": 2, "ceilMode": True})
    mp("maxPool2d.ceil_pad", 2, x, 3, {"stride": 2, "padding": 1, "ceilMode": True})
    mp("maxPool2d.dil2", 2, x, 2, {"stride": 1, "dilation": 2, "padding": 1})
    mp("maxPool2d.tuple", 2, x8, [2, 3], {"stride": [1, 2], "padding": [1, 0]})
    mp("maxPool2d.indices", 2, x, 3, {"stride": 2, "padding": 1, "returnIndices": True})
    mp("maxPool2d.unbatched", 2, randn(3, 6, 6), 2, {})
    ap("avgPool2d.k2", 2, x8, 2, {})
    ap("avgPool2d.k3_s2_p1_incl", 2, x, 3, {"stride": 2, "padding": 1})
    ap("avgPool2d.k3_s2_p1_excl", 2, x, 3, {"stride": 2, "padding": 1, "countIncludePad": False})
    ap("avgPool2d.ceil_incl", 2, x8, 3, {"stride": 2, "padding": 1, "ceilMode": True})
    ap("avgPool2d.ceil_excl", 2, x8, 3, {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False})
    ap("avgPool2d.ceil_nopad", 2, x, 2, {"ceilMode": True})
    ap("avgPool2d.divisor", 2, x, 3, {"stride": 2, "padding": 1, "divisorOverride": 5})
    ap("avgPool2d.tuple", 2, x8, [3, 2], {"stride": [2, 1], "padding": [1, 0]})

    y = randn(1, 2, 5, 6, 6)
    mp("maxPool3d.k2", 3, y, 2, {})
    mp("maxPool3d.k3_s2_p1_ceil", 3, y, 3, {"stride": 2, "padding": 1, "ceilMode": True})
    mp("maxPool3d.dil", 3, y, 2, {"stride": 1, "dilation": [1, 2, 2]})
    mp("maxPool3d.indices", 3, y, [2, 3, 3], {"stride": [1, 2, 2], "padding": [1, 1, 0], "returnIndices": True})
    ap("avgPool3d.k2", 3, y, 2, {})
    ap("avgPool3d.k3_s2_p1_excl", 3, y, 3, {"stride": 2, "padding": 1, "countIncludePad": False})
    ap("avgPool3d.k3_s2_p1_incl_ceil", 3, y, 3, {"stride": 2, "padding": 1, "ceilMode": True})
    ap("avgPool3d.ceil_excl", 3, y, 3, {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False})
    ap("avgPool3d.divisor", 3, y, [1, 2, 2], {"divisorOverride": 3})
    mp("maxPool1d.k3_s2_p1_ceil", 1, randn(2, 3, 10), 3, {"stride": 2, "padding": 1, "ceilMode": True})
    ap("avgPool1d.k3_s2_p1_excl", 1, randn(2, 3, 10), 3, {"stride": 2, "padding": 1, "countIncludePad": False})


def interpolate(fx: Fixtures) -> None:
    fx.begin("interpolate")

    def it(name, x, args, check=True):
        kw = {"mode": args["mode"]}
        if "size" in args:
            kw["size"] = args["size"]
        if "scaleFactor" in args:
            kw["scale_factor"] = args["scaleFactor"]
        if "alignCorners" in args:
            kw["align_corners"] = args["alignCorners"]
        fx.add(name, "interpolate", [x], args, lambda t: F.interpolate(t, **kw), selfcheck=check)

    x = randn(1, 2, 5, 6)
    # nearest index arithmetic is float32 in PyTorch: no float64 self-check for those
    it("interpolate.nearest2d.size_up", x, {"mode": "nearest", "size": [8, 9]}, check=False)
    it("interpolate.nearest2d.size_down", x, {"mode": "nearest", "size": [3, 4]}, check=False)
    it("interpolate.nearest2d.scale2", x, {"mode": "nearest", "scaleFactor": 2}, check=False)
    it("interpolate.nearest2d.scale1_5", x, {"mode": "nearest", "scaleFactor": 1.5}, check=False)
    it("interpolate.nearest2d.scale_0_5_1_7", x, {"mode": "nearest", "scaleFactor": [0.5, 1.7]}, check=False)
    it("interpolate.nearestExact2d.size_up", x, {"mode": "nearest-exact", "size": [8, 9]}, check=False)
    it("interpolate.nearestExact2d.scale1_5", x, {"mode": "nearest-exact", "scaleFactor": 1.5}, check=False)
    for ac in (False, True):
        tag = "ac" if ac else "noac"
        it(f"interpolate.bilinear.size_up.{tag}", x, {"mode": "bilinear", "size": [8, 9], "alignCorners": ac})
        it(f"interpolate.bilinear.size_down.{tag}", x, {"mode": "bilinear", "size": [3, 4], "alignCorners": ac})
        it(f"interpolate.bilinear.scale2.{tag}", x, {"mode": "bilinear", "scaleFactor": 2, "alignCorners": ac})
        it(f"interpolate.bilinear.scale1_5.{tag}", x, {"mode": "bilinear", "scaleFactor": 1.5, "alignCorners": ac})
        it(f"interpolate.bilinear.size1.{tag}", x, {"mode": "bilinear", "size": [1, 1], "alignCorners": ac})
        it(f"interpolate.bilinear.scale_0_6_2_5.{tag}", x, {"mode": "bilinear", "scaleFactor": [0.6, 2.5], "alignCorners": ac})
    y = randn(1, 2, 3, 4, 5)
    it("interpolate.nearest3d.size", y, {"mode": "nearest", "size": [5, 6, 7]}, check=False)
    it("interpolate.nearest3d.scale2", y, {"mode": "nearest", "scaleFactor": 2}, check=False)
    it("interpolate.nearest3d.scale_1_2_0_5", y, {"mode": "nearest", "scaleFactor": [1, 2, 0.5]}, check=False)
    for ac in (False, True):
        tag = "ac" if ac else "noac"
        it(f"interpolate.trilinear.size.{tag}", y, {"mode": "trilinear", "size": [5, 6, 7], "alignCorners": ac})
        it(f"interpolate.trilinear.scale2.{tag}", y, {"mode": "trilinear", "scaleFactor": 2, "alignCorners": ac})
        it(f"interpolate.trilinear.scale_1_5_1_0_7.{tag}", y, {"mode": "trilinear", "scaleFactor": [1.5, 1, 0.7], "alignCorners": ac})
    z = randn(2, 3, 6)
    it("interpolate.linear1d.size.noac", z, {"mode": "linear", "size": 10, "alignCorners": False})
    it("interpolate.linear1d.scale2_5.ac", z, {"mode": "linear", "scaleFactor": 2.5, "alignCorners": True})
    it("interpolate.nearest1d.scale2_5", z, {"mode": "nearest", "scaleFactor": 2.5}, check=False)


def indexing(fx: Fixtures) -> None:
    fx.begin("indexing")
    x = randn(3, 5)
    fx.add("gather.d1", "gather", [x, randint(0, 5, 3, 4)], {"dim": 1}, lambda t, i: torch.gather(t, 1, long(i)), roles=["input", "index"])
    fx.add("gather.d0", "gather", [x, randint(0, 3, 2, 5)], {"dim": 0}, lambda t, i: torch.gather(t, 0, long(i)), roles=["input", "index"])
    y = randn(2, 3, 4)
    fx.add("gather.3d_dlast", "gather", [y, randint(0, 4, 2, 2, 6)], {"dim": -1}, lambda t, i: torch.gather(t, -1, long(i)), roles=["input", "index"])
    fx.add("gather.3d_d1", "gather", [y, randint(0, 3, 1, 3, 2)], {"dim": 1}, lambda t, i: torch.gather(t, 1, long(i)), roles=["input", "index"])
    z = randn(4, 6)
    fx.add("indexSelect.d0_dups", "indexSelect", [z, torch.tensor([3, 0, 3, 1], dtype=torch.int32)], {"dim": 0},
           lambda t, i: torch.index_select(t, 0, long(i)), roles=["input", "index"])
    fx.add("indexSelect.d1", "indexSelect", [z, torch.tensor([5, 2], dtype=torch.int32)], {"dim": 1},
           lambda t, i: torch.index_select(t, 1, long(i)), roles=["input", "index"])
    fx.add("indexSelect.3d_dlast", "indexSelect", [y, torch.tensor([1, 1, 3], dtype=torch.int32)], {"dim": -1},
           lambda t, i: torch.index_select(t, -1, long(i)), roles=["input", "index"])
    w = randn(10, 4)
    fx.add("embedding.2d", "embedding", [randint(0, 10, 2, 3), w], {}, lambda i, ww: F.embedding(long(i), ww), roles=["indices", "weight"])
    fx.add("embedding.1d", "embedding", [torch.tensor([9, 0, 9, 4], dtype=torch.int32), w], {}, lambda i, ww: F.embedding(long(i), ww),
           roles=["indices", "weight"])
    base = randn(3, 5)
    idx = torch.tensor([[0, 1, 1, 4], [2, 2, 2, 2], [4, 3, 0, 0]], dtype=torch.int32)
    fx.add("scatterAdd.d1_dups", "scatterAdd", [base, idx, randn(3, 4)], {"dim": 1},
           lambda t, i, s: torch.scatter_add(t, 1, long(i), s), roles=["input", "index", "src"])
    idx0 = torch.tensor([[0, 2, 2, 1, 0], [0, 0, 1, 1, 2]], dtype=torch.int32)
    fx.add("scatterAdd.d0", "scatterAdd", [torch.zeros(3, 5), idx0, randn(2, 5)], {"dim": 0},
           lambda t, i, s: torch.scatter_add(t, 0, long(i), s), roles=["input", "index", "src"])
    idx3 = randint(0, 3, 2, 2, 3)
    fx.add("scatterAdd.3d_d1_src_larger", "scatterAdd", [randn(2, 3, 4), idx3, randn(2, 3, 4)], {"dim": 1},
           lambda t, i, s: torch.scatter_add(t, 1, long(i), s), roles=["input", "index", "src"])
    fx.add("oneHot.2d", "oneHot", [randint(0, 5, 2, 3)], {"numClasses": 5}, lambda i: F.one_hot(long(i), 5), roles=["indices"])
    fx.add("oneHot.1d", "oneHot", [torch.tensor([0, 3, 1], dtype=torch.int32)], {"numClasses": 4}, lambda i: F.one_hot(long(i), 4), roles=["indices"])


def shape_ops(fx: Fixtures) -> None:
    fx.begin("shape")
    x = randn(3, 4, 5)
    for d in (0, 1, -1):
        fx.add(f"cumsum.d{d}", "cumsum", [x], {"dim": d}, lambda t, dd=d: torch.cumsum(t, dd))
    fx.add("cumsum.long", "cumsum", [randn(2, 64)], {"dim": 1}, lambda t: torch.cumsum(t, 1))
    m = randn(4, 5)
    for op, fn in (("tril", torch.tril), ("triu", torch.triu)):
        for dg in (-1, 0, 1, 2):
            fx.add(f"{op}.diag{dg}", op, [m], {"diagonal": dg}, lambda t, f=fn, d=dg: f(t, d))
        fx.add(f"{op}.batched_diag-2", op, [randn(2, 3, 4)], {"diagonal": -2}, lambda t, f=fn: f(t, -2))
        fx.add(f"{op}.tall_diag1", op, [randn(5, 3)], {"diagonal": 1}, lambda t, f=fn: f(t, 1))
    # cat / stack
    a, b, c = randn(2, 3), randn(1, 3), randn(4, 3)
    fx.add("cat.d0", "cat", [a, b, c], {"dim": 0}, lambda *t: torch.cat(t, 0))
    fx.add("cat.with_empty", "cat", [randn(2, 3), torch.zeros(0, 3), randn(1, 3)], {"dim": 0}, lambda *t: torch.cat(t, 0))
    a, b = randn(2, 3, 1), randn(2, 3, 4)
    fx.add("cat.dlast", "cat", [a, b], {"dim": -1}, lambda *t: torch.cat(t, -1))
    a, b = randn(2, 2, 3), randn(2, 5, 3)
    fx.add("cat.d1", "cat", [a, b], {"dim": 1}, lambda *t: torch.cat(t, 1))
    a, b, c = randn(2, 3), randn(2, 3), randn(2, 3)
    for d in (0, 1, -1):
        fx.add(f"stack.d{d}", "stack", [a, b, c], {"dim": d}, lambda *t, dd=d: torch.stack(t, dd))
    # split / chunk (multi-output)
    s = randn(7, 4)
    fx.add("split.sizes", "split", [s], {"size": [2, 5], "dim": 0}, lambda t: torch.split(t, [2, 5], 0))
    fx.add("split.uneven", "split", [s], {"size": 3, "dim": 0}, lambda t: torch.split(t, 3, 0))
    fx.add("split.dlast", "split", [s], {"size": [1, 3], "dim": -1}, lambda t: torch.split(t, [1, 3], -1))
    fx.add("chunk.7by3", "chunk", [s], {"chunks": 3, "dim": 0}, lambda t: torch.chunk(t, 3, 0))
    fx.add("chunk.6by4", "chunk", [randn(6, 2)], {"chunks": 4, "dim": 0}, lambda t: torch.chunk(t, 4, 0))
    # pad
    x3 = randn(2, 3, 4)
    fx.add("pad.last", "pad", [x3], {"padding": [1, 2], "value": 0.0}, lambda t: F.pad(t, [1, 2]))
    fx.add("pad.two_dims_value", "pad", [x3], {"padding": [1, 0, 2, 1], "value": -1.5}, lambda t: F.pad(t, [1, 0, 2, 1], value=-1.5))
    fx.add("pad.all_dims", "pad", [x3], {"padding": [0, 1, 1, 1, 2, 0], "value": 3.0}, lambda t: F.pad(t, [0, 1, 1, 1, 2, 0], value=3.0))
    fx.add("pad.4d", "pad", [randn(1, 2, 3, 3)], {"padding": [1, 1, 1, 1], "value": 0.0}, lambda t: F.pad(t, [1, 1, 1, 1]))

    # einops-style rearrange, computed with torch reshape/permute
    def rearr(name, x, pattern, axes, fn):
        fx.add(name, "rearrange", [x], {"pattern": pattern, "axes": axes}, fn)

    v = randn(2, 3, 3, 4, 6)  # b t c (h p1) (w p2), p1 = p2 = 2
    rearr("rearrange.vivit_tubelets", v, "b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)", {"p1": 2, "p2": 2},
          lambda t: t.reshape(2, 3, 3, 2, 2, 3, 2).permute(0, 1, 3, 5, 4, 6, 2).reshape(2, 3, 6, 12))
    i4 = randn(2, 3, 4, 5)
    rearr("rearrange.flatten_hw", i4, "b c h w -> b (h w) c", {}, lambda t: t.permute(0, 2, 3, 1).reshape(2, 20, 3))
    s3 = randn(2, 12, 3)
    rearr("rearrange.unflatten_hw", s3, "b (h w) c -> b c h w", {"h": 3}, lambda t: t.reshape(2, 3, 4, 3).permute(0, 3, 1, 2))
    # DiT unpatchify: n (h w) (p q c) -> n c (h p) (w q)
    tok = randn(2, 6, 12)  # h=2, w=3, p=q=2, c=3
    rearr("rearrange.dit_unpatchify", tok, "n (h w) (p q c) -> n c (h p) (w q)", {"h": 2, "p": 2, "q": 2},
          lambda t: t.reshape(2, 2, 3, 2, 2, 3).permute(0, 5, 1, 3, 2, 4).reshape(2, 3, 4, 6))
    vid = randn(2, 3, 2, 4, 4)
    rearr("rearrange.bt_merge", vid, "b t c h w -> (b t) c h w", {}, lambda t: t.reshape(6, 2, 4, 4))
    fr = randn(6, 2, 3, 3)
    rearr("rearrange.bt_split_transpose", fr, "(b t) c h w -> b c t h w", {"t": 3},
          lambda t: t.reshape(2, 3, 2, 3, 3).permute(0, 2, 1, 3, 4))
    rearr("rearrange.ellipsis", vid, "b ... c -> b c ...", {}, lambda t: t.permute(0, 4, 1, 2, 3))
    # heads split for attention: b n (h d) -> b h n d
    qkv = randn(2, 5, 12)
    rearr("rearrange.heads", qkv, "b n (h d) -> b h n d", {"h": 3}, lambda t: t.reshape(2, 5, 3, 4).permute(0, 2, 1, 3))


FAMILIES = [elementwise, reductions, linalg, nn, conv, pool, interpolate, indexing, shape_ops]


def build() -> "OrderedDict[str, bytes]":
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    fx = Fixtures()
    for fam in FAMILIES:
        fam(fx)
    files: "OrderedDict[str, bytes]" = OrderedDict()
    for family, cases in fx.families.items():
        tensors = OrderedDict()
        metadata = {
            "__golden__": json.dumps(
                {"script": "tools/golden/gen_ops.py", "torch": torch.__version__, "seed": SEED, "family": family},
                separators=(",", ":"),
            )
        }
        for name, c in cases.items():
            tensors.update(c["tensors"])
            metadata[name] = json.dumps(c["meta"], separators=(",", ":"), allow_nan=False)
        files[f"ops_{family}.safetensors"] = serialize(tensors, metadata)
    files_summary = {f: len(b) for f, b in files.items()}
    n_cases = sum(len(c) for c in fx.families.values())
    worst = max(fx.selfcheck, key=lambda t: t[1]) if fx.selfcheck else None
    print(f"{n_cases} cases in {len(files)} files, {sum(files_summary.values())} bytes; "
          f"float64 self-check on {len(fx.selfcheck)} outputs, worst |f32 - f64| / tolerance: {worst[1]:.3g} ({worst[0]})", file=sys.stderr)
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    ap.add_argument("--out", default=OUT_DIR, help="output folder (default: %(default)s)")
    opts = ap.parse_args()
    files = build()
    total = sum(len(b) for b in files.values())
    if total >= 1_000_000:
        print(f"fixtures total {total} bytes, over the 1 MB budget", file=sys.stderr)
        return 1
    for fname, data in files.items():
        deserialize(data)  # round-trip sanity
        path = os.path.join(opts.out, fname)
        if opts.check:
            with open(path, "rb") as f:
                old = f.read()
            if old != data:
                print(f"{path}: differs from a fresh generation", file=sys.stderr)
                return 1
        else:
            os.makedirs(opts.out, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            print(f"wrote {os.path.relpath(path, ROOT)} ({len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
