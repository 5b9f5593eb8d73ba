#!/usr/bin/python3
"""Golden fixtures for `@tessera/models`' ViViT, computed with PyTorch 1.13.

    /usr/bin/python3 tools/golden/gen_vivit.py            # writes packages/models/src/__golden__/vivit_*.safetensors
    /usr/bin/python3 tools/golden/gen_vivit.py --check    # regenerates in memory, compares with the files

The PyTorch models below are written from ../../shared/specs/models.md section 3 (einops is not
installed: every Rearrange is a reshape / permute). They are:

`ViViT`                      rishikksh20/ViViT-pytorch's factorised encoder (spec 3.1, the paper's
                             Model 2), exactly: input (B, T, C, H, W), `to_patch_embedding` =
                             Sequential(Rearrange, Linear), `pos_embedding (1, T, N+1, D)`,
                             `space_token`, `temporal_token`, PreNorm transformers with a final
                             LayerNorm, exact-erf GELU, `mlp_head` = Sequential(LayerNorm, Linear).
`ViViTSpatioTemporal`        the paper's Model 1 (joint attention over all tokens), in the same
                             PyTorch conventions: `cls_token`, `pos_embedding (1, 1 + nt·N, D)`,
                             one `transformer`.
`ViViTFactorisedSelfAttention`  Model 3: per layer PreNorm space attention (`layers.i.0`), PreNorm
                             time attention (`layers.i.1`), PreNorm FFN (`layers.i.2`);
                             `pos_embedding (1, nt, N, D)`, no CLS, mean pooling.
`ViViTFactorisedDotProduct`  Model 4: per layer one PreNorm attention whose first half of the heads
                             attend over time and second half over space (`layers.i.0`), PreNorm
                             FFN (`layers.i.1`); `pos_embedding (1, nt, N, D)`, mean pooling.

Every variant takes `tubelet=t`: the patch embedding becomes Sequential(Rearrange to
(B, C, T, H, W), Conv3d(C, D, (t, p, p), stride (t, p, p)), Rearrange to (B, nt, N, D)), so its
weight is still `to_patch_embedding.1.weight` (shape (D, C, t, p, p)).

One file per model class, one prefix `<case>/` per case in it:
`<case>/state/<key>` (the state dict, strict-loadable), `<case>/input` (B, T, C, H, W),
`<case>/logits`, and for cases with a backward pass `<case>/labels` (I32), `<case>/loss`
(cross-entropy, mean over the batch) and `<case>/grad/<key>` (every parameter's gradient).
`__metadata__[<case>]` is JSON: `model` (the class), `opts` (the constructor call with Tessera's
option names), `backward`, and `keys` (the state-dict keys in PyTorch's order).

Parameters are random (not the models' init): weights N(0, 1/fan_in), biases N(0, 0.1²), norm
weights 1 + N(0, 0.2²), tokens and position tables N(0, 1) (as rishikksh20 initialises them).
References are computed in float64 from those float32 values and stored as float32; the float32
PyTorch result is checked against them here with a quarter of the TS test's tolerance.
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
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import serialize, write_or_check  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(ROOT, "packages", "models", "src", "__golden__")
SEED = 0
# The TS check's tolerances (packages/models/src/vivit/golden.ts): logits and loss
# |a-b| <= 1e-4 + 1e-4·|b|; gradients |a-b| <= 1e-3·(|b| + 1e-2·max|b|).
OUT_TOL = 1e-4
GRAD_TOL = 1e-3
MAX_BYTES = 400_000


# ---------------------------------------------------------------------------------------------
# Building blocks (rishikksh20 `module.py`, spec 3.1)


class Rearrange(nn.Module):
    """A parameterless reshape/permute (einops' Rearrange layer, written by hand)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def patches_2d(p):
    """'b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)'."""

    def fn(x):
        b, t, c, H, W = x.shape
        h, w = H // p, W // p
        x = x.reshape(b, t, c, h, p, w, p).permute(0, 1, 3, 5, 4, 6, 2)
        return x.reshape(b, t, h * w, p * p * c)

    return fn


def patch_embedding(in_channels, dim, patch, tubelet):
    if tubelet is None:
        return nn.Sequential(Rearrange(patches_2d(patch)), nn.Linear(in_channels * patch * patch, dim))
    return nn.Sequential(
        Rearrange(lambda x: x.permute(0, 2, 1, 3, 4)),  # b t c h w -> b c t h w
        nn.Conv3d(in_channels, dim, (tubelet, patch, patch), stride=(tubelet, patch, patch)),
        Rearrange(lambda x: x.flatten(3).permute(0, 2, 3, 1)),  # b d t h w -> b t (h w) d
    )


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class FeedForward(nn.Module):
    def __init__(self, dim, hidden_dim, dropout=0.0):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden_dim, dim), nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


