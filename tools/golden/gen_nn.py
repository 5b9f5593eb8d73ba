#!/usr/bin/python3
"""Golden fixtures for `@tessera/autograd`'s nn layers, computed with PyTorch 1.13.

    /usr/bin/python3 tools/golden/gen_nn.py            # writes packages/autograd/src/__golden__/nn_*.safetensors
    /usr/bin/python3 tools/golden/gen_nn.py --check    # regenerates in memory, compares with the files

Three files, read by packages/autograd/src/nn/golden.test.ts:

nn_model.safetensors
    A small model, conv2d -> GroupNorm -> SiLU -> flatten spatial -> attention (the timm/DiT
    layout, `qkv` and `proj`) -> MLP (nn.Sequential: Linear, GELU tanh, Linear) -> mean over tokens
    -> scalar loss (sum of squares). Tensors: `state/<key>` (the state dict, strict-loadable),
    `input`, `output` ([B, N, C], before the mean), `loss`, `grad/<key>` (every parameter's .grad
    after loss.backward()) and `grad_input`.

nn_mha.safetensors
    torch.nn.MultiheadAttention cases, one prefix `<case>/` each: `state/<key>`, `query`, `key`,
    `value`, optional `key_padding_mask` / `attn_mask`, `output`, optional `weights`, and
    `grad/<key>` for loss = sum(output * output_coef) with `output_coef` stored too. The call is in
    `__metadata__[<case>]` as JSON with Tessera's (camelCase) names.

nn_layers.safetensors
    Forward (and for some, backward) of single layers whose layout is easy to get wrong: grouped
    and strided transposed convolutions, 'same' padding, multi-dim LayerNorm, Embedding with
    padding_idx. `<case>/state/<key>`, `<case>/input`, `<case>/output`, `<case>/grad/<key>` when the
    case has a gradient; the constructor call in `__metadata__[<case>]`.

Parameters and inputs are random float32 (all non-zero, norms' weights around 1). References are
computed in float64 from those float32 values and stored as float32; the float32 PyTorch result is
checked against them here (a self-check of the reference against the tolerance the TS test uses).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import serialize, write_or_check  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(ROOT, "packages", "autograd", "src", "__golden__")
SEED = 0
# The TS test's tolerances: outputs |a-b| <= 1e-5 (+1e-5 relative), gradients 1e-4 relative.
OUT_TOL = 1e-5
GRAD_TOL = 1e-4


def randomize(module: nn.Module, g: torch.Generator) -> None:
    """Random non-zero parameters: weights of norms around 1, everything else N(0, 0.5²)-ish."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            r = torch.randn(p.shape, generator=g)
            owner = module.get_submodule(name.rsplit(".", 1)[0]) if "." in name else module
            if isinstance(owner, (nn.GroupNorm, nn.LayerNorm)) and name.endswith("weight"):
                p.copy_(1 + 0.2 * r)
            else:
                p.copy_(0.5 * r)


def close(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float) -> bool:
    return bool(((a.double() - b.double()).abs() <= atol + rtol * b.double().abs()).all())


def grad_close(a: torch.Tensor, b: torch.Tensor, rel: float) -> bool:
    """The TS test's gradient check: |a-b| <= rel·(|b| + max|b|·1e-2)."""
    scale = b.double().abs().max().item()
    return bool(((a.double() - b.double()).abs() <= rel * (b.double().abs() + 1e-2 * scale)).all())


def self_check(what: str, f32: torch.Tensor, f64: torch.Tensor, grad: bool = False) -> None:
    ok = grad_close(f32, f64, GRAD_TOL / 4) if grad else close(f32, f64, OUT_TOL / 4, OUT_TOL / 4)
    if not ok:
        err = (f32.double() - f64.double()).abs().max().item()
        raise SystemExit(f"self-check failed: float32 PyTorch strays from the float64 reference for {what} (max |diff| {err:.3g})")


def f32(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float32).contiguous()


# ---------------------------------------------------------------------------------------------
# nn_model: conv -> groupnorm -> silu -> tokens -> attention -> mlp -> mean -> loss


