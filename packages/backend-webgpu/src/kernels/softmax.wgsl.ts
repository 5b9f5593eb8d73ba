/**
 * Fused `softmax` and `logSoftmax` (registered under the composites' names, replacing their
 * max / sub / exp / sum / div decomposition: one dispatch instead of five, one read of the row
 * for the statistics and one for the output instead of five round trips through memory).
 *
 * The statistics are the online softmax (Milakov & Gimelshein 2018): one pass keeps the running
 * max m and the sum s of e^(x-m), rescaling s whenever m grows. NaN propagates through m; a row
 * whose max is -inf gives NaN, as the decomposition does.
 *
 * Tiling: the row is `n` elements `inner` apart (the softmax dim need not be last). Either one
 * invocation per row, or one workgroup of 64 per row, each invocation folding a strided share
 * of the row, then a tree merge of the (m, s) pairs in workgroup memory, then all 64 write the
 * row. Real GPUs use the workgroup shape from rows of 256; CPU rasterisers only for a few very
 * long rows (barriers are dear there: 1024x1024 on SwiftShader takes 162 ms one-per-row, 475 ms
 * with workgroups).
 * @module
 */
import type { Kernel, OutputSpec, TensorView } from '@tessera/tensor';
import { sizeOf } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { Params, buf, entry, header, outBuffer, stridedIndex, wtype, WG } from './common.js';
import { denseView } from './dense.js';

/** WGSL: merging two online-softmax states (m, s); a -inf max contributes nothing. */
export const ONLINE = `fn merge_ms(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let m = maxnan_f(a.x, b.x);
  if (m == -inf_f()) { return vec2<f32>(m, 0.0); }
  let sa = select(a.y * exp(a.x - m), 0.0, a.x == -inf_f());
  let sb = select(b.y * exp(b.x - m), 0.0, b.x == -inf_f());
  return vec2<f32>(m, sa + sb);
}
// One element into a state: one exp per element. +inf makes the sum NaN, as x - max does in the
// decomposition.
fn push_ms(st: vec2<f32>, x: f32) -> vec2<f32> {
  if (isnan_f(x) || isnan_f(st.x)) { return vec2<f32>(nan_f(), nan_f()); }
  if (x == -inf_f()) { return st; }
  if (x == inf_f()) { return vec2<f32>(x, nan_f()); }
  if (x <= st.x) { return vec2<f32>(st.x, st.y + exp(x - st.x)); }
  return vec2<f32>(x, st.y * exp(st.x - x) + 1.0);
}`;

function runSoftmax(ctx: GpuContext, xv: TensorView, dim: number, spec: OutputSpec, log: boolean): GpuBuffer {
  const out = outBuffer(ctx, spec);
  const total = sizeOf(spec.shape);
  if (total === 0) return out;
  const temps: GpuBuffer[] = [];
  const x = denseView(ctx, xv, temps);
  const n = x.shape[dim]!;
  const inner = sizeOf(x.shape.slice(dim + 1));
  const rows = total / n;
  const wg = ctx.info.cpu ? rows < 32 && n >= 1024 : n >= 256;
  if (!wg && inner === 1 && n % 4 === 0 && x.offset % 4 === 0) {
    runSoftmaxVec4(ctx, x, rows, n, out, log);
    for (const t of temps) ctx.pool.release(t);
    return out;
  }
  const p = new Params();
  const w = p.us([rows, n, inner, x.offset]);
  const write = log ? 'v - st.x - log(st.y)' : 'exp(v - st.x) / st.y';
  const rowSetup = `let o = row / inner;
  let i = row % inner;
  let base = o * n * inner + i;`;
  const body = wg
    ? `var st = vec2<f32>(-inf_f(), 0.0);
  for (var j = lid.x; j < n; j += ${WG}u) { st = push_ms(st, X[xoff + base + j * inner]); }
  sh[lid.x] = st;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { sh[lid.x] = merge_ms(sh[lid.x], sh[lid.x + s]); }
    workgroupBarrier();
  }
  st = sh[0];
  for (var j = lid.x; j < n; j += ${WG}u) { let v = X[xoff + base + j * inner]; out[base + j * inner] = ${write}; }`
    : `var st = vec2<f32>(-inf_f(), 0.0);
  for (var j = 0u; j < n; j++) { st = push_ms(st, X[xoff + base + j * inner]); }
  for (var j = 0u; j < n; j++) { let v = X[xoff + base + j * inner]; out[base + j * inner] = ${write}; }`;
  ctx.launch({
    key: `${log ? 'logSoftmax' : 'softmax'}${wg ? ':wg' : ''}`,
    reads: [buf(ctx, x)],
    writes: [out],
    params: p,
    groups: ctx.grid(wg ? rows : Math.ceil(rows / WG)),
    code: () => `${header([{ name: 'X', type: 'f32' }], [{ name: 'out', type: 'f32' }], p)}
${ONLINE}
${wg ? `var<workgroup> sh: array<vec2<f32>, ${WG}>;` : ''}
${entry(WG)}
  let row = ${wg ? 'linear_group(wid, nwg)' : `linear_group(wid, nwg) * ${WG}u + lid.x`};
  if (row >= pu(${w}u)) { return; }
  let n = pu(${w + 1}u);
  let inner = pu(${w + 2}u);
  let xoff = pu(${w + 3}u);
  ${rowSetup}
  ${body}
}`,
  });
  for (const t of temps) ctx.pool.release(t);
  return out;
}

/**
 * Rows along the last dim, one per invocation, read as vec4: the decomposition's three passes
 * (max, sum of e^(x-max), write) with vector loads and a vector exp — on CPU rasterisers the
 * per-element branch of the online update costs more than the extra pass over a cached row.
 */
