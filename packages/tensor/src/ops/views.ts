/**
 * View ops: new shapes and strides over the same storage, no copy. `reshape`, `permute`, `expand`
 * and `slice` are the primitive views; `transpose`, `squeeze`, `unsqueeze`, `flatten`, `narrow` and
 * `select` are written with them. `contiguous` is the one copy.
 * @module
 */
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { tidy } from '../scope.js';
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { contiguousStrides, normalizeDim, normalizeDims, sizeOf } from '../shape.js';
import { type Tensor } from '../tensor.js';
import { checkInt, checkTensor } from './util.js';

/** Resolves one -1 entry and checks the element count (`reshape`/`view`). */
export function inferShape(op: string, shape: readonly number[], size: number, from: readonly number[]): number[] {
  let infer = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw new ArgumentError(`${op}: only one dim can be -1, got ${fmtShape(shape)}`);
      infer = i;
    } else {
      checkInt(op, `shape[${i}]`, d, 0);
      known *= d;
    }
  });
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`${op}: shape ${fmtShape(shape)} is invalid for input ${fmtShape(from)} of size ${size}`);
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(`${op}: shape ${fmtShape(shape)} is invalid for input ${fmtShape(from)} of size ${size}`);
  }
  return out;
}

/**
 * Strides for viewing (shape, strides) as newShape without a copy, or null when impossible.
 * Same algorithm as PyTorch's `computeStride`: walk contiguous chunks of the old layout from the
 * innermost dim and fit the new dims into each chunk.
 */
export function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (oldShape.length === 0 || sizeOf(oldShape) === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? newStrides : null;
}

/** Attributes of the `reshape` view. */
export interface ReshapeAttrs {
  /** Target shape (no -1 here: resolved by the free function). */
  shape: number[];
}
defineOp<ReshapeAttrs>({
  name: 'reshape',
  kind: 'view',
  differentiable: true,
  view: (x, { shape }) => {
    const strides = viewStrides(x.shape, x.strides, shape);
    if (!strides) {
      throw new ShapeError(`view: input ${fmtShape(x.shape)} with strides ${fmtShape(x.strides)} cannot be viewed as ${fmtShape(shape)} without a copy; use reshape`);
    }
    return { shape: [...shape], strides, offset: x.offset };
  },
});

/** Attributes of `permute`. */
export interface PermuteAttrs {
  /** A permutation of the dims. */
  dims: number[];
}
defineOp<PermuteAttrs>({
  name: 'permute',
  kind: 'view',
  differentiable: true,
  view: (x, { dims }) => ({ shape: dims.map((d) => x.shape[d]!), strides: dims.map((d) => x.strides[d]!), offset: x.offset }),
});

/** Attributes of `expand`. */
export interface ExpandAttrs {
  /** Target shape, fully resolved. */
  shape: number[];
}
defineOp<ExpandAttrs>({
  name: 'expand',
  kind: 'view',
  differentiable: true,
  view: (x, { shape }) => {
    const lead = shape.length - x.ndim;
    const strides = shape.map((d, i) => {
      if (i < lead) return 0;
      const s = x.shape[i - lead]!;
      return s === d ? x.strides[i - lead]! : 0;
    });
    return { shape: [...shape], strides, offset: x.offset };
  },
});

/** Attributes of `slice`, normalised. */
export interface SliceAttrs {
  /** Dim to slice. */
  dim: number;
  /** First index (clamped into range). */
  start: number;
  /** Number of elements taken. */
  length: number;
  /** Step (>= 1). */
  step: number;
}
defineOp<SliceAttrs>({
  name: 'slice',
  kind: 'view',
  differentiable: true,
  view: (x, { dim, start, length, step }) => {
    const shape = [...x.shape];
    shape[dim] = length;
    const strides = [...x.strides];
    strides[dim] = x.strides[dim]! * step;
    return { shape, strides, offset: length === 0 ? x.offset : x.offset + start * x.strides[dim]! };
  },
});

defineOp({
  name: 'contiguous',
  kind: 'kernel',
  differentiable: true,
  infer: ([x]) => (checkTensor('contiguous', 'input', x), [{ shape: x.shape, dtype: x.dtype }]),
});

