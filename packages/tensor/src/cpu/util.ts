/**
 * Helpers for the reference cpu kernels: strided reads, broadcast offsets, index iteration.
 * Plain and obvious on purpose: these kernels are the oracle other backends are checked against.
 * @module
 */
import type { OutputSpec, TensorView } from '../backend.js';
import { type DType, type TypedArray, allocArray } from '../dtype.js';
import { contiguousStrides, sizeOf } from '../shape.js';

let wideFloats = false;

/**
 * Runs `fn` with float32 results stored as float64 arrays. Only the `cpu64` oracle of
 * `@tessera/tensor/testing` uses this: the same kernels, without float32 rounding, for finite
 * differences and other high-precision references.
 */
export function withWideFloats<T>(fn: () => T): T {
  const prev = wideFloats;
  wideFloats = true;
  try {
    return fn();
  } finally {
    wideFloats = prev;
  }
}

/** A zeroed host array for `size` elements of `dtype` (float64 for float32 inside `withWideFloats`). */
export function hostArray(dtype: DType, size: number): TypedArray {
  return dtype === 'float32' && wideFloats ? (new Float64Array(size) as unknown as TypedArray) : allocArray(dtype, size);
}

/** The backing array of a cpu view. */
export function arr(v: TensorView): TypedArray {
  return v.buffer as TypedArray;
}

/** Calls `fn(flatIndex, multiIndex)` for every index of `shape` in row-major order. */
export function forEachIndex(shape: readonly number[], fn: (flat: number, idx: number[]) => void): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(flat, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/**
 * For each element of `outShape` (row-major), the offset into `v`'s buffer of the element that
 * broadcasts to it. `v.shape` must broadcast to `outShape`.
 */
export function broadcastOffsets(v: TensorView, outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const lead = rank - v.shape.length;
  const strides = outShape.map((_, i) => (i < lead || v.shape[i - lead] === 1 ? 0 : v.strides[i - lead]!));
  const out = new Int32Array(sizeOf(outShape));
  forEachIndex(outShape, (flat, idx) => {
    let o = v.offset;
    for (let d = 0; d < rank; d++) o += idx[d]! * strides[d]!;
    out[flat] = o;
  });
  return out;
}

/** The elements of `v` as a new contiguous array of its dtype. */
export function readContiguous(v: TensorView): TypedArray {
  const src = arr(v);
  const offs = broadcastOffsets(v, v.shape);
  const out = hostArray(v.dtype, offs.length);
  for (let i = 0; i < offs.length; i++) out[i] = src[offs[i]!]!;
  return out;
}

/** The elements of `v` as float64, contiguous: kernels accumulate in double precision. */
export function readF64(v: TensorView): Float64Array {
  const src = arr(v);
  const offs = broadcastOffsets(v, v.shape);
  const out = new Float64Array(offs.length);
  for (let i = 0; i < offs.length; i++) out[i] = src[offs[i]!]!;
  return out;
}

/** A zeroed output array for an output spec. */
export function alloc(spec: OutputSpec): TypedArray {
  return hostArray(spec.dtype, sizeOf(spec.shape));
}

/** Row-major strides (re-exported for kernels). */
export { contiguousStrides, sizeOf };
