#!/usr/bin/python3
"""Golden fixtures for `@tessera/autograd` optim, computed with PyTorch 1.13.

    /usr/bin/python3 tools/golden/gen_optim.py           # writes packages/autograd/src/__golden__/optim.safetensors
    /usr/bin/python3 tools/golden/gen_optim.py --check   # regenerates in memory, compares with the file

A fixed small problem: two float32 parameters (`init/p0` [3, 4], `init/p1` [5]) and a fixed sequence
of 20 gradients for each (`grads/p0` [20, 3, 4], `grads/p1` [20, 5]), so that the TypeScript test
replays the optimizers without autograd. For every case `<case>` the file holds the parameter
trajectory `<case>/p0` [21, 3, 4] and `<case>/p1` [21, 5] (row 0 is the initial value, row k the
value after step k), and the file's `__metadata__` holds under `<case>` the call as JSON, with
Tessera's (camelCase) names:

    {"optimizer": "AdamW", "options": {"lr": 0.01, "weightDecay": 0.1},
     "groups": [{"params": [0], ...}, ...],            (optional: parameter groups by index)
     "schedule": {...},                                (optional: an LR schedule stepped after each step)
     "clipGradNorm": 1.0}                              (optional: clip before each step)

Cases with clipping also store the total norm returned at each step as `<case>/norms` [20].

`__lr_traces__` holds, as JSON, the learning rates PyTorch's schedulers give over 30 steps for two
groups (base lr 0.1 and 0.02): `{name: {"schedule": {...}, "lrs": [[lr0, lr1], ...]}}`, where row t
is the lr used by the t-th optimizer step (0-based). Doubles are written with `repr`, exactly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings

import torch
from torch.optim import SGD, Adam, AdamW
from torch.optim import lr_scheduler as S

warnings.filterwarnings("ignore", category=UserWarning)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import deserialize, serialize  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "packages", "autograd", "src", "__golden__", "optim.safetensors")
SEED = 0
STEPS = 20
TRACE_STEPS = 30

OPTIMIZERS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}
# Tessera option name -> PyTorch keyword.
KW = {"lr": "lr", "momentum": "momentum", "dampening": "dampening", "weightDecay": "weight_decay",
      "nesterov": "nesterov", "maximize": "maximize", "betas": "betas", "eps": "eps", "amsgrad": "amsgrad"}

CASES = {
    "sgd": {"optimizer": "SGD", "options": {"lr": 0.1}},
    "sgd_momentum_dampening": {"optimizer": "SGD", "options": {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01}},
    "sgd_nesterov": {"optimizer": "SGD", "options": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 0.01}},
    "sgd_maximize": {"optimizer": "SGD", "options": {"lr": 0.05, "momentum": 0.5, "maximize": True}},
    "adam": {"optimizer": "Adam", "options": {"lr": 0.01}},
    "adam_wd_amsgrad": {"optimizer": "Adam", "options": {"lr": 0.01, "betas": [0.8, 0.99], "weightDecay": 0.1, "amsgrad": True}},
    "adamw": {"optimizer": "AdamW", "options": {"lr": 0.01, "weightDecay": 0.1}},
    "adamw_amsgrad": {"optimizer": "AdamW", "options": {"lr": 0.01, "weightDecay": 0.05, "amsgrad": True, "eps": 1e-6}},
    "adamw_maximize": {"optimizer": "AdamW", "options": {"lr": 0.003, "maximize": True}},
    "adam_groups": {"optimizer": "Adam", "options": {"lr": 0.01},
                    "groups": [{"params": [0]}, {"params": [1], "lr": 0.001, "weightDecay": 0.1}]},
    "adam_warmup_cosine": {"optimizer": "Adam", "options": {"lr": 0.05},
                           "schedule": {"type": "warmupCosine", "startFactor": 0.1, "warmupSteps": 5, "tMax": 15, "etaMin": 0.001}},
    "sgd_clip": {"optimizer": "SGD", "options": {"lr": 0.1, "momentum": 0.9}, "clipGradNorm": 1.0},
}

# Schedules for the lr traces. `lambda095` is LambdaLR with lambda t: 0.95 ** t.
TRACES = {
    "linear": {"type": "LinearLR", "startFactor": 0.25, "endFactor": 1.0, "totalIters": 8},
    "linear_default": {"type": "LinearLR"},
    "step": {"type": "StepLR", "stepSize": 7, "gamma": 0.5},
    "multistep": {"type": "MultiStepLR", "milestones": [3, 10, 10, 20], "gamma": 0.3},
    "exponential": {"type": "ExponentialLR", "gamma": 0.9},
    "cosine": {"type": "CosineAnnealingLR", "tMax": 10, "etaMin": 0.001},
    "lambda095": {"type": "LambdaLR"},
    "warmup_cosine": {"type": "warmupCosine", "startFactor": 0.1, "warmupSteps": 5, "tMax": 20, "etaMin": 0.0005},
    "linear_step": {"type": "SequentialLR", "parts": [
        {"type": "LinearLR", "startFactor": 0.5, "totalIters": 4},
        {"type": "StepLR", "stepSize": 5, "gamma": 0.5},
        {"type": "ExponentialLR", "gamma": 0.8}], "milestones": [4, 15]},
}


def make_scheduler(opt, spec):
    t = spec["type"]
    if t == "LinearLR":
        kw = {}
        if "startFactor" in spec: kw["start_factor"] = spec["startFactor"]
        if "endFactor" in spec: kw["end_factor"] = spec["endFactor"]
        if "totalIters" in spec: kw["total_iters"] = spec["totalIters"]
        return S.LinearLR(opt, **kw)
    if t == "StepLR":
        return S.StepLR(opt, step_size=spec["stepSize"], gamma=spec["gamma"])
    if t == "MultiStepLR":
        return S.MultiStepLR(opt, milestones=spec["milestones"], gamma=spec["gamma"])
    if t == "ExponentialLR":
        return S.ExponentialLR(opt, gamma=spec["gamma"])
    if t == "CosineAnnealingLR":
        return S.CosineAnnealingLR(opt, T_max=spec["tMax"], eta_min=spec["etaMin"])
    if t == "LambdaLR":
        return S.LambdaLR(opt, lr_lambda=lambda e: 0.95 ** e)
    if t == "warmupCosine":
        warm = S.LinearLR(opt, start_factor=spec["startFactor"], end_factor=1.0, total_iters=spec["warmupSteps"])
        cos = S.CosineAnnealingLR(opt, T_max=spec["tMax"], eta_min=spec["etaMin"])
        return S.SequentialLR(opt, [warm, cos], milestones=[spec["warmupSteps"]])
    if t == "SequentialLR":
        parts = [make_scheduler(opt, p) for p in spec["parts"]]
        return S.SequentialLR(opt, parts, milestones=spec["milestones"])
    raise ValueError(t)


def torch_kwargs(options):
    kw = {KW[k]: (tuple(v) if k == "betas" else v) for k, v in options.items()}
    return kw


def problem():
    g = torch.Generator().manual_seed(SEED)
    init = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g)]
    grads = [torch.randn(STEPS, 3, 4, generator=g), torch.randn(STEPS, 5, generator=g)]
    # Vary the scale over the steps so the moments see big and small gradients.
    scale = torch.tensor([2.0 ** ((k % 7) - 3) for k in range(STEPS)])
    grads = [grads[0] * scale.view(-1, 1, 1), grads[1] * scale.view(-1, 1)]
    return init, grads


def run_case(case, init, grads):
    params = [p.clone().requires_grad_(True) for p in init]
    cls = OPTIMIZERS[case["optimizer"]]
    if "groups" in case:
        groups = []
        for grp in case["groups"]:
            d = {KW[k]: v for k, v in grp.items() if k != "params"}
            d["params"] = [params[i] for i in grp["params"]]
            groups.append(d)
        opt = cls(groups, **torch_kwargs(case["options"]))
    else:
        opt = cls(params, **torch_kwargs(case["options"]))
    sched = make_scheduler(opt, case["schedule"]) if "schedule" in case else None
    traj = [[p.detach().clone()] for p in params]
    norms = []
    for k in range(STEPS):
        for p, g in zip(params, grads):
            p.grad = g[k].clone()
        if "clipGradNorm" in case:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, case["clipGradNorm"])))
        opt.step()
        if sched is not None:
            sched.step()
        for t, p in zip(traj, params):
            t.append(p.detach().clone())
    out = {"p0": torch.stack(traj[0]), "p1": torch.stack(traj[1])}
    if norms:
        out["norms"] = torch.tensor(norms, dtype=torch.float32)
    return out


def lr_trace(spec):
    ps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.02}], lr=0.1)
    sched = make_scheduler(opt, spec)
    lrs = []
    for _ in range(TRACE_STEPS):
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return lrs


def build():
    torch.manual_seed(SEED)
    init, grads = problem()
    tensors = {"init/p0": init[0], "init/p1": init[1], "grads/p0": grads[0], "grads/p1": grads[1]}
    meta = {"__golden__": json.dumps({"script": "tools/golden/gen_optim.py", "torch": torch.__version__, "seed": SEED, "steps": STEPS})}
    for name, case in CASES.items():
        for k, v in run_case(case, init, grads).items():
            tensors[f"{name}/{k}"] = v
        meta[name] = json.dumps(case)
    traces = {name: {"schedule": spec, "lrs": lr_trace(spec)} for name, spec in TRACES.items()}
    meta["__lr_traces__"] = json.dumps(traces)
    for v in tensors.values():
        assert v.dtype == torch.float32 and torch.isfinite(v).all()
    return serialize(tensors, meta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = ap.parse_args()
    data = build()
    if args.check:
        with open(OUT, "rb") as f:
            old = f.read()
        if old != data:
            a, ma = deserialize(old)
            b, mb = deserialize(data)
            diff = [k for k in sorted(set(a) | set(b)) if k not in a or k not in b or not (a[k] == b[k]).all()]
            diff += [k for k in sorted(set(ma) | set(mb)) if ma.get(k) != mb.get(k)]
            print(f"gen_optim: {OUT} differs: {', '.join(diff) or 'layout'}", file=sys.stderr)
            sys.exit(1)
        print(f"gen_optim: {OUT} is up to date")
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(data)
    print(f"gen_optim: wrote {OUT} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
