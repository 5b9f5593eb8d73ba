/**
 * Creation: tensors from data, constants, ranges, identity and random tensors. Values are made on
 * the host and uploaded to the active backend (or `opts.backend`), so random tensors are the same
 * on every backend for a given seed.
 * @module
 */
import { type Backend, findBackend, getBackend } from '../backend.js';
import { type DType, type TypedArray, allocArray, isDType, toTypedArray } from '../dtype.js';
import { ArgumentError, BackendError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { type Generator, defaultGenerator } from '../random.js';
import { checkShape, sizeOf } from '../shape.js';
import { type NestedArray, Tensor } from '../tensor.js';
import { checkInt } from './util.js';

/** Options shared by creation functions. */
export interface CreateOptions {
  /** Element type (default float32, or inferred from data). */
  dtype?: DType;
  /** Backend name (default: the active backend). */
  backend?: string;
}

/** Options of random creation functions. */
export interface RandomOptions extends CreateOptions {
  /** Generator to draw from (default: the global one seeded by `manualSeed`). */
  generator?: Generator;
}

function pickBackend(op: string, name?: string): Backend {
  if (name === undefined) return getBackend();
  const b = findBackend(name);
  if (!b) throw new BackendError(`${op}: no backend named '${name}' is registered`);
  return b;
}

function make(op: string, data: TypedArray, shape: readonly number[], dtype: DType, backend?: string): Tensor {
  const b = pickBackend(op, backend);
  return Tensor.fromBuffer(b, b.upload(data, dtype), shape, dtype);
}

function dtypeOf(op: string, dtype: DType | undefined, dflt: DType): DType {
  const d = dtype ?? dflt;
  if (!isDType(d)) throw new DTypeError(`${op}: unknown dtype '${String(d)}' (expected float32, int32 or bool)`);
  return d;
}

function inferNested(op: string, data: NestedArray): { shape: number[]; flat: (number | boolean)[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as NestedArray;
    if (probe === undefined) break;
  }
  const flat: (number | boolean)[] = [];
  const walk = (v: NestedArray, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new ShapeError(`${op}: ragged nested array at ${path || 'top'}: expected a scalar, got an array`);
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ArgumentError(`${op}: element at ${path} is ${typeof v}, expected a number or boolean`);
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`${op}: ragged nested array at ${path || 'top'}: expected length ${shape[depth]}, got ${Array.isArray(v) ? v.length : 'a scalar'}`);
    }
    v.forEach((x, i) => walk(x, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  return { shape, flat };
}

/**
 * A tensor from nested arrays, a typed array or a scalar. Typed arrays keep their kind
 * (Float32Array → float32, Int32Array → int32, Uint8Array → bool) unless `dtype` says otherwise;
 * nested booleans give bool, other numbers float32.
 */
export function tensor(data: NestedArray | TypedArray | ArrayLike<number>, opts: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  let flat: ArrayLike<number | boolean>;
  let shape: number[];
  let dflt: DType = 'float32';
  if (ArrayBuffer.isView(data)) {
    flat = data as TypedArray;
    shape = [flat.length];
    if (data instanceof Int32Array) dflt = 'int32';
    else if (data instanceof Uint8Array) dflt = 'bool';
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    flat = [data];
    shape = [];
    if (typeof data === 'boolean') dflt = 'bool';
  } else {
    const r = inferNested('tensor', data as NestedArray);
    flat = r.flat;
    shape = r.shape;
    if (r.flat.length > 0 && typeof r.flat[0] === 'boolean') dflt = 'bool';
  }
  if (opts.shape) {
    const s = checkShape('tensor', opts.shape);
    if (sizeOf(s) !== flat.length) {
      throw new ShapeError(`tensor: shape ${fmtShape(s)} needs ${sizeOf(s)} elements, data has ${flat.length}`);
    }
    shape = s;
  }
  const dtype = dtypeOf('tensor', opts.dtype, dflt);
  return make('tensor', toTypedArray(flat, dtype), shape, dtype, opts.backend);
}

/** Alias of `tensor` for flat data with an explicit shape. */
export function fromArray(data: TypedArray | ArrayLike<number>, shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return tensor(data, { ...opts, shape });
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number | boolean, opts: CreateOptions = {}): Tensor {
  const s = checkShape('full', shape);
  const dtype = dtypeOf('full', opts.dtype, typeof value === 'boolean' ? 'bool' : 'float32');
  const data = allocArray(dtype, sizeOf(s));
  data.fill(typeof value === 'boolean' ? Number(value) : value);
  return make('full', data, s, dtype, opts.backend);
}

/** Zeros of `shape`. */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/** Ones of `shape`. */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** Zeros shaped like `x` (same dtype and backend unless overridden). */
export function zerosLike(x: Tensor, opts: CreateOptions = {}): Tensor {
  return full(x.shape, 0, { dtype: x.dtype, backend: x.backend.name, ...opts });
}

/** Ones shaped like `x`. */
export function onesLike(x: Tensor, opts: CreateOptions = {}): Tensor {
  return full(x.shape, 1, { dtype: x.dtype, backend: x.backend.name, ...opts });
}

/** `value` shaped like `x`. */
export function fullLike(x: Tensor, value: number | boolean, opts: CreateOptions = {}): Tensor {
  return full(x.shape, value, { dtype: x.dtype, backend: x.backend.name, ...opts });
}

/**
 * `start, start+step, …` below `end` (`arange(n)` is `0..n-1`). int32 when every argument is an
 * integer, like PyTorch; float32 otherwise.
 */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  for (const [k, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (!Number.isFinite(v)) throw new ArgumentError(`arange: ${k} must be finite, got ${v}`);
  }
  if (step === 0) throw new ArgumentError('arange: step must be nonzero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = dtypeOf('arange', opts.dtype, allInt ? 'int32' : 'float32');
  const data = allocArray(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return make('arange', data, [n], dtype, opts.backend);
}

/** `steps` evenly spaced values from `start` to `end` inclusive (computed in float64, as PyTorch). */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  checkInt('linspace', 'steps', steps, 0);
  const dtype = dtypeOf('linspace', opts.dtype, 'float32');
  const data = allocArray(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the first half from start and the second half from end, for symmetry.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) data[i] = i < half ? start + step * i : end - step * (steps - i - 1);
  return make('linspace', data, [steps], dtype, opts.backend);
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m: number = n, opts: CreateOptions = {}): Tensor {
  checkInt('eye', 'n', n, 0);
  checkInt('eye', 'm', m, 0);
  const dtype = dtypeOf('eye', opts.dtype, 'float32');
  const data = allocArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return make('eye', data, [n, m], dtype, opts.backend);
}

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  const s = checkShape('rand', shape);
  const g = opts.generator ?? defaultGenerator;
  const data = new Float32Array(sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = g.uniform();
  return make('rand', data, s, dtypeOf('rand', opts.dtype, 'float32'), opts.backend);
}

/** Standard normal samples. */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  const s = checkShape('randn', shape);
  if (opts.dtype && opts.dtype !== 'float32') throw new DTypeError(`randn: dtype must be float32, got ${opts.dtype}`);
  const g = opts.generator ?? defaultGenerator;
  const data = new Float32Array(sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = g.normal();
  return make('randn', data, s, 'float32', opts.backend);
}

/** Uniform integers in [low, high) (int32). */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkInt('randint', 'low', low);
  checkInt('randint', 'high', high);
  const s = checkShape('randint', shape);
  const g = opts.generator ?? defaultGenerator;
  const dtype = dtypeOf('randint', opts.dtype, 'int32');
  const data = allocArray(dtype, sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = g.integer(low, high);
  return make('randint', data, s, dtype, opts.backend);
}

/** Normal samples shaped like `x`. */
export function randnLike(x: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(x.shape, { backend: x.backend.name, ...opts });
}

/** Uniform samples shaped like `x`. */
export function randLike(x: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(x.shape, { backend: x.backend.name, ...opts });
}
