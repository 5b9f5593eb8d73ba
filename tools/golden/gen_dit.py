#!/usr/bin/python3
"""Golden fixtures for `@tessera/models`' DiT and Gaussian diffusion, computed with PyTorch 1.13.

    /usr/bin/python3 tools/golden/gen_dit.py            # writes packages/models/src/__golden__/dit_*.safetensors
    /usr/bin/python3 tools/golden/gen_dit.py --check    # regenerates in memory, compares with the files

The DiT model and the diffusion functions below are this repository's own PyTorch restatement of
facebookresearch/DiT (`models.py`, `diffusion/`), written from ../shared/specs/models.md §1–2:
same module tree and state-dict names, same float32 steps (timestep frequencies and their
arguments, diffusion coefficients gathered from float64 tables then cast to float32).

Two files, read by packages/models/src/dit/golden.ts (run by dit/golden.test.ts):

dit_model.safetensors
    A small DiT (input 8x8, patch 2, 4 channels, hidden 32, depth 2, 4 heads, 10 classes,
    learn_sigma) with random NON-zero weights everywhere (adaLN and final layer included).
    `state/<key>`: the state dict (strict-loadable; pos_embed is the sin-cos table);
    `x`, `t`, `y`: inputs; `forward`: DiT.forward in eval mode; `cfg/y`, `cfg/out`:
    forward_with_cfg at scale 4 (second half of x ignored, 3 channels guided);
    `temb/t`, `temb/out`: the 256-wide timestep frequency features;
    `forced/y`, `forced/drop`, `forced/out`: y_embedder with force_drop_ids;
    `ddim/noise`, `ddim/labels`, `ddim/out`: a full DDIM (eta 0) loop over create_diffusion("10")
    with classifier-free guidance (scale 4, sample.py's recipe, clip_denoised False), first half kept.
    A random network is no denoiser: DDIM divides by √ᾱ_T ≈ 0.006 at the first step, so the
    samples reach |x| ~ 1e3 and the loop's check is relative to the output's scale.

dit_diffusion.safetensors
    `tables/<schedule>/<name>` (F64) at the indices `tables/index` (I32) of T=1000 linear and
    squaredcos_cap_v2; `respace/<i>` (I32) the kept timesteps of each string in the metadata key
    `respace` (JSON list, same order); `respace_betas/250` and `respace_betas/10` (F64);
    `pmv/<case>/{x,t,y,mean,variance,log_variance,pred_xstart}` for p_mean_variance cases described
    in metadata `pmv` (JSON); `loss/{x0,t,y,noise,loss,mse,vb}` for training_losses on
    create_diffusion("") with the DiT, and `loss/grad/<key>`: d mean(loss) / d param for a few
    parameters (the stop-gradient on the mean shows in the last layer's gradient).

References are computed in float64 from the float32 parameters and inputs (keeping the float32
steps the reference takes on purpose) and stored as float32; the float32 PyTorch result is
checked against them here with a quarter of the TS test's tolerances.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import serialize, write_or_check  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(ROOT, "packages", "models", "src", "__golden__")
SEED = 0
MAX_BYTES = 500_000
# The TS test's tolerances (|a-b| <= tol + tol·|b|): see packages/models/src/dit/golden.ts.
TOL = {"forward": 1e-5, "pmv": 1e-4, "loss": 1e-5, "ddim": 1e-4, "grad": 1e-4}

# ---------------------------------------------------------------------------------------------
# DiT (models.py)


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class PatchEmbed(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim):
        super().__init__()
        self.img_size, self.patch_size = img_size, patch_size
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size, bias=True)

    def forward(self, x):
        assert x.shape[2] == self.img_size and x.shape[3] == self.img_size
        return self.proj(x).flatten(2).transpose(1, 2)


def timestep_embedding(t, dim, max_period=10000, dtype=torch.float32):
    """[cos, sin] features; frequencies and their arguments in float32, as the reference."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half)
    args = (t[:, None].float() * freqs[None]).to(dtype)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class TimestepEmbedder(nn.Module):
    def __init__(self, hidden_size, frequency_embedding_size=256):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(frequency_embedding_size, hidden_size), nn.SiLU(), nn.Linear(hidden_size, hidden_size))
        self.frequency_embedding_size = frequency_embedding_size

    def forward(self, t):
        dtype = self.mlp[0].weight.dtype
        return self.mlp(timestep_embedding(t, self.frequency_embedding_size, dtype=dtype))


