/**
 * The reference `cpu` backend: typed arrays on the host and plain TypeScript kernels. It is the
 * oracle every other backend is tested against; it favours clarity over speed.
 * @module
 */
import { type Backend, type Kernel, registerBackend } from '../backend.js';
import { type DType, type TypedArray } from '../dtype.js';
import { kernels as elementwise } from './elementwise.js';
import { kernels as reduce } from './reduce.js';
import { kernels as linalg } from './matmul.js';
import { kernels as join } from './join.js';
import { kernels as indexing } from './indexing.js';
import { kernels as conv } from './conv.js';
import { kernels as pool } from './pool.js';
import { kernels as interpolate } from './interpolate.js';

const kernels: Record<string, Kernel> = {
  ...elementwise,
  ...reduce,
  ...linalg,
  ...join,
  ...indexing,
  ...conv,
  ...pool,
  ...interpolate,
};

/** The cpu backend object (registered on import of `@tessera/tensor`). */
export const cpuBackend: Backend = {
  name: 'cpu',
  upload: (data: TypedArray) => data.slice(),
  read: async (buffer: unknown, _dtype: DType, size: number) => (buffer as TypedArray).slice(0, size),
  readSync: (buffer: unknown, _dtype: DType, size: number) => (buffer as TypedArray).slice(0, size),
  free: () => {},
  kernels,
};

registerBackend(cpuBackend);