def split_heads(t, h):
    """'... n (h d) -> ... h n d'."""
    *lead, n, hd = t.shape
    return t.reshape(*lead, n, h, hd // h).transpose(-3, -2)


def merge_heads(t):
    """'... h n d -> ... n (h d)'."""
    *lead, h, n, d = t.shape
    return t.transpose(-3, -2).reshape(*lead, n, h * d)


class Attention(nn.Module):
    """rishikksh20 `module.Attention`: fused qkv without bias, q | k | v chunks, head-major."""

    def __init__(self, dim, heads=8, dim_head=64, dropout=0.0):
        super().__init__()
        inner = dim_head * heads
        project_out = not (heads == 1 and dim_head == dim)
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_qkv = nn.Linear(dim, inner * 3, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(dropout)) if project_out else nn.Identity()

    def forward(self, x):
        q, k, v = (split_heads(t, self.heads) for t in self.to_qkv(x).chunk(3, dim=-1))
        attn = (q @ k.transpose(-1, -2) * self.scale).softmax(dim=-1)
        return self.to_out(merge_heads(attn @ v))


class Transformer(nn.Module):
    def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0.0):
        super().__init__()
        self.layers = nn.ModuleList([])
        self.norm = nn.LayerNorm(dim)
        for _ in range(depth):
            self.layers.append(nn.ModuleList([
                PreNorm(dim, Attention(dim, heads=heads, dim_head=dim_head, dropout=dropout)),
                PreNorm(dim, FeedForward(dim, mlp_dim, dropout=dropout)),
            ]))

    def forward(self, x):
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return self.norm(x)


# ---------------------------------------------------------------------------------------------
# Model 2: rishikksh20's factorised encoder


class ViViT(nn.Module):
    def __init__(self, image_size, patch_size, num_classes, num_frames, dim=192, depth=4, heads=3, pool="cls",
                 in_channels=3, dim_head=64, dropout=0.0, emb_dropout=0.0, scale_dim=4, tubelet=None):
        super().__init__()
        assert pool in {"cls", "mean"}
        assert image_size % patch_size == 0
        num_patches = (image_size // patch_size) ** 2
        nt = num_frames if tubelet is None else num_frames // tubelet
        self.to_patch_embedding = patch_embedding(in_channels, dim, patch_size, tubelet)
        self.pos_embedding = nn.Parameter(torch.randn(1, nt, num_patches + 1, dim))
        self.space_token = nn.Parameter(torch.randn(1, 1, dim))
        self.space_transformer = Transformer(dim, depth, heads, dim_head, dim * scale_dim, dropout)
        self.temporal_token = nn.Parameter(torch.randn(1, 1, dim))
        self.temporal_transformer = Transformer(dim, depth, heads, dim_head, dim * scale_dim, dropout)
        self.dropout = nn.Dropout(emb_dropout)
        self.pool = pool
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, num_classes))

    def forward(self, x):
        x = self.to_patch_embedding(x)
        b, t, n, d = x.shape
        x = torch.cat((self.space_token.expand(b, t, 1, d), x), dim=2)
        x = x + self.pos_embedding[:, :, : n + 1]
        x = self.dropout(x)
        x = x.reshape(b * t, n + 1, d)
        x = self.space_transformer(x)
        x = x[:, 0].reshape(b, t, d)
        x = torch.cat((self.temporal_token.expand(b, 1, d), x), dim=1)
        x = self.temporal_transformer(x)
        x = x.mean(dim=1) if self.pool == "mean" else x[:, 0]
        return self.mlp_head(x)


# ---------------------------------------------------------------------------------------------
# Models 1, 3, 4 (paper / scenic semantics, rishikksh20 naming conventions)


