/**
 * Elementwise kernels: unary maths, broadcasting binary ops, comparisons, logic, `where`,
 * `clamp`, `cast` and `contiguous`, all from one generator.
 *
 * Tiling: one output element per invocation, 64 invocations per workgroup, the workgroup count
 * folded into y/z past 65,535. Each input is read through its own strides (0 for broadcast
 * dims), so views are never copied first; dims that every operand walks contiguously are
 * merged on the host, so most calls run the rank-1 variant with no division per element. The
 * pipeline is keyed by op, dtypes and the merged rank — never by the shape, which travels in
 * the uniform parameters.
 * @module
 */
import type { DType, Kernel, OutputSpec, TensorView } from '@tessera/tensor';
import { contiguousStrides, sizeOf } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { type WType, Params, alignStrides, buf, coalesce, cvt, entry, header, linearPrologue, outBuffer, stridedIndex, wtype, WG } from './common.js';

/** How a map kernel reads its inputs and what it computes. */
export interface MapSpec {
  /** Pipeline key fragment naming the op (and any variant). */
  key: string;
  /** The type each input is converted to before `body` sees it as `v0`, `v1`, …. */
  types: readonly WType[];
  /** WGSL expression of the output's storage type, over `v0`, `v1`, … and `pu/pf/pi(extra + k)`. */
  body: (extra: number) => string;
  /** Writes extra parameters (scalars of the op); returns the index of the first. */
  extra?: (p: Params) => number;
}

/** Where a map kernel writes: a buffer, an element offset and the output's strides. */
export interface MapTarget {
  /** The destination buffer. */
  buffer: GpuBuffer;
  /** Element offset of output element [0,…,0]. */
  offset: number;
  /** Strides of the destination (row-major for a whole output; a slab's for `cat`). */
  strides: readonly number[];
}

/** Runs a map kernel: out[i] = body(inputs at i, broadcast). Returns the output buffer. */
export function runMap(ctx: GpuContext, inputs: readonly TensorView[], spec: OutputSpec, m: MapSpec, out?: MapTarget): GpuBuffer {
  const n = sizeOf(spec.shape);
  const dst = out?.buffer ?? outBuffer(ctx, spec);
  if (n === 0) return dst;
  const outStrides = out ? out.strides : contiguousStrides(spec.shape);
  const aligned = inputs.map((v) => alignStrides(v, spec.shape));
  const c = coalesce(spec.shape, [outStrides, ...aligned]);
  const outOffset = out?.offset ?? 0;
  const vec =
    c.shape.length === 1 &&
    n % 4 === 0 &&
    c.strides[0]![0] === 1 &&
    outOffset % 4 === 0 &&
    inputs.every((v, k) => c.strides[k + 1]![0] === 0 || (c.strides[k + 1]![0] === 1 && v.offset % 4 === 0));
  if (vec) return runMapVec4(ctx, inputs, spec, m, dst, outOffset, c.strides.slice(1).map((st) => st[0]!));
  const p = new Params();
  const nWord = p.u(n);
  const index = stridedIndex(p, c.shape, [
    { offset: outOffset, strides: c.strides[0]! },
    ...inputs.map((v, k) => ({ offset: v.offset, strides: c.strides[k + 1]! })),
  ]);
  const extra = m.extra ? m.extra(p) : p.length;
  const outT = wtype(spec.dtype);
  const key = `map:${m.key}|${inputs.map((v) => wtype(v.dtype)).join('')}>${outT}|r${c.shape.length}`;
  ctx.launch({
    key,
    reads: inputs.map((v) => buf(ctx, v)),
    writes: [dst],
    params: p,
    groups: ctx.grid(Math.ceil(n / WG)),
    code: () => {
      const reads = inputs.map((v, k) => ({ name: `in${k}`, type: wtype(v.dtype) }));
      const loads = inputs.map((v, k) => `  let v${k}: ${m.types[k]} = ${cvt(`in${k}[off${k + 1}]`, wtype(v.dtype), m.types[k]!)};`);
      return `${header(reads, [{ name: 'out', type: outT }], p)}
fn b2u(c: bool) -> u32 { return select(0u, 1u, c); }
${entry(WG)}
  ${linearPrologue(nWord)}
  ${index.replace(/\n/g, '\n  ')}
${loads.join('\n')}
  out[off0] = ${m.body(extra)};
}`;
    },
  });
  return dst;
}

