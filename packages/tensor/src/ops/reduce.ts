/**
 * Reductions over any set of dims, with `keepdim`. `sum`, `prod`, `max`, `min`, `argmax` and
 * `argmin` are kernels; `mean`, `var`, `std` and `logsumexp` are composites written with them.
 * @module
 */
import { type OutputSpec } from '../backend.js';
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { type DType } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { normalizeDim, normalizeDims } from '../shape.js';
import { type Tensor } from '../tensor.js';
import * as ew from './elementwise.js';
import { checkTensor } from './util.js';
import { reshape } from './views.js';

/** Attributes of multi-dim reductions. */
export interface ReduceAttrs {
  /** Sorted, normalised dims to reduce (all dims for a full reduction). */
  dims: number[];
  /** Keep reduced dims as size 1. */
  keepdim: boolean;
}

/** Attributes of `argmax` / `argmin`. */
export interface ArgReduceAttrs {
  /** Dim to reduce, or null for the flattened tensor. */
  dim: number | null;
  /** Keep the reduced dim as size 1. */
  keepdim: boolean;
}

/** Output shape of reducing `shape` over `dims`. */
export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!dims.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

function reduceSpec(name: string, x: Tensor, a: ReduceAttrs, dtype: (d: DType) => DType): OutputSpec[] {
  checkTensor(name, 'input', x);
  if ((name === 'max' || name === 'min') && a.dims.some((d) => x.shape[d] === 0)) {
    throw new ShapeError(`${name}: cannot reduce over a zero-size dim of input ${fmtShape(x.shape)} (no identity)`);
  }
  return [{ shape: reducedShape(x.shape, a.dims, a.keepdim), dtype: dtype(x.dtype) }];
}

const intOrFloat = (d: DType): DType => (d === 'float32' ? 'float32' : 'int32');
const floatOnly = (name: string) => (d: DType): DType => {
  if (d !== 'float32') throw new DTypeError(`${name}: input has dtype ${d}, expected float32 (cast first)`);
  return d;
};

defineOp<ReduceAttrs>({ name: 'sum', kind: 'kernel', differentiable: true, infer: ([x], a) => reduceSpec('sum', x!, a, intOrFloat) });
defineOp<ReduceAttrs>({ name: 'prod', kind: 'kernel', differentiable: true, infer: ([x], a) => reduceSpec('prod', x!, a, intOrFloat) });
for (const name of ['max', 'min']) {
  defineOp<ReduceAttrs>({
    name,
    kind: 'kernel',
    differentiable: true,
    infer: ([x], a) => reduceSpec(name, x!, a, (d) => {
      if (d === 'bool') throw new DTypeError(`${name}: input has dtype bool, expected float32 or int32`);
      return d;
    }),
  });
}
for (const name of ['argmax', 'argmin']) {
  defineOp<ArgReduceAttrs>({
    name,
    kind: 'kernel',
    differentiable: false,
    infer: ([x], a) => {
      checkTensor(name, 'input', x);
      if (x.dtype === 'bool') throw new DTypeError(`${name}: input has dtype bool, expected float32 or int32`);
      if (a.dim === null) {
        if (x.size === 0) throw new ShapeError(`${name}: input ${fmtShape(x.shape)} is empty`);
        return [{ shape: a.keepdim ? x.shape.map(() => 1) : [], dtype: 'int32' }];
      }
      if (x.ndim > 0 && x.shape[a.dim] === 0) throw new ShapeError(`${name}: dim ${a.dim} of input ${fmtShape(x.shape)} is empty`);
      return [{ shape: reducedShape(x.shape, x.ndim === 0 ? [] : [a.dim], a.keepdim), dtype: 'int32' }];
    },
  });
}

/** Attributes of `var` / `std`. */
export interface VarAttrs extends ReduceAttrs {
  /** Subtracted from the count in the divisor (1: Bessel's unbiased estimate, 0: population). */
  correction: number;
}

defineOp<ReduceAttrs>({
  name: 'mean',
  kind: 'composite',
  differentiable: true,
  infer: ([x], a) => reduceSpec('mean', x!, a, floatOnly('mean')),
  decompose: ([x], a) => {
    const n = a.dims.reduce((p, d) => p * x!.shape[d]!, 1);
    return [ew.div(run1('sum', [x!], a), n)];
  },
});