class ViViTSpatioTemporal(nn.Module):
    """Model 1: a ViT over all nt·N tokens, CLS first, learned 1-D position table."""

    def __init__(self, image_size, patch_size, num_classes, num_frames, dim=192, depth=4, heads=3, pool="cls",
                 in_channels=3, dim_head=64, dropout=0.0, emb_dropout=0.0, scale_dim=4, tubelet=None):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        nt = num_frames if tubelet is None else num_frames // tubelet
        self.to_patch_embedding = patch_embedding(in_channels, dim, patch_size, tubelet)
        self.pos_embedding = nn.Parameter(torch.randn(1, nt * num_patches + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.transformer = Transformer(dim, depth, heads, dim_head, dim * scale_dim, dropout)
        self.dropout = nn.Dropout(emb_dropout)
        self.pool = pool
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, num_classes))

    def forward(self, x):
        x = self.to_patch_embedding(x)
        b, t, n, d = x.shape
        x = x.reshape(b, t * n, d)
        x = torch.cat((self.cls_token.expand(b, 1, d), x), dim=1)
        x = self.dropout(x + self.pos_embedding)
        x = self.transformer(x)
        x = x.mean(dim=1) if self.pool == "mean" else x[:, 0]
        return self.mlp_head(x)


class FactorisedSelfAttentionTransformer(nn.Module):
    """Model 3 layers: y = SA_space(LN(z)) + z; y' = SA_time(LN(y)) + y; z' = FF(LN(y')) + y'."""

    def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0.0, attention_order="space_time"):
        super().__init__()
        self.attention_order = attention_order
        self.layers = nn.ModuleList([])
        self.norm = nn.LayerNorm(dim)
        for _ in range(depth):
            self.layers.append(nn.ModuleList([
                PreNorm(dim, Attention(dim, heads=heads, dim_head=dim_head, dropout=dropout)),  # space
                PreNorm(dim, Attention(dim, heads=heads, dim_head=dim_head, dropout=dropout)),  # time
                PreNorm(dim, FeedForward(dim, mlp_dim, dropout=dropout)),
            ]))

    def forward(self, x):  # (b, t, n, d)
        b, t, n, d = x.shape

        def space(x, attn):
            return (attn(x.reshape(b * t, n, d)) + x.reshape(b * t, n, d)).reshape(b, t, n, d)

        def time(x, attn):
            xt = x.transpose(1, 2).reshape(b * n, t, d)
            return (attn(xt) + xt).reshape(b, n, t, d).transpose(1, 2)

        for s_attn, t_attn, ff in self.layers:
            if self.attention_order == "space_time":
                x = time(space(x, s_attn), t_attn)
            else:
                x = space(time(x, t_attn), s_attn)
            x = ff(x) + x
        return self.norm(x)


class FactorisedDotProductAttention(nn.Module):
    """Model 4: the first heads/2 heads attend over time (same spatial index), the rest over space."""

    def __init__(self, dim, heads=8, dim_head=64, dropout=0.0):
        super().__init__()
        assert heads % 2 == 0
        inner = dim_head * heads
        project_out = not (heads == 1 and dim_head == dim)
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_qkv = nn.Linear(dim, inner * 3, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(dropout)) if project_out else nn.Identity()

    def forward(self, x):  # (b, t, n, d)
        b, t, n, _ = x.shape
        h, hh = self.heads, self.heads // 2
        q, k, v = (z.reshape(b, t, n, h, -1) for z in self.to_qkv(x).chunk(3, dim=-1))

        def attend(q, k, v):  # (..., L, dh)
            return (q @ k.transpose(-1, -2) * self.scale).softmax(dim=-1) @ v

        # time heads: (b, n, hh, t, dh); space heads: (b, t, hh, n, dh)
        tq, tk, tv = (z[:, :, :, :hh].permute(0, 2, 3, 1, 4) for z in (q, k, v))
        sq, sk, sv = (z[:, :, :, hh:].permute(0, 1, 3, 2, 4) for z in (q, k, v))
        ot = attend(tq, tk, tv).permute(0, 3, 1, 2, 4)  # (b, t, n, hh, dh)
        os_ = attend(sq, sk, sv).permute(0, 1, 3, 2, 4)  # (b, t, n, hh, dh)
        out = torch.cat((ot, os_), dim=3).reshape(b, t, n, -1)
        return self.to_out(out)


class FactorisedDotProductTransformer(nn.Module):
    def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0.0):
        super().__init__()
        self.layers = nn.ModuleList([])
        self.norm = nn.LayerNorm(dim)
        for _ in range(depth):
            self.layers.append(nn.ModuleList([
                PreNorm(dim, FactorisedDotProductAttention(dim, heads=heads, dim_head=dim_head, dropout=dropout)),
                PreNorm(dim, FeedForward(dim, mlp_dim, dropout=dropout)),
            ]))

    def forward(self, x):
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return self.norm(x)


