#!/usr/bin/python3
"""Exports the bench's model cases (bench/src/cases.mjs) as ONNX and safetensors, with PyTorch 1.13.

    /usr/bin/python3 tools/export_onnx.py [--out bench/models] [--force]

Two models, with seeded random weights (the golden scripts' `randomize`), each written as
`<name>.onnx` (opset 17, static shapes, weights as initializers: what ONNX Runtime runs) and
`<name>.safetensors` (the same state dict, strict-loadable by Tessera's `loadStateDict`):

dit-s2      DiT-S/2 (facebookresearch/DiT): input 32x32x4 latent, learn_sigma, 1000 classes.
            ONNX inputs x [8, 4, 32, 32] float32, t [8] int64, y [8] int64 -> out [8, 8, 32, 32].
vivit       ViViT factorised encoder (rishikksh20): 8 frames, 64x64, patch 8, 3 channels,
            dim 192, depth 4, heads 3, dim_head 64, 10 classes, cls pooling.
            ONNX input x [4, 8, 3, 64, 64] float32 -> logits [4, 10].

The model classes are the PyTorch restatements in tools/golden/gen_dit.py and gen_vivit.py (same
state-dict names as Tessera's). `torch.onnx.export` does not need the `onnx` package. The .onnx of
DiT-S/2 is ~130 MB, so the files are generated on demand (bench/src/models.mjs), not committed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "golden"))
import gen_dit  # noqa: E402
import gen_vivit  # noqa: E402
from safetensors_io import serialize  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, ".."))
DEFAULT_OUT = os.path.join(ROOT, "bench", "models")
OPSET = 17

# Keep in step with MODEL_SPECS in bench/src/models.mjs.
DIT = dict(input_size=32, patch_size=2, in_channels=4, hidden_size=384, depth=12, num_heads=6, num_classes=1000, learn_sigma=True)
DIT_BATCH = 8
VIVIT = dict(image_size=64, patch_size=8, num_classes=10, num_frames=8, dim=192, depth=4, heads=3, in_channels=3, dim_head=64, scale_dim=4, pool="cls")
VIVIT_BATCH = 4


def write_safetensors(model, path, meta):
    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    data = serialize(tensors, metadata={"config": json.dumps(meta, sort_keys=True), "keys": json.dumps(list(tensors))})
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def export(model, args, path, input_names, output_names):
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, args, tmp, opset_version=OPSET, input_names=input_names, output_names=output_names,
                          do_constant_folding=True)
    os.replace(tmp, path)


def affine_layer_norms(model):
    """Gives every LayerNorm without affine parameters a weight of ones and a bias of zeros (same
    function): torch 1.13 exports a non-affine LayerNorm as LayerNormalization with an empty Scale
    input, which the ONNX checker rejects. Done after the state dict is written."""
    for name, m in list(model.named_modules()):
        if isinstance(m, torch.nn.LayerNorm) and not m.elementwise_affine:
            ln = torch.nn.LayerNorm(m.normalized_shape, eps=m.eps, elementwise_affine=True)
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(parent, name.rsplit(".", 1)[-1], ln)
    return model


class DiTForward(torch.nn.Module):
    """DiT.forward(x, t, y) with int64 t and y (as the ONNX graph takes them)."""

    def __init__(self, dit):
        super().__init__()
        self.dit = dit

    def forward(self, x, t, y):
        return self.dit(x, t, y)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--only", choices=["dit-s2", "vivit"], default=None)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    def wanted(name):
        done = all(os.path.exists(os.path.join(a.out, f"{name}.{ext}")) for ext in ("onnx", "safetensors"))
        return (a.only in (None, name)) and (a.force or not done)

    if wanted("dit-s2"):
        g = torch.Generator().manual_seed(1)
        model = gen_dit.DiT(**DIT)
        gen_dit.randomize(model, g)
        model.eval()
        x = torch.randn(DIT_BATCH, 4, 32, 32, generator=g)
        t = torch.randint(0, 1000, (DIT_BATCH,), generator=g)
        y = torch.randint(0, 1000, (DIT_BATCH,), generator=g)
        write_safetensors(model, os.path.join(a.out, "dit-s2.safetensors"), {"model": "DiT-S/2", **DIT})
        export(DiTForward(affine_layer_norms(model)).eval(), (x, t, y), os.path.join(a.out, "dit-s2.onnx"), ["x", "t", "y"], ["out"])
        print(f"wrote {a.out}/dit-s2.onnx, dit-s2.safetensors")

    if wanted("vivit"):
        g = torch.Generator().manual_seed(2)
        model = gen_vivit.ViViT(**VIVIT)
        gen_vivit.randomize(model, g)
        model.eval()
        x = torch.randn(VIVIT_BATCH, 8, 3, 64, 64, generator=g)
        meta = {gen_vivit.TS_NAMES[k]: v for k, v in VIVIT.items()}
        write_safetensors(model, os.path.join(a.out, "vivit.safetensors"), {"model": "ViViT", **meta})
        export(model, (x,), os.path.join(a.out, "vivit.onnx"), ["x"], ["logits"])
        print(f"wrote {a.out}/vivit.onnx, vivit.safetensors")


if __name__ == "__main__":
    main()
