/**
 * Reductions over any set of dims: `sum`, `prod`, `max`, `min` (NaN propagates), `argmax` and
 * `argmin` (first occurrence; a NaN wins, the first one).
 *
 * Tiling: the kept dims and the reduced dims are each merged on the host where the input walks
 * them contiguously, then one of two shapes runs:
 * - serial: one invocation per output, looping over the reduced elements (sums in blocks of 256
 *   partial sums, so float error grows with n/256 + 256 rather than n). Best when there are
 *   many outputs, and on CPU rasterisers, where each SIMD lane takes one output.
 * - workgroup: one workgroup of 64 per output; each invocation strides over the reduced elements,
 *   then a tree reduction in workgroup memory (ties broken by index, so argmax stays first-found).
 *   Used for few, long reductions (on CPU rasterisers: fewer than 32 outputs of 1024 or more).
 * @module
 */
import type { DType, Kernel, OutputSpec, TensorView } from '@tessera/tensor';
import { contiguousStrides, sizeOf } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { type WType, Params, buf, coalesce, cvt, entry, header, outBuffer, stridedIndex, wtype, WG } from './common.js';

/** The input's strides split into kept and reduced dims, each merged where possible. */
export interface ReducePlan {
  /** Number of outputs. */
  outCount: number;
  /** Reduced elements per output. */
  redCount: number;
  /** Kept dims (merged) and the input's strides over them. */
  keep: { shape: number[]; strides: number[] };
  /** Reduced dims (merged, row-major order kept) and the input's strides over them. */
  red: { shape: number[]; strides: number[] };
}

/** Splits a view for a reduction over `dims`. */
export function planReduce(x: TensorView, dims: readonly number[]): ReducePlan {
  const keptDims = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const keepShape = keptDims.map((i) => x.shape[i]!);
  const keepSt = keptDims.map((i) => x.strides[i]!);
  const k = coalesce(keepShape, [contiguousStrides(keepShape), keepSt]);
  const redShape = dims.map((i) => x.shape[i]!);
  const r = coalesce(redShape, [dims.map((i) => x.strides[i]!)]);
  return {
    outCount: sizeOf(keepShape),
    redCount: sizeOf(redShape),
    keep: { shape: k.shape, strides: k.strides[1]! },
    red: { shape: r.shape, strides: r.strides[0]! },
  };
}

interface Reducer {
  /** Accumulator type. */
  acc: WType;
  /** Identity element (WGSL expression). */
  init: string;
  /** Combines two accumulators `a` and `b` (WGSL expression). */
  op: string;
  /** Sum in blocks (float sums only). */
  blocked: boolean;
}

function reducer(name: string, out: DType): Reducer {
  const t: WType = out === 'float32' ? 'f32' : 'i32';
  const f = t === 'f32';
  switch (name) {
    case 'sum':
      return { acc: t, init: f ? '0.0' : '0', op: 'a + b', blocked: f };
    case 'prod':
      return { acc: t, init: f ? '1.0' : '1', op: 'a * b', blocked: false };
    case 'max':
      return { acc: t, init: f ? '-inf_f()' : '(-2147483647 - 1)', op: f ? 'maxnan_f(a, b)' : 'max(a, b)', blocked: false };
    default:
      return { acc: t, init: f ? 'inf_f()' : '2147483647', op: f ? 'minnan_f(a, b)' : 'min(a, b)', blocked: false };
  }
}

/**
 * Whether the workgroup shape pays: few outputs, long reductions — on CPU rasterisers only for
 * a handful of outputs, since barriers cost more there than the parallelism gains.
 */
function useWorkgroup(ctx: GpuContext, plan: ReducePlan): boolean {
  if (ctx.info.cpu) return plan.outCount < 32 && plan.redCount >= 1024;
  return plan.redCount >= 1024 || (plan.redCount >= 128 && plan.outCount <= 1024);
}

function runReduce(ctx: GpuContext, name: string, x: TensorView, dims: readonly number[], spec: OutputSpec): GpuBuffer {
  const out = outBuffer(ctx, spec);
  const plan = planReduce(x, dims);
  if (plan.outCount === 0) return out;
  const R = reducer(name, spec.dtype);
  const wg = useWorkgroup(ctx, plan);
  const p = new Params();
  const inT = wtype(x.dtype);
  const nOut = p.u(plan.outCount);
  const nRed = p.u(plan.redCount);
  const baseIdx = stridedIndex(p, plan.keep.shape, [{ offset: x.offset, strides: plan.keep.strides }], 'o', 'b');
  const redIdx = stridedIndex(p, plan.red.shape, [{ offset: 0, strides: plan.red.strides }], 'r', 'r');
  const load = `let v: ${R.acc} = ${cvt('in0[boff0 + roff0]', inT, R.acc)};`;
  const fn = `fn comb(a: ${R.acc}, b: ${R.acc}) -> ${R.acc} { return ${R.op}; }`;
  let body: string;
  if (!wg) {
    body = R.blocked
      ? `var total: ${R.acc} = ${R.init};
  var block: ${R.acc} = ${R.init};
  for (var r = 0u; r < n_red; r++) {
    ${redIdx.replace(/\n/g, '\n    ')}
    ${load}
    block = block + v;
    if ((r & 255u) == 255u) { total = total + block; block = ${R.init}; }
  }
  out[o] = total + block;`
      : `var acc: ${R.acc} = ${R.init};
  for (var r = 0u; r < n_red; r++) {
    ${redIdx.replace(/\n/g, '\n    ')}
    ${load}
    acc = comb(acc, v);
  }
  out[o] = acc;`;
  } else {
    body = `var acc: ${R.acc} = ${R.init};
  for (var r = lid.x; r < n_red; r += ${WG}u) {
    ${redIdx.replace(/\n/g, '\n    ')}
    ${load}
    acc = comb(acc, v);
  }
  sh[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { sh[lid.x] = comb(sh[lid.x], sh[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[o] = sh[0]; }`;
  }
  const outT = wtype(spec.dtype);
  ctx.launch({
    key: `reduce:${name}${wg ? ':wg' : ''}|${inT}>${outT}|k${plan.keep.shape.length}r${plan.red.shape.length}`,
    reads: [buf(ctx, x)],
    writes: [out],
    params: p,
    groups: ctx.grid(wg ? plan.outCount : Math.ceil(plan.outCount / WG)),
    code: () => `${header([{ name: 'in0', type: inT }], [{ name: 'out', type: outT }], p)}
${fn}
${wg ? `var<workgroup> sh: array<${R.acc}, ${WG}>;` : ''}
${entry(WG)}
  let o = ${wg ? 'linear_group(wid, nwg)' : `linear_group(wid, nwg) * ${WG}u + lid.x`};
  let n_red = pu(${nRed}u);
  if (o >= pu(${nOut}u)) { return; }
  ${baseIdx.replace(/\n/g, '\n  ')}
  ${body}
}`,
  });
  return out;
}

