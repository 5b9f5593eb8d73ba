/**
 * Helpers for VJP rules: undoing broadcasts and reductions, zeros and index tensors on the
 * gradient's backend, and the family registry that lets the tests prove every rule is checked.
 * Everything here is written with public catalogue ops, so it runs on every backend.
 * @module
 */
import { type Tensor, arange, expand, fromArray, full, reshape, runOp, sum } from '@tessera/tensor';
import { type VjpRule, defineVjp } from '../rules.js';

/**
 * Undoes broadcasting: sums `g` down to `shape` (over leading dims it gained and dims that were 1).
 * Returns `g` itself when the shapes already match.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, true) : g;
  return reshape(s, shape);
}

const familyOfOp = new Map<string, string>();

/**
 * A `defineVjp` that also files the rule under a family (`'elementwise'`, `'conv'`, …), so that each
 * family's test file can assert that it checked every rule of its family.
 */
export function vjpFamily(family: string): <A = any>(op: string, rule: VjpRule<A>) => void {
  return (op, rule) => {
    defineVjp(op, rule);
    familyOfOp.set(op, family);
  };
}

/** Ops whose rule was declared through `vjpFamily(family)`. */
export function rulesOf(family: string): string[] {
  return [...familyOfOp].filter(([, f]) => f === family).map(([op]) => op);
}

/** The family of an op's rule, if it was declared through `vjpFamily`. */
export function familyOf(op: string): string | undefined {
  return familyOfOp.get(op);
}

/** Whether a tensor takes gradients at all (only float32 does, as in PyTorch). */
export function isFloat(t: Tensor): boolean {
  return t.dtype === 'float32';
}

/** The single output of a catalogue op run by name with already-validated attributes. */
export function op1(name: string, inputs: readonly Tensor[], attrs: unknown = {}): Tensor {
  return runOp(name, inputs, attrs)[0]!;
}

/** Float32 zeros of `shape` on the backend of `like`. */
export function zerosOn(shape: readonly number[], like: Tensor): Tensor {
  return full(shape, 0, { backend: like.backend.name });
}

/** Host data uploaded as a tensor on the backend of `like` (float32 unless the data is Int32Array). */
export function constOn(data: Float32Array | Int32Array, shape: readonly number[], like: Tensor): Tensor {
  return fromArray(data, shape, { backend: like.backend.name, dtype: data instanceof Int32Array ? 'int32' : 'float32' });
}

/** `shape` with the reduced `dims` kept as size 1. */
export function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

/**
 * Inverse of a reduction's shape change: views `g` (the reduced shape, with or without `keepdim`)
 * with the reduced dims as size 1, then broadcasts it back to `shape` (a stride-0 view, no copy).
 */
export function unreduce(g: Tensor, shape: readonly number[], dims: readonly number[]): Tensor {
  return expand(reshape(g, keptShape(shape, dims)), shape);
}

/** Reverses `x` along `dim`: `indexSelect` with the index `n-1, …, 0`. */
export function flip(x: Tensor, dim: number): Tensor {
  const n = x.shape[dim] ?? 1; // a 0-d tensor has nothing to reverse
  if (n <= 1) return x;
  return op1('indexSelect', [x, arange(n - 1, -1, -1, { backend: x.backend.name })], { dim });
}

/** Zero padding of `x` by `before[d]` / `after[d]` elements per dim (the `pad` op directly). */
export function padDims(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  return op1('pad', [x], { before: [...before], after: [...after], value: 0 });
}

/** `length` elements of `x` from `start` along `dim` (the `slice` view directly). */
export function narrowDim(x: Tensor, dim: number, start: number, length: number): Tensor {
  if (start === 0 && length === x.shape[dim]) return x;
  return op1('slice', [x], { dim, start, length, step: 1 });
}

/** The sum of `g` over every dim but `keep` (a bias gradient), shaped `[g.shape[keep]]`. */
export function sumAllBut(g: Tensor, keep: number): Tensor {
  const dims = g.shape.map((_, i) => i).filter((i) => i !== keep);
  return dims.length ? sum(g, dims) : g;
}
