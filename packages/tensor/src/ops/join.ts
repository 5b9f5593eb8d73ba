/**
 * Joining and splitting: `cat` and `pad` are kernels; `stack` is unsqueeze + cat; `split` and
 * `chunk` are views (narrow).
 * @module
 */
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { tidy } from '../scope.js';
import { promoteTypes } from '../dtype.js';
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { normalizeDim } from '../shape.js';
import { type Tensor } from '../tensor.js';
import { checkInt, checkTensor } from './util.js';
import { narrow, unsqueeze } from './views.js';
import { cast } from './elementwise.js';

/** Attributes of `cat`. */
export interface CatAttrs {
  /** Normalised dim to join along. */
  dim: number;
}

defineOp<CatAttrs>({
  name: 'cat',
  kind: 'kernel',
  differentiable: true,
  infer: (inputs, { dim }) => {
    if (inputs.length === 0) throw new ArgumentError('cat: expected a non-empty list of tensors');
    inputs.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
    const ref = inputs[0]!;
    let total = 0;
    let dtype = ref.dtype;
    inputs.forEach((t, i) => {
      if (t.ndim !== ref.ndim || t.shape.some((d, j) => j !== dim && d !== ref.shape[j])) {
        throw new ShapeError(`cat: tensors[${i}] ${fmtShape(t.shape)} does not match tensors[0] ${fmtShape(ref.shape)} outside dim ${dim}`);
      }
      total += t.shape[dim]!;
      if (t.dtype !== ref.dtype) dtype = promoteTypes(dtype, t.dtype);
    });
    if (inputs.some((t) => t.dtype !== dtype)) {
      throw new ShapeError(`cat: tensors have dtypes ${inputs.map((t) => t.dtype).join(', ')}; cast them to one dtype first`);
    }
    const shape = [...ref.shape];
    shape[dim] = total;
    return [{ shape, dtype }];
  },
});

/** Concatenates tensors along an existing `dim`. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('cat: expected a non-empty list of tensors');
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const ref = tensors[0]!;
  if (ref.ndim === 0) throw new ShapeError('cat: zero-dimensional tensors cannot be concatenated; use stack');
  const d = normalizeDim('cat', dim, ref.ndim);
  return run1('cat', tensors, { dim: d });
}

/** Joins tensors of one shape along a new `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('stack: expected a non-empty list of tensors');
  tensors.forEach((t, i) => checkTensor('stack', `tensors[${i}]`, t));
  const ref = tensors[0]!;
  tensors.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((s: number, j: number) => s !== ref.shape[j])) {
      throw new ShapeError(`stack: tensors[${i}] ${fmtShape(t.shape)} differs from tensors[0] ${fmtShape(ref.shape)}`);
    }
  });
  const d = normalizeDim('stack', dim, ref.ndim + 1);
  return tidy(() => run1('cat', tensors.map((t) => unsqueeze(t, d)), { dim: d }));
}

/** Splits along `dim` into pieces of `size` (last one smaller), or into the listed sizes. Views. */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', 'input', x);
  const d = normalizeDim('split', dim, x.ndim);
  const n = x.shape[d]!;
  let sizes: number[];
  if (typeof size === 'number') {
    checkInt('split', 'size', size, n === 0 ? 0 : 1);
    sizes = [];
    for (let s = 0; s < n; s += size) sizes.push(Math.min(size, n - s));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...size];
    sizes.forEach((s, i) => checkInt('split', `sizes[${i}]`, s, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) throw new ShapeError(`split: sizes [${sizes.join(',')}] sum to ${total}, but dim ${dim} of input ${fmtShape(x.shape)} is ${n}`);
  }
  let start = 0;
  return sizes.map((s) => {
    const t = narrow(x, d, start, s);
    start += s;
    return t;
  });
}

/** Splits along `dim` into `chunks` pieces of size ⌈n/chunks⌉ (fewer if n is small), like PyTorch. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', x);
  checkInt('chunk', 'chunks', chunks, 1);
  const d = normalizeDim('chunk', dim, x.ndim);
  const n = x.shape[d]!;
  return split(x, Math.max(1, Math.ceil(n / chunks)), d);
}

/** Attributes of `pad`, resolved per dim. */
export interface PadAttrs {
  /** Elements added before each dim (one entry per dim). */
  before: number[];
  /** Elements added after each dim. */
  after: number[];
  /** Fill value. */
  value: number;
}

defineOp<PadAttrs>({
  name: 'pad',
  kind: 'kernel',
  differentiable: true,
  infer: ([x], a) => {
    checkTensor('pad', 'input', x);
    return [{ shape: x.shape.map((d, i) => d + a.before[i]! + a.after[i]!), dtype: x.dtype }];
  },
});

/**
 * Constant padding with PyTorch's `F.pad` convention: `pad` lists (before, after) pairs starting
 * from the LAST dim: `[left, right, top, bottom, …]`.
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  checkTensor('pad', 'input', x);
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new ArgumentError(`pad: padding [${padding.join(',')}] must hold (before, after) pairs for at most ${x.ndim} dims of input ${fmtShape(x.shape)}`);
  }
  padding.forEach((p, i) => checkInt('pad', `padding[${i}]`, p, 0));
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let i = 0; i < padding.length / 2; i++) {
    before[x.ndim - 1 - i] = padding[2 * i]!;
    after[x.ndim - 1 - i] = padding[2 * i + 1]!;
  }
  if (x.dtype !== 'float32' && !Number.isInteger(value)) return tidy(() => run1('pad', [cast(x, 'float32')], { before, after, value }));
  return run1('pad', [x], { before, after, value });
}