/** Views `x` as `shape` without copying; throws if the layout does not allow it (PyTorch `view`). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('view', 'input', x);
  return run1('reshape', [x], { shape: inferShape('view', shape, x.size, x.shape) });
}

/** `shape` of the same elements; a view when possible, else a contiguous copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'input', x);
  const s = inferShape('reshape', shape, x.size, x.shape);
  if (viewStrides(x.shape, x.strides, s)) return run1('reshape', [x], { shape: s });
  return tidy(() => run1('reshape', [run1('contiguous', [x])], { shape: s }));
}

/** Reorders the dims of `x` (`dims` a permutation, negatives allowed). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'input', x);
  if (dims.length !== x.ndim) {
    throw new ShapeError(`permute: dims [${dims.join(',')}] has ${dims.length} entries for input ${fmtShape(x.shape)} of rank ${x.ndim}`);
  }
  const d = dims.map((v) => normalizeDim('permute', v, x.ndim));
  if (new Set(d).size !== d.length) throw new ArgumentError(`permute: dims [${dims.join(',')}] is not a permutation`);
  return run1('permute', [x], { dims: d });
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'input', x);
  if (x.ndim === 0) return permute(x, []);
  const a = normalizeDim('transpose', dim0, x.ndim, 'dim0');
  const b = normalizeDim('transpose', dim1, x.ndim, 'dim1');
  const dims = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return run1('permute', [x], { dims });
}

/** Broadcasts size-1 dims (and new leading dims) to `shape` without copying; -1 keeps a dim. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', 'input', x);
  if (shape.length < x.ndim) {
    throw new ShapeError(`expand: target ${fmtShape(shape)} has fewer dims than input ${fmtShape(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const out = shape.map((d, i) => {
    const s = i >= lead ? x.shape[i - lead]! : undefined;
    if (d === -1) {
      if (s === undefined) throw new ShapeError(`expand: -1 is not allowed for a new leading dim (target ${fmtShape(shape)})`);
      return s;
    }
    checkInt('expand', `shape[${i}]`, d, 0);
    if (s !== undefined && s !== 1 && s !== d) {
      throw new ShapeError(`expand: input ${fmtShape(x.shape)} cannot be expanded to ${fmtShape(shape)} (dim ${i}: ${s} vs ${d})`);
    }
    return d;
  });
  return run1('expand', [x], { shape: out });
}

/** Broadcasts `x` to the shape of `other`. */
export function expandAs(x: Tensor, other: Tensor): Tensor {
  return expand(x, other.shape);
}

/** Removes size-1 dims: all of them, or those listed (listed dims that are not size 1 stay). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkTensor('squeeze', 'input', x);
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normalizeDims('squeeze', dim, x.ndim);
  return run1('reshape', [x], { shape: x.shape.filter((d, i) => !(d === 1 && dims.includes(i))) });
}

/** Inserts a size-1 dim at `dim` (in `[-rank-1, rank]`). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return run1('reshape', [x], { shape });
}

/** Flattens dims `startDim..endDim` (inclusive) into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim, 'startDim');
  const e = normalizeDim('flatten', endDim, x.ndim, 'endDim');
  if (s > e) throw new ArgumentError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Python-style slice `start:end:step` along `dim` (indices clamp; negatives count from the end). */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  checkTensor('slice', 'input', x);
  if (x.ndim === 0) throw new ShapeError('slice: cannot slice a 0-d tensor');
  const d = normalizeDim('slice', dim, x.ndim);
  checkInt('slice', 'step', step, 1);
  const n = x.shape[d]!;
  const norm = (v: number | undefined, dflt: number, arg: string): number => {
    if (v === undefined) return dflt;
    checkInt('slice', arg, v);
    const r = v < 0 ? v + n : v;
    return Math.min(Math.max(r, 0), n);
  };
  const s = norm(start, 0, 'start');
  const e = norm(end, n, 'end');
  const length = e > s ? Math.ceil((e - s) / step) : 0;
  return run1('slice', [x], { dim: d, start: s, length, step });
}

/** `length` elements from `start` along `dim` (must lie inside the dim). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'input', x);
  const d = normalizeDim('narrow', dim, x.ndim);
  const n = x.shape[d]!;
  checkInt('narrow', 'start', start, -n, n);
  const s = start < 0 ? start + n : start;
  checkInt('narrow', 'length', length, 0, n - s);
  return run1('slice', [x], { dim: d, start: s, length, step: 1 });
}

/** Index `index` of `dim`, which is removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', 'input', x);
  const d = normalizeDim('select', dim, x.ndim);
  const n = x.shape[d]!;
  checkInt('select', 'index', index, -n, n - 1);
  const i = index < 0 ? index + n : index;
  const shape = [...x.shape];
  shape.splice(d, 1);
  return tidy(() => run1('reshape', [run1('slice', [x], { dim: d, start: i, length: 1, step: 1 })], { shape }));
}

/** `x` itself when contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  checkTensor('contiguous', 'input', x);
  return x.isContiguous() ? x : run1('contiguous', [x]);
}

/** A contiguous copy, always. */
export function clone(x: Tensor): Tensor {
  return run1('contiguous', [x]);
}
