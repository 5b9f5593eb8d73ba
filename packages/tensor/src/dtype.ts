/**
 * Element types. Tessera keeps three: `float32` for values, `int32` for indices and counts,
 * `bool` for masks (stored one byte per element).
 * @module
 */
import { DTypeError } from './errors.js';

/** The element types a tensor can hold. */
export type DType = 'float32' | 'int32' | 'bool';

/** All dtypes, in promotion order (`bool` < `int32` < `float32`). */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32'];

/** The typed array that backs each dtype on the host. */
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Maps a dtype to its host typed array type. */
export interface DTypeArrayMap {
  /** float32 tensors read back as Float32Array. */
  float32: Float32Array;
  /** int32 tensors read back as Int32Array. */
  int32: Int32Array;
  /** bool tensors read back as Uint8Array (0 or 1). */
  bool: Uint8Array;
}

/** Bytes per element of a dtype. */
export function itemSize(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/** Allocates a zeroed host array for `size` elements of `dtype`. */
export function allocArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
    default:
      throw new DTypeError(`unknown dtype '${String(dtype)}' (expected float32, int32 or bool)`);
  }
}

/** Converts any numeric array to the host array of `dtype` (bool: nonzero -> 1). */
export function toTypedArray(values: ArrayLike<number | boolean>, dtype: DType): TypedArray {
  const out = allocArray(dtype, values.length);
  if (dtype === 'bool') {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  } else if (dtype === 'int32') {
    for (let i = 0; i < values.length; i++) out[i] = Math.trunc(Number(values[i]));
  } else {
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  }
  return out;
}

/** The dtype of the result of combining two dtypes, PyTorch-style (bool < int32 < float32). */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** Throws a `DTypeError` unless `dtype` is one of `allowed`. */
export function assertDType(op: string, arg: string, dtype: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(dtype)) {
    throw new DTypeError(`${op}: ${arg} has dtype ${dtype}, expected ${allowed.join(' or ')}`);
  }
}

/** Whether a value is a valid dtype name. */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32' || x === 'bool';
}