class _FactorisedBase(nn.Module):
    """Models 3 and 4: tokens (b, nt, N, d) + pos_embedding (1, nt, N, d), no CLS, mean pooling."""

    def __init__(self, transformer, image_size, patch_size, num_classes, num_frames, dim, in_channels, emb_dropout, tubelet):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        nt = num_frames if tubelet is None else num_frames // tubelet
        self.to_patch_embedding = patch_embedding(in_channels, dim, patch_size, tubelet)
        self.pos_embedding = nn.Parameter(torch.randn(1, nt, num_patches, dim))
        self.transformer = transformer
        self.dropout = nn.Dropout(emb_dropout)
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, num_classes))

    def forward(self, x):
        x = self.dropout(self.to_patch_embedding(x) + self.pos_embedding)
        x = self.transformer(x)
        return self.mlp_head(x.mean(dim=(1, 2)))


class ViViTFactorisedSelfAttention(_FactorisedBase):
    def __init__(self, image_size, patch_size, num_classes, num_frames, dim=192, depth=4, heads=3, in_channels=3,
                 dim_head=64, dropout=0.0, emb_dropout=0.0, scale_dim=4, tubelet=None, attention_order="space_time"):
        tr = FactorisedSelfAttentionTransformer(dim, depth, heads, dim_head, dim * scale_dim, dropout, attention_order)
        super().__init__(tr, image_size, patch_size, num_classes, num_frames, dim, in_channels, emb_dropout, tubelet)


class ViViTFactorisedDotProduct(_FactorisedBase):
    def __init__(self, image_size, patch_size, num_classes, num_frames, dim=192, depth=4, heads=4, in_channels=3,
                 dim_head=64, dropout=0.0, emb_dropout=0.0, scale_dim=4, tubelet=None):
        tr = FactorisedDotProductTransformer(dim, depth, heads, dim_head, dim * scale_dim, dropout)
        super().__init__(tr, image_size, patch_size, num_classes, num_frames, dim, in_channels, emb_dropout, tubelet)


# ---------------------------------------------------------------------------------------------
# Fixtures


def randomize(model: nn.Module, g: torch.Generator) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g)
            owner = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            if isinstance(owner, nn.LayerNorm):
                p.copy_(1 + 0.2 * r if name.endswith("weight") else 0.1 * r)
            elif isinstance(owner, (nn.Linear, nn.Conv3d)):
                p.copy_(r / (p[0].numel() ** 0.5) if name.endswith("weight") else 0.1 * r)
            else:  # tokens and position tables
                p.copy_(r)


def close(a, b, atol, rtol):
    return bool(((a.double() - b.double()).abs() <= atol + rtol * b.double().abs()).all())


def grad_close(a, b, rel):
    scale = b.double().abs().max().item()
    return bool(((a.double() - b.double()).abs() <= rel * (b.double().abs() + 1e-2 * scale)).all())


def self_check(what, a32, a64, grad=False):
    ok = grad_close(a32, a64, GRAD_TOL / 4) if grad else close(a32, a64, OUT_TOL / 4, OUT_TOL / 4)
    if not ok:
        err = (a32.double() - a64.double()).abs().max().item()
        raise SystemExit(f"self-check failed: float32 PyTorch strays from the float64 reference for {what} (max |diff| {err:.3g})")


def f32(t):
    return t.detach().to(torch.float32).contiguous()


def run(model, x, labels):
    model.zero_grad()
    logits = model(x)
    loss = None
    grads = {}
    if labels is not None:
        loss = F.cross_entropy(logits, labels.long())
        loss.backward()
        grads = {n: p.grad for n, p in model.named_parameters()}
    return logits, loss, grads


# Python keyword -> Tessera option name (the TS constructors take one options object).
TS_NAMES = {
    "image_size": "imageSize", "patch_size": "patchSize", "num_classes": "numClasses", "num_frames": "numFrames",
    "dim": "dim", "depth": "depth", "heads": "heads", "pool": "pool", "in_channels": "inChannels",
    "dim_head": "dimHead", "scale_dim": "scaleDim", "tubelet": "tubeletSize", "attention_order": "attentionOrder",
}


