"""A tiny safetensors writer (and reader, for self-checks) for the golden-fixture scripts.

There is no `safetensors` Python package on the build machine, so the format is written here by
hand. Layout (huggingface/safetensors, README "Format"):

    8 bytes   N, the header length, unsigned little-endian
    N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}
              padded with spaces to a multiple of 8 bytes
    rest      the tensors' bytes, little-endian, row-major, back to back; data_offsets are
              [begin, end) relative to the first byte after the header

The tensors are laid out as the reference writer (`safetensors.torch.save_file`) lays them out:
sorted by descending dtype (the order of the reference `Dtype` enum, i.e. descending alignment),
then by name; `__metadata__` comes first in the header. So a file written here is byte-for-byte
what the real package would write for the same tensors and metadata, and what Tessera's
`serializeSafetensors` writes.

Usage:

    from safetensors_io import save_file, load_file
    save_file({"w": torch.randn(2, 3), "idx": torch.tensor([1, 2], dtype=torch.int32)},
              "out.safetensors", metadata={"note": "hello"})
    tensors, metadata = load_file("out.safetensors")   # dict of numpy arrays, dict of str

Accepts torch tensors or numpy arrays. No dtype is converted silently: pass int32 if the reader
wants I32 (Tessera reads I64 too, but golden scripts store indices as I32 for clarity).
"""

from __future__ import annotations

import json
import struct
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

# Position in the reference `Dtype` enum (the writer sorts by it, descending).
_RANK = {
    "BOOL": 0, "U8": 1, "I8": 2, "F8_E5M2": 3, "F8_E4M3": 4, "I16": 5, "U16": 6, "F16": 7,
    "BF16": 8, "I32": 9, "U32": 10, "F32": 11, "F64": 12, "I64": 13, "U64": 14,
}

_NP_TO_ST = {
    np.dtype(np.bool_): "BOOL",
    np.dtype(np.uint8): "U8",
    np.dtype(np.int8): "I8",
    np.dtype(np.int16): "I16",
    np.dtype(np.uint16): "U16",
    np.dtype(np.float16): "F16",
    np.dtype(np.int32): "I32",
    np.dtype(np.uint32): "U32",
    np.dtype(np.float32): "F32",
    np.dtype(np.float64): "F64",
    np.dtype(np.int64): "I64",
    np.dtype(np.uint64): "U64",
}
_ST_TO_NP = {v: k for k, v in _NP_TO_ST.items()}


def _to_bytes(value: Any) -> Tuple[str, list, bytes]:
    """(dtype, shape, little-endian bytes) of a torch tensor or numpy array."""
    try:  # torch is optional for this module
        import torch

        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous()
            if t.dtype == torch.bfloat16:
                raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
                return "BF16", list(t.shape), raw
            value = t.numpy()
    except ImportError:  # pragma: no cover
        pass
    arr = np.asarray(value)
    dt = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in ("=", "|") else arr.dtype
    if dt not in _NP_TO_ST:
        raise TypeError(f"safetensors_io: unsupported dtype {arr.dtype}")
    st = _NP_TO_ST[dt]
    le = np.ascontiguousarray(arr).astype(dt.newbyteorder("<"), copy=False)
    return st, [int(d) for d in arr.shape], le.tobytes()


def serialize(tensors: Mapping[str, Any], metadata: Optional[Mapping[str, str]] = None) -> bytes:
    """The safetensors bytes of `tensors` (name -> torch tensor or numpy array) and `metadata`."""
    if "__metadata__" in tensors:
        raise ValueError("safetensors_io: '__metadata__' is not a valid tensor name")
    items = []
    for name, value in tensors.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"safetensors_io: bad tensor name {name!r}")
        st, shape, raw = _to_bytes(value)
        items.append((name, st, shape, raw))
    items.sort(key=lambda it: (-_RANK[it[1]], it[0]))

    header: Dict[str, Any] = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"safetensors_io: metadata must map str to str, got {k!r}: {type(v).__name__}")
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    offset = 0
    for name, st, shape, raw in items:
        header[name] = {"dtype": st, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    hbytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    return struct.pack("<Q", len(hbytes)) + hbytes + b"".join(raw for _, _, _, raw in items)


def save_file(tensors: Mapping[str, Any], path: str, metadata: Optional[Mapping[str, str]] = None) -> int:
    """Writes `tensors` and `metadata` to `path`; returns the number of bytes written."""
    data = serialize(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def deserialize(data: bytes) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """Reads safetensors bytes back: (name -> numpy array, metadata). BF16 and F8 are not supported."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out: Dict[str, np.ndarray] = {}
    end_max = 0
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = _ST_TO_NP[info["dtype"]].newbyteorder("<")
        arr = np.frombuffer(data[base + b : base + e], dtype=dt).astype(dt.newbyteorder("="))
        out[name] = arr.reshape(info["shape"])
        end_max = max(end_max, e)
    if base + end_max != len(data):
        raise ValueError("safetensors_io: trailing bytes after the last tensor")
    return out, dict(metadata)


def load_file(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """Reads a safetensors file: (name -> numpy array, metadata)."""
    with open(path, "rb") as f:
        return deserialize(f.read())


def write_or_check(files: Mapping[str, bytes], out_dir: str, root: str, check: bool) -> None:
    """Writes serialized fixture files into `out_dir`, or with `check` compares them with the files
    there (naming the tensors that differ) and exits 1 on any difference or missing file."""
    import os

    os.makedirs(out_dir, exist_ok=True)
    bad = 0
    for fname, data in files.items():
        path = os.path.join(out_dir, fname)
        if check:
            try:
                with open(path, "rb") as f:
                    old = f.read()
            except FileNotFoundError:
                print(f"{fname}: missing")
                bad += 1
                continue
            if old != data:
                a, _ = deserialize(old)
                b, _ = deserialize(data)
                diff = sorted(k for k in set(a) | set(b) if k not in a or k not in b or a[k].shape != b[k].shape or (a[k] != b[k]).any())
                print(f"{fname}: differs ({', '.join(diff[:8]) or 'metadata'})")
                bad += 1
            else:
                print(f"{fname}: ok")
        else:
            with open(path, "wb") as f:
                f.write(data)
            print(f"wrote {os.path.relpath(path, root)} ({len(data)} bytes)")
    if bad:
        raise SystemExit(1)
