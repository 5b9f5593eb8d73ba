/**
 * Shape arithmetic shared by the catalogue and the backends: sizes, contiguous strides,
 * broadcasting and dimension normalisation.
 * @module
 */
import { ArgumentError, ShapeError, fmtShape } from './errors.js';

/** A tensor shape: one non-negative integer per dimension. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-order) strides of a shape, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Whether `strides` describe a dense row-major layout of `shape` (size-1 dims are free). */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i]!;
  }
  return true;
}

/** NumPy/PyTorch broadcasting of several shapes; throws a `ShapeError` naming the op. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k >= 0 ? s[k]! : 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast (dim ${i - rank}: ${d} vs ${v})`,
        );
      }
      d = v;
    }
    out[i] = d;
  }
  // A zero-size dim broadcasts against 1 only, which the loop above already handles.
  return out;
}

/** Normalises a possibly negative dim into `[0, rank)`; throws an `ArgumentError` naming the op. */
export function normalizeDim(op: string, dim: number, rank: number, arg = 'dim'): number {
  if (!Number.isInteger(dim)) throw new ArgumentError(`${op}: ${arg} must be an integer, got ${dim}`);
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) {
    throw new ArgumentError(`${op}: ${arg} ${dim} is out of range for a tensor of rank ${rank}`);
  }
  return dim < 0 ? dim + r : dim;
}

/** Normalises a list of dims (or all dims when undefined), rejecting repeats. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => (rank === 0 ? (normalizeDim(op, d, 1), 0) : normalizeDim(op, d, rank)));
  if (rank === 0) return [];
  if (new Set(out).size !== out.length) throw new ArgumentError(`${op}: dims [${list.join(',')}] repeat a dim`);
  return out.sort((a, b) => a - b);
}

/** Checks that a shape is a list of non-negative integers. */
export function checkShape(op: string, shape: readonly number[], arg = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new ArgumentError(`${op}: ${arg} must be an array of integers`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ArgumentError(`${op}: ${arg} ${fmtShape(shape)} must hold non-negative integers`);
    }
  }
  return [...shape];
}

/** Whether two shapes are equal. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
