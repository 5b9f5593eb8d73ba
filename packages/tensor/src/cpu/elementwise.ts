/**
 * Reference cpu kernels for elementwise ops, `cast` and `contiguous`. Values are computed in
 * float64 and rounded once when stored.
 * @module
 */
import type { Kernel } from '../backend.js';
import { alloc, arr, broadcastOffsets, readContiguous } from './util.js';
import { erf, geluExact, geluTanh, sigmoid } from './math.js';

type F = (x: number) => number;

const unary: Record<string, F> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x > 0 ? x : x === 0 || x < 0 ? 0 : x),
  silu: (x) => x * sigmoid(x),
  erf,
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  floor: Math.floor,
  logicalNot: (x) => (x === 0 ? 1 : 0),
};

type G = (a: number, b: number) => number;

const binary: Record<string, G> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // C99 pow, as PyTorch: 1^y = 1 for every y (NaN too) and (-1)^±inf = 1; JS Math.pow gives NaN there.
  pow: (a, b) => (a === 1 || (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) ? 1 : Math.pow(a, b)),
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
  logicalAnd: (a, b) => +(a !== 0 && b !== 0),
  logicalOr: (a, b) => +(a !== 0 || b !== 0),
};

function unaryKernel(f: F): Kernel {
  return ([x], _a, [spec]) => {
    const src = readContiguous(x!);
    const out = alloc(spec!);
    for (let i = 0; i < out.length; i++) out[i] = f(src[i]!);
    return [out];
  };
}

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = {};

for (const [name, f] of Object.entries(unary)) kernels[name] = unaryKernel(f);

kernels.gelu = (inputs, attrs: { approximate: string }, outputs) =>
  unaryKernel(attrs.approximate === 'tanh' ? geluTanh : geluExact)(inputs, attrs, outputs);

kernels.clamp = ([x], a: { min: number; max: number }, [spec]) => {
  const src = readContiguous(x!);
  const out = alloc(spec!);
  // NaN stays NaN, as in PyTorch.
  for (let i = 0; i < out.length; i++) {
    const v = src[i]!;
    out[i] = Number.isNaN(v) ? v : Math.min(Math.max(v, a.min), a.max);
  }
  return [out];
};

for (const [name, g] of Object.entries(binary)) {
  kernels[name] = ([a, b], _attrs, [spec]) => {
    const oa = broadcastOffsets(a!, spec!.shape);
    const ob = broadcastOffsets(b!, spec!.shape);
    const da = arr(a!);
    const db = arr(b!);
    const out = alloc(spec!);
    for (let i = 0; i < out.length; i++) out[i] = g(da[oa[i]!]!, db[ob[i]!]!);
    return [out];
  };
}

kernels.where = ([c, a, b], _attrs, [spec]) => {
  const oc = broadcastOffsets(c!, spec!.shape);
  const oa = broadcastOffsets(a!, spec!.shape);
  const ob = broadcastOffsets(b!, spec!.shape);
  const [dc, da, db] = [arr(c!), arr(a!), arr(b!)];
  const out = alloc(spec!);
  for (let i = 0; i < out.length; i++) out[i] = dc[oc[i]!] ? da[oa[i]!]! : db[ob[i]!]!;
  return [out];
};

kernels.cast = ([x], _a, [spec]) => {
  const src = readContiguous(x!);
  const out = alloc(spec!);
  if (spec!.dtype === 'bool') for (let i = 0; i < out.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
  else if (spec!.dtype === 'int32') for (let i = 0; i < out.length; i++) out[i] = Number.isFinite(src[i]) ? Math.trunc(src[i]!) : 0;
  else out.set(src);
  return [out];
};

kernels.contiguous = ([x]) => [readContiguous(x!)];
