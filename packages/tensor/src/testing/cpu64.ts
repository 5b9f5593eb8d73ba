/**
 * `cpu64`: the reference cpu kernels with float32 tensors held in float64. Not a product backend:
 * a high-precision oracle for tests (finite-difference gradient checks, golden comparisons), so a
 * check is not limited by float32 rounding. `read` returns a Float64Array for float32 tensors.
 * @module
 */
import { type Backend, type Kernel, findBackend, registerBackend } from '../backend.js';
import { type DType, type TypedArray } from '../dtype.js';
import { cpuBackend } from '../cpu/index.js';
import { withWideFloats } from '../cpu/util.js';
import { Tensor } from '../tensor.js';

function widen(data: TypedArray, dtype: DType): TypedArray {
  if (dtype !== 'float32') return data.slice();
  return Float64Array.from(data) as unknown as TypedArray;
}

const kernels: Record<string, Kernel> = {};
for (const [name, k] of Object.entries(cpuBackend.kernels)) {
  kernels[name] = (inputs, attrs, outputs) => withWideFloats(() => k(inputs, attrs, outputs));
}

/** The float64 cpu oracle. Register it with `useCpu64()`. */
export const cpu64Backend: Backend = {
  name: 'cpu64',
  upload: widen,
  read: async (buffer: unknown, _dtype: DType, size: number) => (buffer as TypedArray).slice(0, size),
  readSync: (buffer: unknown, _dtype: DType, size: number) => (buffer as TypedArray).slice(0, size),
  free: () => {},
  kernels,
};

/** Registers `cpu64` (once) without making it active; returns its name for `{ backend }` options. */
export function useCpu64(): 'cpu64' {
  if (!findBackend('cpu64')) registerBackend(cpu64Backend);
  return 'cpu64';
}


/** A float32-typed tensor on `cpu64` holding `data` exactly (no float32 rounding on the way in). */
export function fromFloat64(data: ArrayLike<number>, shape: readonly number[]): Tensor {
  useCpu64();
  return Tensor.fromBuffer(cpu64Backend, Float64Array.from(data), shape, 'float32');
}