def case(g, tensors, meta, name, cls, kwargs, batch, backward):
    model = cls(**kwargs)
    randomize(model, g)
    model.eval()
    nf = kwargs["num_frames"]
    x = torch.randn(batch, nf, kwargs.get("in_channels", 3), kwargs["image_size"], kwargs["image_size"], generator=g)
    labels = torch.randint(0, kwargs["num_classes"], (batch,), generator=g).to(torch.int32) if backward else None
    l32, loss32, g32 = run(model, x, labels)
    m64 = copy.deepcopy(model).double()
    l64, loss64, g64 = run(m64, x.double(), labels)
    self_check(f"{name} logits", l32, l64)
    if backward:
        self_check(f"{name} loss", loss32, loss64)
        for k in g64:
            self_check(f"{name} grad {k}", g32[k], g64[k], grad=True)
    for k, v in model.state_dict().items():
        tensors[f"{name}/state/{k}"] = f32(v)
    tensors[f"{name}/input"] = x
    tensors[f"{name}/logits"] = f32(l64)
    if backward:
        tensors[f"{name}/labels"] = labels
        tensors[f"{name}/loss"] = f32(loss64)
        for k, v in g64.items():
            tensors[f"{name}/grad/{k}"] = f32(v)
    call = {
        "model": cls.__name__,
        "opts": {TS_NAMES[k]: v for k, v in kwargs.items()},
        "backward": backward,
        "keys": list(model.state_dict().keys()),  # PyTorch's order (the file sorts by name)
    }
    meta[name] = json.dumps(call, sort_keys=True)


SMALL = dict(image_size=8, patch_size=4, num_classes=5, dim=12, in_channels=3, dim_head=6, scale_dim=2)


def gen_factorised_encoder(g):
    tensors, meta = OrderedDict(), {}
    case(g, tensors, meta, "cls", ViViT, dict(SMALL, num_frames=3, depth=2, heads=2, pool="cls"), 2, True)
    # heads == 1 and dim_head == dim: to_out is Identity (no to_out.0 keys); mean pooling
    case(g, tensors, meta, "mean_identity_out", ViViT, dict(SMALL, num_frames=3, depth=1, heads=1, dim_head=12, pool="mean"), 2, True)
    case(g, tensors, meta, "tubelet", ViViT, dict(SMALL, num_frames=4, depth=1, heads=2, pool="cls", tubelet=2), 2, False)
    return tensors, meta


def gen_spatio_temporal(g):
    tensors, meta = OrderedDict(), {}
    case(g, tensors, meta, "cls", ViViTSpatioTemporal, dict(SMALL, num_frames=3, depth=2, heads=2, pool="cls"), 2, True)
    case(g, tensors, meta, "tubelet_mean", ViViTSpatioTemporal, dict(SMALL, num_frames=4, depth=1, heads=2, pool="mean", tubelet=2), 2, False)
    return tensors, meta


def gen_factorised_self_attention(g):
    tensors, meta = OrderedDict(), {}
    case(g, tensors, meta, "space_time", ViViTFactorisedSelfAttention, dict(SMALL, num_frames=3, depth=2, heads=2), 2, True)
    case(g, tensors, meta, "time_space_tubelet", ViViTFactorisedSelfAttention,
         dict(SMALL, num_frames=4, depth=1, heads=2, tubelet=2, attention_order="time_space"), 2, False)
    return tensors, meta


def gen_factorised_dot_product(g):
    tensors, meta = OrderedDict(), {}
    case(g, tensors, meta, "heads4", ViViTFactorisedDotProduct, dict(SMALL, num_frames=3, depth=2, heads=4, dim_head=4), 2, True)
    case(g, tensors, meta, "tubelet", ViViTFactorisedDotProduct, dict(SMALL, num_frames=4, depth=1, heads=2, tubelet=2), 2, False)
    return tensors, meta


FILES = (
    ("vivit_factorised_encoder.safetensors", gen_factorised_encoder),
    ("vivit_spatio_temporal.safetensors", gen_spatio_temporal),
    ("vivit_factorised_self_attention.safetensors", gen_factorised_self_attention),
    ("vivit_factorised_dot_product.safetensors", gen_factorised_dot_product),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(SEED)
    made = {"script": "tools/golden/gen_vivit.py", "torch": torch.__version__, "seed": str(SEED)}
    files = {}
    for fname, gen in FILES:
        tensors, meta = gen(g)
        files[fname] = serialize(tensors, {**meta, "__golden__": json.dumps(made, sort_keys=True)})
    total = sum(len(d) for d in files.values())
    if total > MAX_BYTES:
        raise SystemExit(f"fixtures too large: {total} bytes (limit {MAX_BYTES})")
    write_or_check(files, OUT_DIR, ROOT, args.check)
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