/**
 * The contiguous fast path: every operand dense (or a broadcast scalar) and 4-aligned. Each
 * invocation loads and stores vec4s, several per invocation on CPU rasterisers, where the
 * per-invocation cost dominates a one-element kernel.
 */
function runMapVec4(ctx: GpuContext, inputs: readonly TensorView[], spec: OutputSpec, m: MapSpec, dst: GpuBuffer, outOffset: number, strides: number[]): GpuBuffer {
  const n4 = sizeOf(spec.shape) / 4;
  const per = ctx.info.cpu ? 4 : 1;
  const p = new Params();
  const nWord = p.u(n4);
  const offs = p.us([outOffset / 4, ...inputs.map((v, k) => (strides[k] === 0 ? v.offset : v.offset / 4))]);
  const extra = m.extra ? m.extra(p) : p.length;
  const outT = wtype(spec.dtype);
  const scalarIn = strides.map((s) => s === 0);
  const key = `map4:${m.key}|${inputs.map((v, k) => wtype(v.dtype) + (scalarIn[k] ? 's' : 'v')).join('')}>${outT}|x${per}`;
  const threads = Math.ceil(n4 / per);
  ctx.launch({
    key,
    reads: inputs.map((v) => buf(ctx, v)),
    writes: [dst],
    params: p,
    groups: ctx.grid(Math.ceil(threads / WG)),
    code: () => {
      const reads = inputs.map((v, k) => ({ name: `in${k}`, type: scalarIn[k] ? wtype(v.dtype) : `vec4<${wtype(v.dtype)}>` }));
      const pre = inputs
        .map((v, k) => (scalarIn[k] ? `  let s${k}: ${m.types[k]} = ${cvt(`in${k}[pu(${offs + 1 + k}u)]`, wtype(v.dtype), m.types[k]!)};` : ''))
        .filter((l) => l)
        .join('\n');
      const lane = (j: number): string => {
        const loads = inputs.map((v, k) => (scalarIn[k] ? `let v${k} = s${k};` : `let v${k}: ${m.types[k]} = ${cvt(`x${k}[${j}]`, wtype(v.dtype), m.types[k]!)};`));
        return `    { ${loads.join(' ')} r[${j}] = ${m.body(extra)}; }`;
      };
      return `${header(reads, [{ name: 'out', type: `vec4<${outT}>` }], p)}
fn b2u(c: bool) -> u32 { return select(0u, 1u, c); }
${entry(WG)}
  let t = linear_group(wid, nwg) * ${WG}u + lid.x;
  let n4 = pu(${nWord}u);
${pre}
  for (var u = 0u; u < ${per}u; u++) {
    let q = t * ${per}u + u;
    if (q >= n4) { break; }
${inputs.map((v, k) => (scalarIn[k] ? '' : `    let x${k} = in${k}[pu(${offs + 1 + k}u) + q];`)).filter((l) => l).join('\n')}
    var r: vec4<${outT}>;
${[0, 1, 2, 3].map(lane).join('\n')}
    out[pu(${offs}u) + q] = r;
  }
}`;
    },
  });
  return dst;
}

/** A WGSL test "is nonzero" of a value of type `t`. */
function nz(v: string, t: WType): string {
  return t === 'f32' ? `nzf(${v})` : t === 'i32' ? `(${v} != 0)` : `(${v} != 0u)`;
}