function runArg(ctx: GpuContext, name: 'argmax' | 'argmin', x: TensorView, dim: number | null, spec: OutputSpec): GpuBuffer {
  const out = outBuffer(ctx, spec);
  const dims = dim === null ? x.shape.map((_, i) => i) : x.shape.length === 0 ? [] : [dim];
  const plan = planReduce(x, dims);
  if (plan.outCount === 0) return out;
  const wg = useWorkgroup(ctx, plan);
  const p = new Params();
  const t = wtype(x.dtype);
  const f = t === 'f32';
  const cmp = name === 'argmax' ? '>' : '<';
  const nOut = p.u(plan.outCount);
  const nRed = p.u(plan.redCount);
  const baseIdx = stridedIndex(p, plan.keep.shape, [{ offset: x.offset, strides: plan.keep.strides }], 'o', 'b');
  const redIdx = stridedIndex(p, plan.red.shape, [{ offset: 0, strides: plan.red.strides }], 'r', 'r');
  // Whether (bv, bi) should replace (av, ai): a NaN beats everything, then the better value, then
  // the lower index; NONE marks an empty slot.
  const better = `const NONE: u32 = 0xffffffffu;
fn better(av: ${t}, ai: u32, bv: ${t}, bi: u32) -> bool {
  if (bi == NONE) { return false; }
  if (ai == NONE) { return true; }
  ${f ? `let an = isnan_f(av); let bn = isnan_f(bv);
  if (an || bn) { if (an && bn) { return bi < ai; } return bn; }` : ''}
  if (bv ${cmp} av) { return true; }
  if (av ${cmp} bv) { return false; }
  return bi < ai;
}`;
  const scan = (start: string, step: string) => `var bv: ${t} = ${f ? '0.0' : '0'};
  var bi: u32 = NONE;
  for (var r = ${start}; r < n_red; r += ${step}) {
    ${redIdx.replace(/\n/g, '\n    ')}
    let v = in0[boff0 + roff0];
    if (better(bv, bi, v, r)) { bv = v; bi = r; }
  }`;
  const body = wg
    ? `${scan('lid.x', `${WG}u`)}
  shv[lid.x] = bv;
  shi[lid.x] = bi;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s && better(shv[lid.x], shi[lid.x], shv[lid.x + s], shi[lid.x + s])) {
      shv[lid.x] = shv[lid.x + s];
      shi[lid.x] = shi[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[o] = i32(shi[0]); }`
    : `${scan('0u', '1u')}
  out[o] = i32(bi);`;
  ctx.launch({
    key: `reduce:${name}${wg ? ':wg' : ''}|${t}|k${plan.keep.shape.length}r${plan.red.shape.length}`,
    reads: [buf(ctx, x)],
    writes: [out],
    params: p,
    groups: ctx.grid(wg ? plan.outCount : Math.ceil(plan.outCount / WG)),
    code: () => `${header([{ name: 'in0', type: t }], [{ name: 'out', type: 'i32' }], p)}
${better}
${wg ? `var<workgroup> shv: array<${t}, ${WG}>;\nvar<workgroup> shi: array<u32, ${WG}>;` : ''}
${entry(WG)}
  let o = ${wg ? 'linear_group(wid, nwg)' : `linear_group(wid, nwg) * ${WG}u + lid.x`};
  let n_red = pu(${nRed}u);
  if (o >= pu(${nOut}u)) { return; }
  ${baseIdx.replace(/\n/g, '\n  ')}
  ${body}
}`,
  });
  return out;
}

/** Reduction kernels by op name. */
export const kernels: Record<string, Kernel> = {};
for (const name of ['sum', 'prod', 'max', 'min']) {
  kernels[name] = ([x], a: { dims: number[] }, [spec]) => [runReduce(current(), name, x!, a.dims, spec!)];
}
for (const name of ['argmax', 'argmin'] as const) {
  kernels[name] = ([x], a: { dim: number | null }, [spec]) => [runArg(current(), name, x!, a.dim, spec!)];
}

export { runReduce };