class LabelEmbedder(nn.Module):
    def __init__(self, num_classes, hidden_size, dropout_prob):
        super().__init__()
        self.embedding_table = nn.Embedding(num_classes + int(dropout_prob > 0), hidden_size)
        self.num_classes, self.dropout_prob = num_classes, dropout_prob

    def token_drop(self, labels, force_drop_ids=None):
        drop = torch.rand(labels.shape[0]) < self.dropout_prob if force_drop_ids is None else force_drop_ids == 1
        return torch.where(drop, self.num_classes, labels)

    def forward(self, labels, train, force_drop_ids=None):
        if (train and self.dropout_prob > 0) or force_drop_ids is not None:
            labels = self.token_drop(labels, force_drop_ids)
        return self.embedding_table(labels)


class Attention(nn.Module):
    """timm's Attention: qkv (3, heads, head_dim) channel order, scale head_dim^-0.5."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU(approximate="tanh")
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DiTBlock(nn.Module):
    def __init__(self, hidden_size, num_heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(hidden_size, num_heads)
        self.norm2 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(hidden_size, int(hidden_size * mlp_ratio))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 6 * hidden_size))

    def forward(self, x, c):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + gate_msa.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))
        x = x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))
        return x


class FinalLayer(nn.Module):
    def __init__(self, hidden_size, patch_size, out_channels):
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(hidden_size, patch_size * patch_size * out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 2 * hidden_size))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    omega = np.arange(embed_dim // 2, dtype=np.float64)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def get_2d_sincos_pos_embed(embed_dim, grid_size):
    grid_h = np.arange(grid_size, dtype=np.float32)
    grid_w = np.arange(grid_size, dtype=np.float32)
    grid = np.stack(np.meshgrid(grid_w, grid_h), axis=0).reshape([2, 1, grid_size, grid_size])  # w first
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])
    return np.concatenate([emb_h, emb_w], axis=1)


class DiT(nn.Module):
    def __init__(self, input_size=32, patch_size=2, in_channels=4, hidden_size=1152, depth=28, num_heads=16,
                 mlp_ratio=4.0, class_dropout_prob=0.1, num_classes=1000, learn_sigma=True):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = in_channels * 2 if learn_sigma else in_channels
        self.patch_size = patch_size
        self.x_embedder = PatchEmbed(input_size, patch_size, in_channels, hidden_size)
        self.t_embedder = TimestepEmbedder(hidden_size)
        self.y_embedder = LabelEmbedder(num_classes, hidden_size, class_dropout_prob)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.x_embedder.num_patches, hidden_size), requires_grad=False)
        self.blocks = nn.ModuleList([DiTBlock(hidden_size, num_heads, mlp_ratio=mlp_ratio) for _ in range(depth)])
        self.final_layer = FinalLayer(hidden_size, patch_size, self.out_channels)
        pe = get_2d_sincos_pos_embed(hidden_size, int(self.x_embedder.num_patches ** 0.5))
        self.pos_embed.data.copy_(torch.from_numpy(pe).float().unsqueeze(0))

    def unpatchify(self, x):
        c, p = self.out_channels, self.patch_size
        h = w = int(x.shape[1] ** 0.5)
        x = x.reshape(x.shape[0], h, w, p, p, c)
        x = torch.einsum("nhwpqc->nchpwq", x)
        return x.reshape(x.shape[0], c, h * p, w * p)

    def forward(self, x, t, y):
        x = self.x_embedder(x) + self.pos_embed
        c = self.t_embedder(t) + self.y_embedder(y, self.training)
        for block in self.blocks:
            x = block(x, c)
        return self.unpatchify(self.final_layer(x, c))

    def forward_with_cfg(self, x, t, y, cfg_scale):
        half = x[: len(x) // 2]
        model_out = self.forward(torch.cat([half, half], dim=0), t, y)
        eps, rest = model_out[:, :3], model_out[:, 3:]
        cond_eps, uncond_eps = torch.split(eps, len(eps) // 2, dim=0)
        half_eps = uncond_eps + cfg_scale * (cond_eps - uncond_eps)
        return torch.cat([torch.cat([half_eps, half_eps], dim=0), rest], dim=1)


# ---------------------------------------------------------------------------------------------
# Gaussian diffusion (diffusion/)


def get_named_beta_schedule(name, T):
    if name == "linear":
        scale = 1000 / T
        return np.linspace(scale * 0.0001, scale * 0.02, T, dtype=np.float64)
    if name == "squaredcos_cap_v2":
        f = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        return np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)])
    raise ValueError(name)


def mean_flat(x):
    return x.mean(dim=list(range(1, len(x.shape))))


def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + ((mean1 - mean2) ** 2) * torch.exp(-logvar2))


def approx_standard_normal_cdf(x):
    return 0.5 * (1.0 + torch.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * torch.pow(x, 3))))


def discretized_gaussian_log_likelihood(x, means, log_scales):
    centered_x = x - means
    inv_stdv = torch.exp(-log_scales)
    cdf_plus = approx_standard_normal_cdf(inv_stdv * (centered_x + 1.0 / 255.0))
    cdf_min = approx_standard_normal_cdf(inv_stdv * (centered_x - 1.0 / 255.0))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=1e-12))
    log_one_minus_cdf_min = torch.log((1.0 - cdf_min).clamp(min=1e-12))
    cdf_delta = cdf_plus - cdf_min
    return torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, torch.log(cdf_delta.clamp(min=1e-12))))


def extract(arr, t, x):
    """Index the float64 table, cast to float32 (the reference's `.float()`), then to x's dtype."""
    res = torch.from_numpy(arr)[t].float().to(x.dtype)
    return res.view(-1, *([1] * (x.ndim - 1))).expand(x.shape)


class GaussianDiffusion:
    def __init__(self, betas, mean_type="eps", var_type="learned_range", loss_type="mse"):
        self.mean_type, self.var_type, self.loss_type = mean_type, var_type, loss_type
        self.betas = betas = np.array(betas, dtype=np.float64)
        assert (betas > 0).all() and (betas <= 1).all()
        self.num_timesteps = len(betas)
        alphas = 1.0 - betas
        self.alphas_cumprod = np.cumprod(alphas, axis=0)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.alphas_cumprod_next = np.append(self.alphas_cumprod[1:], 0.0)
        self.sqrt_alphas_cumprod = np.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - self.alphas_cumprod)
        self.log_one_minus_alphas_cumprod = np.log(1.0 - self.alphas_cumprod)
        self.sqrt_recip_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod)
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod - 1)
        self.posterior_variance = betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_log_variance_clipped = np.log(np.append(self.posterior_variance[1], self.posterior_variance[1:]))
        self.posterior_mean_coef1 = betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - self.alphas_cumprod)

    def wrap(self, model):
        return model

    def q_sample(self, x0, t, noise):
        return extract(self.sqrt_alphas_cumprod, t, x0) * x0 + extract(self.sqrt_one_minus_alphas_cumprod, t, x0) * noise

    def q_posterior(self, x0, xt, t):
        mean = extract(self.posterior_mean_coef1, t, xt) * x0 + extract(self.posterior_mean_coef2, t, xt) * xt
        return mean, extract(self.posterior_variance, t, xt), extract(self.posterior_log_variance_clipped, t, xt)

    def predict_xstart_from_eps(self, xt, t, eps):
        return extract(self.sqrt_recip_alphas_cumprod, t, xt) * xt - extract(self.sqrt_recipm1_alphas_cumprod, t, xt) * eps

    def predict_eps_from_xstart(self, xt, t, x0):
        return (extract(self.sqrt_recip_alphas_cumprod, t, xt) * xt - x0) / extract(self.sqrt_recipm1_alphas_cumprod, t, xt)

    def p_mean_variance(self, model, x, t, clip_denoised=True):
        B, C = x.shape[:2]
        out = self.wrap(model)(x, t)
        if self.var_type == "learned_range":
            assert out.shape == (B, 2 * C, *x.shape[2:])
            out, v = torch.split(out, C, dim=1)
            min_log = extract(self.posterior_log_variance_clipped, t, x)
            max_log = extract(np.log(self.betas), t, x)
            frac = (v + 1) / 2
            log_var = frac * max_log + (1 - frac) * min_log
            var = torch.exp(log_var)
        else:
            table = {
                "fixed_large": np.append(self.posterior_variance[1], self.betas[1:]),
                "fixed_small": self.posterior_variance,
            }[self.var_type]
            log_table = np.log(table) if self.var_type == "fixed_large" else self.posterior_log_variance_clipped
            var, log_var = extract(table, t, x), extract(log_table, t, x)
        x0 = out if self.mean_type == "x0" else self.predict_xstart_from_eps(x, t, out)
        if clip_denoised:
            x0 = x0.clamp(-1, 1)
        mean, _, _ = self.q_posterior(x0, x, t)
        return {"mean": mean, "variance": var, "log_variance": log_var, "pred_xstart": x0}

    def ddim_sample(self, model, x, t, clip_denoised=True, eta=0.0):
        out = self.p_mean_variance(model, x, t, clip_denoised)
        eps = self.predict_eps_from_xstart(x, t, out["pred_xstart"])
        ab = extract(self.alphas_cumprod, t, x)
        abp = extract(self.alphas_cumprod_prev, t, x)
        sigma = eta * torch.sqrt((1 - abp) / (1 - ab)) * torch.sqrt(1 - ab / abp)
        mean_pred = out["pred_xstart"] * torch.sqrt(abp) + torch.sqrt(1 - abp - sigma ** 2) * eps
        assert eta == 0.0  # the golden loop is deterministic; noise would be masked by sigma = 0
        return mean_pred

    def ddim_sample_loop(self, model, noise, clip_denoised=True):
        img = noise
        for i in reversed(range(self.num_timesteps)):
            t = torch.tensor([i] * noise.shape[0])
            with torch.no_grad():
                img = self.ddim_sample(model, img, t, clip_denoised)
        return img

    def vb_terms_bpd(self, model, x0, xt, t, clip_denoised):
        true_mean, _, true_log_var = self.q_posterior(x0, xt, t)
        out = self.p_mean_variance(model, xt, t, clip_denoised)
        kl = mean_flat(normal_kl(true_mean, true_log_var, out["mean"], out["log_variance"])) / np.log(2.0)
        nll = mean_flat(-discretized_gaussian_log_likelihood(x0, out["mean"], 0.5 * out["log_variance"])) / np.log(2.0)
        return torch.where(t == 0, nll, kl)

    def training_losses(self, model, x0, t, noise):
        model = self.wrap(model)
        xt = self.q_sample(x0, t, noise)
        out = model(xt, t)
        C = x0.shape[1]
        eps, v = torch.split(out, C, dim=1)
        frozen = torch.cat([eps.detach(), v], dim=1)
        vb = self.vb_terms_bpd(lambda *a: frozen, x0, xt, t, False)
        mse = mean_flat((noise - eps) ** 2)
        return {"loss": mse + vb, "mse": mse, "vb": vb}


def space_timesteps(T, section_counts):
    if isinstance(section_counts, str):
        if section_counts.startswith("ddim"):
            desired = int(section_counts[len("ddim"):])
            for i in range(1, T):
                if len(range(0, T, i)) == desired:
                    return set(range(0, T, i))
            raise ValueError("no stride")
        section_counts = [int(x) for x in section_counts.split(",")]
    size_per, extra = T // len(section_counts), T % len(section_counts)
    start, steps = 0, []
    for i, count in enumerate(section_counts):
        size = size_per + (1 if i < extra else 0)
        assert size >= count
        stride = 1 if count <= 1 else (size - 1) / (count - 1)
        cur = 0.0
        for _ in range(count):
            steps.append(start + round(cur))
            cur += stride
        start += size
    return set(steps)


class SpacedDiffusion(GaussianDiffusion):
    def __init__(self, use_timesteps, betas, **kw):
        base = GaussianDiffusion(betas, **kw)
        last, new_betas, self.timestep_map = 1.0, [], []
        for i, ac in enumerate(base.alphas_cumprod):
            if i in use_timesteps:
                new_betas.append(1 - ac / last)
                last = ac
                self.timestep_map.append(i)
        super().__init__(np.array(new_betas), **kw)

    def wrap(self, model):
        m = torch.tensor(self.timestep_map)
        return lambda x, t: model(x, m[t])


def create_diffusion(respacing, schedule="linear", learn_sigma=True, sigma_small=False, predict_xstart=False, T=1000):
    respacing = [T] if respacing in (None, "") else respacing
    var = "learned_range" if learn_sigma else ("fixed_small" if sigma_small else "fixed_large")
    return SpacedDiffusion(space_timesteps(T, respacing), get_named_beta_schedule(schedule, T),
                           mean_type="x0" if predict_xstart else "eps", var_type=var)


# ---------------------------------------------------------------------------------------------
# Fixtures

CONFIG = dict(input_size=8, patch_size=2, in_channels=4, hidden_size=32, depth=2, num_heads=4, num_classes=10, learn_sigma=True)


def randomize(model, g):
    """Random non-zero parameters (adaLN and the final layer included); pos_embed stays sin-cos."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "pos_embed":
                continue
            r = torch.randn(p.shape, generator=g)
            if name.endswith("embedding_table.weight"):
                p.copy_(0.5 * r)
            elif name == "final_layer.linear.weight":
                p.copy_(0.3 * r / math.sqrt(p[0].numel()))  # outputs ~N(0, 0.5²): v mostly in [-1, 1]
            elif p.ndim >= 2:
                p.copy_(r / math.sqrt(p[0].numel()))  # ~unit-variance activations
            else:
                p.copy_(0.2 * r)


def f32(t):
    return t.detach().to(torch.float32).contiguous()


def check(what, a32, a64, tol, scaled=False):
    """|a32 - a64| <= tol/4·(1 + |a64|); `scaled`: <= tol/4·(|a64| + 1e-2·max|a64|) (the TS test's forms)."""
    a32, a64 = a32.double(), a64.double()
    floor = 1e-2 * a64.abs().max() if scaled else 1.0
    if not bool(((a32 - a64).abs() <= tol / 4 * (floor + a64.abs())).all()):
        raise SystemExit(f"self-check failed: float32 strays from the float64 reference for {what} (max |diff| {(a32 - a64).abs().max().item():.3g})")


def both(model, fn):
    """fn(model, dtype) in float32 and in float64 (a float64 copy of the model)."""
    m64 = copy.deepcopy(model).double()
    return fn(model, torch.float32), fn(m64, torch.float64)


def gen_model(g, model):
    tensors = OrderedDict((f"state/{k}", f32(v)) for k, v in model.state_dict().items())
    x = torch.randn(4, 4, 8, 8, generator=g)
    t = torch.tensor([0, 1, 500, 999])
    y = torch.tensor([3, 7, 10, 0])  # 10 = the null class
    o32, o64 = both(model, lambda m, d: m(x.to(d), t, y))
    check("forward", o32, o64, TOL["forward"])
    tensors.update({"x": x, "t": t.int(), "y": y.int(), "forward": f32(o64)})

    ycfg = torch.tensor([3, 7, 10, 10])
    c32, c64 = both(model, lambda m, d: m.forward_with_cfg(x.to(d), t, ycfg, 4.0))
    check("forward_with_cfg", c32, c64, TOL["forward"])
    tensors.update({"cfg/y": ycfg.int(), "cfg/out": f32(c64)})

    tt = torch.tensor([0, 1, 2, 500, 999])
    tensors.update({"temb/t": tt.int(), "temb/out": f32(timestep_embedding(tt, 256, dtype=torch.float64))})

    drop = torch.tensor([1, 0, 1, 0])
    tensors.update({"forced/y": y.int(), "forced/drop": drop.int(), "forced/out": f32(model.y_embedder(y, False, drop))})

    diffusion = create_diffusion("10")
    z = torch.randn(2, 4, 8, 8, generator=g)
    labels = torch.tensor([3, 7])
    yy = torch.cat([labels, torch.tensor([10, 10])])

    def ddim(m, d):
        zz = z.to(d)
        return diffusion.ddim_sample_loop(lambda xx, tt_: m.forward_with_cfg(xx, tt_, yy, 4.0), torch.cat([zz, zz]), clip_denoised=False)[:2]

    d32, d64 = both(model, ddim)
    check("ddim loop", d32, d64, TOL["ddim"], scaled=True)
    tensors.update({"ddim/noise": z, "ddim/labels": labels.int(), "ddim/out": f32(d64)})
    meta = {"config": json.dumps(CONFIG, sort_keys=True), "cfg_scale": "4.0", "ddim": json.dumps({"respacing": "10", "eta": 0, "cfg_scale": 4.0, "clip_denoised": False})}
    return tensors, meta


TABLES = ["betas", "alphas_cumprod", "alphas_cumprod_prev", "alphas_cumprod_next", "sqrt_alphas_cumprod",
          "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod",
          "sqrt_recipm1_alphas_cumprod", "posterior_variance", "posterior_log_variance_clipped",
          "posterior_mean_coef1", "posterior_mean_coef2"]
RESPACE = ["250", "100", "50", "25", "10", "7", "1", "ddim50", "ddim10", "10,15,20", "3,0,5"]


def gen_diffusion(g, model):
    tensors, meta = OrderedDict(), {}
    index = sorted(set(range(10)) | set(range(0, 1000, 37)) | {499, 500, 501} | set(range(990, 1000)))
    tensors["tables/index"] = torch.tensor(index, dtype=torch.int32)
    for sched in ("linear", "squaredcos_cap_v2"):
        d = GaussianDiffusion(get_named_beta_schedule(sched, 1000))
        for name in TABLES:
            tensors[f"tables/{sched}/{name}"] = np.asarray(getattr(d, name))[index].astype(np.float64)
    for i, s in enumerate(RESPACE):
        tensors[f"respace/{i}"] = torch.tensor(sorted(space_timesteps(1000, s)), dtype=torch.int32)
    meta["respace"] = json.dumps(RESPACE)
    for s in ("250", "10"):
        tensors[f"respace_betas/{s}"] = create_diffusion(s).betas.astype(np.float64)

    cases = {
        "learned_range_eps": dict(respacing="50", kw={}, clip=False, t=[0, 1, 25, 49]),
        "fixed_large_x0": dict(respacing="", kw=dict(learn_sigma=False, predict_xstart=True), clip=True, t=[0, 1, 500, 999]),
        "fixed_small_eps": dict(respacing="ddim25", kw=dict(learn_sigma=False, sigma_small=True), clip=True, t=[0, 3, 12, 24]),
    }
    y = torch.tensor([1, 2, 10, 9])
    for name, c in cases.items():
        diffusion = create_diffusion(c["respacing"], **c["kw"])
        x = torch.randn(4, 4, 8, 8, generator=g)
        t = torch.tensor(c["t"])
        learned = diffusion.var_type == "learned_range"

        def run(m, d):
            fn = (lambda xx, tt: m(xx, tt, y)) if learned else (lambda xx, tt: m(xx, tt, y)[:, :4])
            with torch.no_grad():
                return diffusion.p_mean_variance(fn, x.to(d), t, clip_denoised=c["clip"])

        r32, r64 = both(model, run)
        pre = f"pmv/{name}"
        tensors.update({f"{pre}/x": x, f"{pre}/t": t.int(), f"{pre}/y": y.int()})
        for k in ("mean", "variance", "log_variance", "pred_xstart"):
            check(f"{name} {k}", r32[k], r64[k], TOL["pmv"])
            tensors[f"{pre}/{k}"] = f32(r64[k])
    meta["pmv"] = json.dumps({n: {"respacing": c["respacing"], **{k: v for k, v in c["kw"].items()}, "clip_denoised": c["clip"], "model": "forward(x,t,y)" + ("" if not c["kw"] else "[:, :4]")} for n, c in cases.items()}, sort_keys=True)

    diffusion = create_diffusion("")
    x0 = torch.randn(4, 4, 8, 8, generator=g).clamp(-1, 1)  # exact ±1 entries exercise the edge bins
    noise = torch.randn(4, 4, 8, 8, generator=g)
    t = torch.tensor([0, 3, 500, 999])
    grad_keys = ["final_layer.linear.weight", "final_layer.linear.bias", "blocks.1.attn.qkv.weight", "y_embedder.embedding_table.weight"]

    def loss_fn(m, d):
        m.zero_grad()
        out = diffusion.training_losses(lambda xx, tt: m(xx, tt, y), x0.to(d), t, noise.to(d))
        out["loss"].mean().backward()
        params = dict(m.named_parameters())
        return {**out, **{f"grad/{k}": params[k].grad.clone() for k in grad_keys}}

    l32, l64 = both(model, loss_fn)
    tensors.update({"loss/x0": x0, "loss/t": t.int(), "loss/y": y.int(), "loss/noise": noise})
    for k in ("loss", "mse", "vb"):
        check(f"training loss {k}", l32[k], l64[k], TOL["loss"])
        tensors[f"loss/{k}"] = f32(l64[k])
    for k in grad_keys:
        check(f"grad {k}", l32[f"grad/{k}"], l64[f"grad/{k}"], TOL["grad"], scaled=True)
        tensors[f"loss/grad/{k}"] = f32(l64[f"grad/{k}"])
    meta["loss"] = json.dumps({"respacing": "", "model": "forward(x,t,y)", "reduce": "mean over batch", "grads": grad_keys})
    return tensors, meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(SEED)
    model = DiT(**CONFIG).eval()
    randomize(model, g)
    made = {"script": "tools/golden/gen_dit.py", "torch": torch.__version__, "seed": str(SEED)}
    files = {}
    for fname, gen in (("dit_model.safetensors", gen_model), ("dit_diffusion.safetensors", gen_diffusion)):
        tensors, meta = gen(g, model)
        files[fname] = serialize(tensors, {**meta, "__golden__": json.dumps(made, sort_keys=True)})
    total = sum(len(v) for v in files.values())
    if total > MAX_BYTES:
        raise SystemExit(f"fixtures are {total} bytes, over the {MAX_BYTES}-byte budget")
    write_or_check(files, OUT_DIR, ROOT, args.check)
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