const FLOAT_UNARY: Record<string, (x: string) => string> = {
  exp: (x) => `exp(${x})`,
  log: (x) => `log(${x})`,
  sqrt: (x) => `sqrt(${x})`,
  rsqrt: (x) => `inverseSqrt(${x})`,
  sin: (x) => `sin_f(${x})`,
  cos: (x) => `cos_f(${x})`,
  tanh: (x) => `tanh_f(${x})`,
  sigmoid: (x) => `sigmoid_f(${x})`,
  silu: (x) => `(${x} * sigmoid_f(${x}))`,
  erf: (x) => `erf_f(${x})`,
  reciprocal: (x) => `(1.0 / ${x})`,
};

const SAME_UNARY: Record<string, (x: string, t: WType) => string> = {
  neg: (x) => `(-${x})`,
  abs: (x) => `abs(${x})`,
  square: (x) => `(${x} * ${x})`,
  relu: (x, t) => (t === 'f32' ? `select(${x}, 0.0, ${x} <= 0.0)` : `max(${x}, 0)`),
  floor: (x, t) => (t === 'f32' ? `floor(${x})` : x),
};

function unary(name: string, body: (x: string) => string): Kernel {
  return ([x], _a, [spec]) => {
    const ctx = current();
    return [runMap(ctx, [x!], spec!, { key: name, types: ['f32'], body: () => body('v0') })];
  };
}

/** The float-valued result type of an arithmetic op on these dtypes. */
function computeType(out: DType): WType {
  return out === 'float32' ? 'f32' : 'i32';
}

function promoted(a: DType, b: DType): WType {
  return a === 'float32' || b === 'float32' ? 'f32' : 'i32';
}

const ARITH: Record<string, (t: WType) => string> = {
  add: () => 'v0 + v1',
  sub: () => 'v0 - v1',
  mul: () => 'v0 * v1',
  pow: (t) => (t === 'f32' ? 'pow_f(v0, v1)' : 'pow_i(v0, v1)'),
  maximum: (t) => (t === 'f32' ? 'maxnan_f(v0, v1)' : 'max(v0, v1)'),
  minimum: (t) => (t === 'f32' ? 'minnan_f(v0, v1)' : 'min(v0, v1)'),
};

const COMPARE: Record<string, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** Elementwise kernels by op name. */
export const kernels: Record<string, Kernel> = {};

for (const [name, f] of Object.entries(FLOAT_UNARY)) kernels[name] = unary(name, f);

for (const [name, f] of Object.entries(SAME_UNARY)) {
  kernels[name] = ([x], _a, [spec]) => {
    const t = computeType(spec!.dtype);
    return [runMap(current(), [x!], spec!, { key: name, types: [t], body: () => f('v0', t) })];
  };
}

kernels.gelu = ([x], a: { approximate: 'none' | 'tanh' }, [spec]) => {
  const body =
    a.approximate === 'tanh'
      ? '0.5 * v0 * (1.0 + tanh_f(0.7978845608028654 * (v0 + 0.044715 * v0 * v0 * v0)))'
      : '0.5 * v0 * (1.0 + erf_f(v0 * 0.7071067811865476))';
  return [runMap(current(), [x!], spec!, { key: `gelu-${a.approximate}`, types: ['f32'], body: () => body })];
};