class Attention(nn.Module):
    """timm's Attention (as DiT uses it): qkv Linear(dim, 3·dim), proj Linear(dim, dim)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.GroupNorm(4, 8)
        self.act = nn.SiLU()
        self.attn = Attention(8, num_heads=2, qkv_bias=True)
        self.mlp = nn.Sequential(nn.Linear(8, 16), nn.GELU(approximate="tanh"), nn.Linear(16, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.norm(self.conv(x)))  # [B, C, H, W]
        h = h.flatten(2).transpose(1, 2)  # [B, H·W, C]
        h = self.attn(h)
        return self.mlp(h)


def model_loss(out: torch.Tensor) -> torch.Tensor:
    return out.mean(dim=1).square().sum()


def run_model(model: nn.Module, x: torch.Tensor):
    x = x.clone().requires_grad_(True)
    model.zero_grad()
    out = model(x)
    loss = model_loss(out)
    loss.backward()
    return out, loss, {n: p.grad for n, p in model.named_parameters()}, x.grad


def gen_model(g: torch.Generator):
    model = Tiny()
    randomize(model, g)
    x = torch.randn(2, 3, 4, 4, generator=g)
    out32, loss32, grads32, gx32 = run_model(model, x)
    model64 = copy.deepcopy(model).double()
    out, loss, grads, gx = run_model(model64, x.double())
    self_check("model output", out32, out)
    self_check("model loss", loss32, loss)
    for n in grads:
        self_check(f"model grad {n}", grads32[n], grads[n], grad=True)
    tensors = OrderedDict()
    for k, v in model.state_dict().items():
        tensors[f"state/{k}"] = f32(v)
    tensors["input"] = x
    tensors["output"] = f32(out)
    tensors["loss"] = f32(loss)
    for k, v in grads.items():
        tensors[f"grad/{k}"] = f32(v)
    tensors["grad_input"] = f32(gx)
    meta = {"model": "conv2d(3,8,3,p1) groupnorm(4,8) silu tokens attention(8,h2,qkv_bias) mlp(8,16,gelu-tanh,8); loss = sum(mean_tokens(out)^2)"}
    return tensors, meta


# ---------------------------------------------------------------------------------------------
# nn_mha: torch.nn.MultiheadAttention


def mha_case(g, name, *, E, H, L, S, N, batch_first, self_attn, kpm, attn_mask, need_weights, average=True, unbatched=False):
    mha = nn.MultiheadAttention(E, H, batch_first=batch_first)
    randomize(mha, g)

    def shape(T):
        if unbatched:
            return (T, E)
        return (N, T, E) if batch_first else (T, N, E)

    q = torch.randn(*shape(L), generator=g)
    k = q if self_attn else torch.randn(*shape(S), generator=g)
    v = q if self_attn else torch.randn(*shape(S), generator=g)
    coef = None
    tensors = OrderedDict()
    results = {}
    for dtype in (torch.float32, torch.float64):
        m = mha if dtype == torch.float32 else copy.deepcopy(mha).double()
        m.train()  # keeps PyTorch off its eval-mode fast path (a different kernel); dropout is 0
        qq = q.to(dtype)
        kk = qq if self_attn else k.to(dtype)
        vv = qq if self_attn else v.to(dtype)
        am = attn_mask.to(dtype) if attn_mask is not None and attn_mask.is_floating_point() else attn_mask
        out, w = m(qq, kk, vv, key_padding_mask=kpm, need_weights=need_weights, attn_mask=am, average_attn_weights=average)
        if coef is None:
            coef = torch.randn(out.shape, generator=g)
        m.zero_grad()
        (out * coef.to(dtype)).sum().backward()
        results[dtype] = (out, w, {n: p.grad for n, p in m.named_parameters()})
    (o32, w32, g32), (o, w, gr) = results[torch.float32], results[torch.float64]
    self_check(f"{name} output", o32, o)
    if w is not None:
        self_check(f"{name} weights", w32, w)
    for n in gr:
        self_check(f"{name} grad {n}", g32[n], gr[n], grad=True)
    for k_, v_ in mha.state_dict().items():
        tensors[f"{name}/state/{k_}"] = f32(v_)
    tensors[f"{name}/query"] = q
    if not self_attn:
        tensors[f"{name}/key"] = k
        tensors[f"{name}/value"] = v
    if kpm is not None:
        tensors[f"{name}/key_padding_mask"] = kpm
    if attn_mask is not None:
        tensors[f"{name}/attn_mask"] = attn_mask
    tensors[f"{name}/output"] = f32(o)
    if w is not None:
        tensors[f"{name}/weights"] = f32(w)
    tensors[f"{name}/output_coef"] = coef
    for k_, v_ in gr.items():
        tensors[f"{name}/grad/{k_}"] = f32(v_)
    call = {
        "embedDim": E,
        "numHeads": H,
        "batchFirst": batch_first,
        "selfAttention": self_attn,
        "needWeights": need_weights,
        "averageAttnWeights": average,
    }
    return tensors, call


def gen_mha(g: torch.Generator):
    E, H, L, S, N = 8, 2, 3, 5, 2
    tensors = OrderedDict()
    meta = {}
    # True = the key is padding (ignored). Batch 0 attends everything, batch 1 not its last two keys.
    kpm_s = torch.tensor([[False] * S, [False] * (S - 2) + [True, True]])
    kpm_l = torch.tensor([[False] * L, [False] * (L - 1) + [True]])
    causal = torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)  # True = may not attend
    cases = [
        ("seq_first_kpm", dict(batch_first=False, self_attn=False, kpm=kpm_s, attn_mask=None, need_weights=True)),
        ("batch_first_causal_kpm", dict(batch_first=True, self_attn=True, kpm=kpm_l, attn_mask=causal, need_weights=True, S=L)),
        ("batch_first_float_mask_3d", dict(batch_first=True, self_attn=False, kpm=kpm_s, attn_mask=0.5 * torch.randn(N * H, L, S, generator=g), need_weights=False)),
        ("unbatched_per_head", dict(batch_first=False, self_attn=False, kpm=None, attn_mask=None, need_weights=True, average=False, unbatched=True)),
    ]
    for name, kw in cases:
        args = dict(E=E, H=H, L=L, S=S, N=N)
        args.update(kw)
        t, call = mha_case(g, name, **args)
        tensors.update(t)
        meta[name] = json.dumps(call, sort_keys=True)
    return tensors, meta


# ---------------------------------------------------------------------------------------------
# nn_layers: single layers


def gen_layers(g: torch.Generator):
    tensors = OrderedDict()
    meta = {}
    cases = [
        # (name, layer, constructor call with Tessera's names, input shape, backward?)
        ("conv1d_same_dilated_grouped", nn.Conv1d(4, 6, 3, padding="same", dilation=2, groups=2),
         {"layer": "Conv1d", "args": [4, 6, 3], "opts": {"padding": "same", "dilation": 2, "groups": 2}}, (2, 4, 7), True),
        ("conv3d_strided", nn.Conv3d(2, 4, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
         {"layer": "Conv3d", "args": [2, 4, [1, 3, 3]], "opts": {"stride": [1, 2, 2], "padding": [0, 1, 1]}}, (1, 2, 2, 5, 5), True),
        ("convtranspose1d", nn.ConvTranspose1d(4, 6, 3, stride=2, groups=2, bias=False),
         {"layer": "ConvTranspose1d", "args": [4, 6, 3], "opts": {"stride": 2, "groups": 2, "bias": False}}, (2, 4, 5), True),
        ("convtranspose2d_grouped_outpad", nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
         {"layer": "ConvTranspose2d", "args": [4, 6, 3], "opts": {"stride": 2, "padding": 1, "outputPadding": 1, "groups": 2}}, (2, 4, 3, 4), True),
        ("convtranspose3d", nn.ConvTranspose3d(3, 2, (2, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
         {"layer": "ConvTranspose3d", "args": [3, 2, [2, 3, 3]], "opts": {"stride": [1, 2, 2], "padding": [0, 1, 1]}}, (1, 3, 2, 3, 3), True),
        ("layernorm_2d", nn.LayerNorm([4, 5], eps=1e-6),
         {"layer": "LayerNorm", "args": [[4, 5]], "opts": {"eps": 1e-6}}, (2, 3, 4, 5), True),
        ("groupnorm_no_affine", nn.GroupNorm(3, 6, affine=False),
         {"layer": "GroupNorm", "args": [3, 6], "opts": {"affine": False}}, (2, 6, 5), False),
        ("embedding_padding_idx", nn.Embedding(7, 4, padding_idx=2),
         {"layer": "Embedding", "args": [7, 4], "opts": {"paddingIdx": 2}}, None, True),
    ]
    for name, layer, call, in_shape, backward in cases:
        randomize(layer, g)
        if isinstance(layer, nn.Embedding):
            x = torch.tensor([[0, 2, 5], [2, 6, 1]], dtype=torch.int32)
        else:
            x = torch.randn(*in_shape, generator=g)
        coef = None
        results = {}
        for dtype in (torch.float32, torch.float64):
            m = layer if dtype == torch.float32 else copy.deepcopy(layer).double()
            xx = x.long() if isinstance(layer, nn.Embedding) else x.to(dtype)
            out = m(xx)
            if coef is None:
                coef = torch.randn(out.shape, generator=g)
            grads = {}
            if backward:
                m.zero_grad()
                (out * coef.to(dtype)).sum().backward()
                grads = {n: p.grad for n, p in m.named_parameters()}
            results[dtype] = (out, grads)
        (o32, g32), (o, gr) = results[torch.float32], results[torch.float64]
        self_check(f"{name} output", o32, o)
        for n in gr:
            self_check(f"{name} grad {n}", g32[n], gr[n], grad=True)
        for k, v in layer.state_dict().items():
            tensors[f"{name}/state/{k}"] = f32(v)
        tensors[f"{name}/input"] = x
        tensors[f"{name}/output"] = f32(o)
        if backward:
            tensors[f"{name}/output_coef"] = coef
            for k, v in gr.items():
                tensors[f"{name}/grad/{k}"] = f32(v)
        meta[name] = json.dumps({**call, "backward": backward}, sort_keys=True)
    return tensors, meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    made = {"script": "tools/golden/gen_nn.py", "torch": torch.__version__, "seed": str(SEED)}
    files = {}
    for fname, gen in (("nn_model.safetensors", gen_model), ("nn_mha.safetensors", gen_mha), ("nn_layers.safetensors", gen_layers)):
        tensors, meta = gen(g)
        meta = {**meta, "__golden__": json.dumps(made, sort_keys=True)}
        files[fname] = serialize(tensors, meta)
    write_or_check(files, OUT_DIR, ROOT, args.check)


if __name__ == "__main__":
    main()