function runSoftmaxVec4(ctx: GpuContext, x: TensorView, rows: number, n: number, out: GpuBuffer, log: boolean): void {
  const p = new Params();
  const w = p.us([rows, n / 4, x.offset / 4]);
  ctx.launch({
    key: `${log ? 'logSoftmax' : 'softmax'}:vec4`,
    reads: [buf(ctx, x)],
    writes: [out],
    params: p,
    groups: ctx.grid(Math.ceil(rows / WG)),
    code: () => `${header([{ name: 'X', type: 'vec4<f32>' }], [{ name: 'out', type: 'vec4<f32>' }], p)}
${entry(WG)}
  let row = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (row >= pu(${w}u)) { return; }
  let n4 = pu(${w + 1}u);
  let xb = pu(${w + 2}u) + row * n4;
  var m4 = vec4<f32>(-inf_f());
  var nan = false;
  for (var j = 0u; j < n4; j++) {
    let v = X[xb + j];
    nan = nan || any((bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u));
    m4 = max(m4, v);
  }
  var m = max(max(m4.x, m4.y), max(m4.z, m4.w));
  if (nan) { m = nan_f(); }
  var s4 = vec4<f32>(0.0);
  for (var j = 0u; j < n4; j++) { s4 += exp(X[xb + j] - m); }
  let s = s4.x + s4.y + s4.z + s4.w;
  let ob = row * n4;
  ${log ? 'let ls = log(s);' : 'let inv = 1.0 / s;'}
  for (var j = 0u; j < n4; j++) { out[ob + j] = ${log ? 'X[xb + j] - m - ls' : 'exp(X[xb + j] - m) * inv'}; }
}`,
  });
}

/** What {@link runMaskedSoftmax} applies before the softmax, as attention's decomposition does. */
export interface ScoreMask {
  /** Multiplies every score. */
  scale: number;
  /** Key j is hidden from query l when j > l. */
  causal: boolean;
  /** `'bool'` (false hides) or `'additive'` mask, or none. */
  kind: 'none' | 'bool' | 'additive';
  /** The mask view, if any. */
  mask?: TensorView;
  /** Merged batch dims and the mask's strides over them; then its strides along L and S. */
  batch: { shape: number[]; strides: number[] };
  /** The mask's strides along L and S. */
  ls: [number, number];
}

/**
 * Softmax over the last dim of dense scores [B·L, S] after scale, causal and mask — attention's
 * decomposition in one pass per row (used by attention's materialised path): the masked score
 * is recomputed in each of the three passes rather than stored.
 */
export function runMaskedSoftmax(ctx: GpuContext, scores: GpuBuffer, rows: number, L: number, S: number, m: ScoreMask, out: GpuBuffer): void {
  const p = new Params();
  const w = p.us([rows, L, S]);
  const sw = p.f(m.scale);
  const lsw = p.us(m.ls);
  const index = stridedIndex(p, m.batch.shape, [{ offset: m.mask?.offset ?? 0, strides: m.batch.strides }], 'bz', 'b');
  const mt = m.mask ? wtype(m.mask.dtype) : 'f32';
  const maskExpr =
    m.kind === 'bool' ? 'if (Mk[boff0 + l * msl + j * mss] == 0u) { v = -inf_f(); }' : m.kind === 'additive' ? 'v += Mk[boff0 + l * msl + j * mss];' : '';
  ctx.launch({
    key: `maskedSoftmax|${m.kind}|${m.causal ? 'causal' : 'full'}|r${m.batch.shape.length}`,
    reads: [scores, ...(m.mask ? [buf(ctx, m.mask)] : [])],
    writes: [out],
    params: p,
    groups: ctx.grid(Math.ceil(rows / WG)),
    code: () => `${header([{ name: 'X', type: 'f32' }, ...(m.mask ? [{ name: 'Mk', type: mt }] : [])], [{ name: 'out', type: 'f32' }], p)}
${entry(WG)}
  let r = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (r >= pu(${w}u)) { return; }
  let L = pu(${w + 1}u);
  let S = pu(${w + 2}u);
  let scale = pf(${sw}u);
  let msl = pu(${lsw}u);
  let mss = pu(${lsw + 1}u);
  let l = r % L;
  let bz = r / L;
  ${index.replace(/\n/g, '\n  ')}
  let base = r * S;
  var m = -inf_f();
  for (var j = 0u; j < S; j++) { m = maxnan_f(m, score(base, j, l, bz, scale, msl, mss, boff0)); }
  var s = 0.0;
  for (var j = 0u; j < S; j++) { s += exp(score(base, j, l, bz, scale, msl, mss, boff0) - m); }
  let inv = 1.0 / s;
  for (var j = 0u; j < S; j++) { out[base + j] = exp(score(base, j, l, bz, scale, msl, mss, boff0) - m) * inv; }
}
fn score(base: u32, j: u32, l: u32, bz: u32, scale: f32, msl: u32, mss: u32, boff0: u32) -> f32 {
  var v = X[base + j] * scale;
  ${m.causal ? 'if (j > l) { v = -inf_f(); }' : ''}
  ${maskExpr}
  return v;
}`,
  });
}

/** Fused softmax kernels by (composite) op name. */
export const kernels: Record<string, Kernel> = {
  softmax: ([x], a: { dim: number }, [spec]) => [runSoftmax(current(), x!, a.dim, spec!, false)],
  logSoftmax: ([x], a: { dim: number }, [spec]) => [runSoftmax(current(), x!, a.dim, spec!, true)],
};
