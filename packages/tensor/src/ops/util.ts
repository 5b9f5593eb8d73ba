/**
 * Small helpers shared by op declarations: scalar operands and input checks.
 * @module
 */
import type { Backend } from '../backend.js';
import { type DType, toTypedArray } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';

/** A 0-d tensor holding `value` on `backend`. */
export function scalarTensor(value: number | boolean, dtype: DType, backend: Backend): Tensor {
  return Tensor.fromBuffer(backend, backend.upload(toTypedArray([value], dtype), dtype), [], dtype);
}

/**
 * Turns a JS scalar operand into a 0-d tensor next to `like`, with PyTorch's scalar typing:
 * a bool stays bool, an integer keeps an int32 or bool tensor's kind, anything else is float32.
 */
export function asTensor(op: string, x: TensorOrScalar, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'boolean') return scalarTensor(x, 'bool', like.backend);
  if (typeof x !== 'number') throw new ArgumentError(`${op}: operand must be a Tensor, number or boolean, got ${typeof x}`);
  const dtype: DType = like.dtype === 'float32' || !Number.isInteger(x) ? 'float32' : 'int32';
  return scalarTensor(x, dtype, like.backend);
}

/** Throws unless `t` is a Tensor. */
export function checkTensor(op: string, arg: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
}

/** Throws a DTypeError unless `t.dtype` is allowed. */
export function checkDType(op: string, arg: string, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new DTypeError(`${op}: ${arg} ${fmtShape(t.shape)} has dtype ${t.dtype}, expected ${allowed.join(' or ')}`);
  }
}

/** Throws a ShapeError unless `t` has one of the allowed ranks. */
export function checkRank(op: string, arg: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.ndim)) {
    throw new ShapeError(`${op}: ${arg} must have rank ${ranks.join(' or ')}, got shape ${fmtShape(t.shape)}`);
  }
}

/** Throws an ArgumentError unless `v` is an integer within [min, max]. */
export function checkInt(op: string, arg: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = min === -Infinity ? '' : max === Infinity ? ` >= ${min}` : ` in [${min}, ${max}]`;
    throw new ArgumentError(`${op}: ${arg} must be an integer${range}, got ${String(v)}`);
  }
  return v;
}

/** Expands an int-or-tuple attribute to `n` entries (PyTorch's `_pair`, `_triple`). */
export function tuple(op: string, arg: string, v: number | readonly number[], n: number, min = 0): number[] {
  const arr = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (arr.length !== n) throw new ArgumentError(`${op}: ${arg} must be an int or a list of ${n} ints, got [${arr.join(',')}]`);
  arr.forEach((x, i) => checkInt(op, `${arg}[${i}]`, x, min));
  return arr;
}