function varDecompose(x: Tensor, a: VarAttrs): Tensor {
  const n = a.dims.reduce((p, d) => p * x.shape[d]!, 1);
  const mu = ew.div(run1('sum', [x], { dims: a.dims, keepdim: true }), n);
  const ss = run1('sum', [ew.square(ew.sub(x, mu))], a);
  // Divisor n - correction, clamped at 0 like PyTorch (0 divisor gives inf/nan).
  return ew.div(ss, Math.max(0, n - a.correction));
}

defineOp<VarAttrs>({
  name: 'var',
  kind: 'composite',
  differentiable: true,
  infer: ([x], a) => reduceSpec('var', x!, a, floatOnly('var')),
  decompose: ([x], a) => [varDecompose(x!, a)],
});
defineOp<VarAttrs>({
  name: 'std',
  kind: 'composite',
  differentiable: true,
  infer: ([x], a) => reduceSpec('std', x!, a, floatOnly('std')),
  decompose: ([x], a) => [ew.sqrt(varDecompose(x!, a))],
});
defineOp<ReduceAttrs>({
  name: 'logsumexp',
  kind: 'composite',
  differentiable: true,
  infer: ([x], a) => reduceSpec('logsumexp', x!, a, floatOnly('logsumexp')),
  decompose: ([x], a) => {
    // log Σ e^x = m + log Σ e^(x-m) with m the max; an all -inf slice uses m = 0 so it stays -inf.
    const m0 = run1('max', [x!], { dims: a.dims, keepdim: true });
    const m = ew.where(ew.eq(ew.abs(m0), Infinity), 0, m0);
    const s = ew.log(run1('sum', [ew.exp(ew.sub(x!, m))], a));
    return [ew.add(s, a.keepdim ? m : reshape(m, reducedShape(x!.shape, a.dims, false)))];
  },
});

function attrs(op: string, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): ReduceAttrs {
  checkTensor(op, 'input', x);
  if (typeof keepdim !== 'boolean') throw new ArgumentError(`${op}: keepdim must be a boolean`);
  return { dims: normalizeDims(op, dim, x.ndim), keepdim };
}

/** Sum over `dim` (all dims when omitted); bool and int32 sum to int32. */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return run1('sum', [x], attrs('sum', x, dim, keepdim));
}

/** Product over `dim`. */
export function prod(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return run1('prod', [x], attrs('prod', x, dim, keepdim));
}

/** Mean over `dim` (float32 input). */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return run1('mean', [x], attrs('mean', x, dim, keepdim));
}

/** Maximum over `dim`; NaN propagates. */
export function max(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return run1('max', [x], attrs('max', x, dim, keepdim));
}

/** Minimum over `dim`; NaN propagates. */
export function min(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return run1('min', [x], attrs('min', x, dim, keepdim));
}

function argAttrs(op: string, x: Tensor, dim: number | undefined, keepdim: boolean): ArgReduceAttrs {
  checkTensor(op, 'input', x);
  return { dim: dim === undefined ? null : normalizeDim(op, dim, x.ndim), keepdim };
}

/** Index of the first maximum along `dim` (over the flattened tensor when omitted); int32. */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return run1('argmax', [x], argAttrs('argmax', x, dim, keepdim));
}

/** Index of the first minimum along `dim`; int32. */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return run1('argmin', [x], argAttrs('argmin', x, dim, keepdim));
}

/** Variance over `dim` with divisor `N - correction` (default 1, unbiased, like PyTorch). */
export function variance(x: Tensor, dim?: number | readonly number[], keepdim = false, correction = 1): Tensor {
  return run1('var', [x], { ...attrs('var', x, dim, keepdim), correction });
}

/** Standard deviation over `dim` with divisor `N - correction` (default 1). */
export function std(x: Tensor, dim?: number | readonly number[], keepdim = false, correction = 1): Tensor {
  return run1('std', [x], { ...attrs('std', x, dim, keepdim), correction });
}

/** log Σ exp(x) over `dim`, computed stably. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  return run1('logsumexp', [x], attrs('logsumexp', x, dim, keepdim));
}

export { variance as var };