kernels.clamp = ([x], a: { min: number; max: number }, [spec]) => {
  const ctx = current();
  if (spec!.dtype === 'float32') {
    return [runMap(ctx, [x!], spec!, {
      key: 'clamp',
      types: ['f32'],
      extra: (p) => (p.f(a.min), p.f(a.max) - 1),
      body: (e) => `select(min(max(v0, pf(${e}u)), pf(${e + 1}u)), v0, isnan_f(v0))`,
    })];
  }
  const intBound = (v: number): boolean => Number.isInteger(v) || !Number.isFinite(v);
  if (intBound(a.min) && intBound(a.max)) {
    const lo = Math.max(a.min, -2147483648);
    const hi = Math.min(a.max, 2147483647);
    return [runMap(ctx, [x!], spec!, {
      key: 'clamp-int',
      types: ['i32'],
      extra: (p) => (p.i(lo), p.i(hi) - 1),
      body: (e) => `min(max(v0, pi(${e}u)), pi(${e + 1}u))`,
    })];
  }
  // Fractional bounds on an int tensor: clamp as a float, then truncate (as the reference stores it).
  return [runMap(ctx, [x!], spec!, {
    key: 'clamp-intf',
    types: ['f32'],
    extra: (p) => (p.f(a.min), p.f(a.max) - 1),
    body: (e) => `i32(min(max(v0, pf(${e}u)), pf(${e + 1}u)))`,
  })];
};

kernels.logicalNot = ([x], _a, [spec]) => {
  const t = wtype(x!.dtype);
  return [runMap(current(), [x!], spec!, { key: 'logicalNot', types: [t], body: () => `b2u(!${nz('v0', t)})` })];
};

/** `cast`: float → int truncates toward zero (non-finite gives 0); → bool tests nonzero. */
export function castBody(from: WType, to: DType): string {
  if (to === 'float32') return from === 'f32' ? 'v0' : 'f32(v0)';
  if (to === 'int32') return from === 'f32' ? 'select(0, i32(v0), finite_f(v0))' : from === 'i32' ? 'v0' : 'i32(v0)';
  return `b2u(${nz('v0', from)})`;
}

kernels.cast = ([x], _a, [spec]) => {
  const from = wtype(x!.dtype);
  return [runMap(current(), [x!], spec!, { key: `cast`, types: [from], body: () => castBody(from, spec!.dtype) })];
};

kernels.contiguous = ([x], _a, [spec]) => {
  const t = wtype(x!.dtype);
  return [runMap(current(), [x!], spec!, { key: 'copy', types: [t], body: () => 'v0' })];
};

for (const [name, f] of Object.entries(ARITH)) {
  kernels[name] = ([a, b], _attrs, [spec]) => {
    const t = computeType(spec!.dtype);
    return [runMap(current(), [a!, b!], spec!, { key: name, types: [t, t], body: () => f(t) })];
  };
}

kernels.div = ([a, b], _attrs, [spec]) => [runMap(current(), [a!, b!], spec!, { key: 'div', types: ['f32', 'f32'], body: () => 'v0 / v1' })];

for (const [name, op] of Object.entries(COMPARE)) {
  kernels[name] = ([a, b], _attrs, [spec]) => {
    const t = promoted(a!.dtype, b!.dtype);
    // Ordered comparisons by hand: a compiler may assume no NaN, so NaN operands are tested by bits.
    const body = t === 'f32'
      ? name === 'ne'
        ? 'b2u((v0 != v1) || isnan_f(v0) || isnan_f(v1))'
        : `b2u((v0 ${op} v1) && !isnan_f(v0) && !isnan_f(v1))`
      : `b2u(v0 ${op} v1)`;
    return [runMap(current(), [a!, b!], spec!, { key: name, types: [t, t], body: () => body })];
  };
}

for (const [name, op] of [['logicalAnd', '&&'], ['logicalOr', '||']] as const) {
  kernels[name] = ([a, b], _attrs, [spec]) => {
    const ta = wtype(a!.dtype);
    const tb = wtype(b!.dtype);
    return [runMap(current(), [a!, b!], spec!, { key: name, types: [ta, tb], body: () => `b2u(${nz('v0', ta)} ${op} ${nz('v1', tb)})` })];
  };
}

kernels.where = ([c, a, b], _attrs, [spec]) => {
  const t = wtype(spec!.dtype);
  return [runMap(current(), [c!, a!, b!], spec!, { key: 'where', types: ['u32', t, t], body: () => 'select(v2, v1, v0 != 0u)' })];
};
