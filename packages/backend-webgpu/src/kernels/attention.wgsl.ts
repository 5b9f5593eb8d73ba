/**
 * Fused `scaledDotProductAttention` (registered under the composite's name): softmax(q·kᵀ·scale
 * + mask)·v without ever materialising the L×S score matrix (FlashAttention's online softmax,
 * Dao et al. 2022, §3.1): each query keeps a running max m, a running sum s of e^(score-m) and
 * a running weighted sum of values, rescaled by e^(m_old - m_new) whenever m grows.
 *
 * Masks: causal (key j visible to query i iff j <= i, top-left aligned as `tril`), a boolean
 * mask (true = attend) and an additive float mask, each broadcast through its strides (0 for
 * broadcast dims), never expanded. A query that sees no key gets NaN, as in PyTorch.
 *
 * Bindings: q, k, v, the mask and the output make five storage buffers, one more than
 * compatibility mode grants by default; on such a device k and v are first copied into one
 * buffer (k's rows, then v's) and bound once.
 *
 * Tiling: one invocation per (batch, query, chunk of 32 value columns). The query row, the key
 * rows and the value rows are read in place (rows must have unit stride; other layouts are
 * copied first); a causal query stops at its own position. With more than 32 value columns
 * the scores are recomputed per chunk — cheaper than a second kernel on the software adapters,
 * and the L×S matrix still never exists.
 * @module
 */
import type { Kernel, OutputSpec, SdpaAttrs, TensorView } from '@tessera/tensor';
import { contiguousStrides, sizeOf } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { Params, alignStrides, buf, coalesce, entry, header, outBuffer, stridedIndex, wtype, WG } from './common.js';
import { runMap } from './elementwise.wgsl.js';
import { matmulViews } from './matmul.wgsl.js';
import { runMaskedSoftmax } from './softmax.wgsl.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Value columns per invocation. */
const CHUNK = 32;

function unitRows(ctx: GpuContext, v: TensorView, temps: GpuBuffer[]): TensorView {
  if (v.strides[v.shape.length - 1] === 1 || v.shape[v.shape.length - 1] === 1) return v;
  const tmp = runMap(ctx, [v], { shape: v.shape, dtype: v.dtype }, { key: 'copy', types: [wtype(v.dtype)], body: () => 'v0' });
  temps.push(tmp);
  return { buffer: tmp, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
}

function batchStrides(v: TensorView, outBatch: readonly number[]): number[] {
  const r = v.shape.length;
  const lead = outBatch.length - (r - 2);
  return outBatch.map((_, i) => (i < lead || v.shape[i - lead] === 1 ? 0 : v.strides[i - lead]!));
}

function runAttention(ctx: GpuContext, inputs: readonly TensorView[], a: SdpaAttrs, spec: OutputSpec): GpuBuffer {
  const out = outBuffer(ctx, spec);
  if (sizeOf(spec.shape) === 0) return out;
  const temps: GpuBuffer[] = [];
  const q = unitRows(ctx, inputs[0]!, temps);
  let k = unitRows(ctx, inputs[1]!, temps);
  let v = unitRows(ctx, inputs[2]!, temps);
  const mask = a.maskKind === 'none' ? undefined : inputs[3]!;
  const packed = mask !== undefined && ctx.info.maxStorageBuffers < 5;
  if (packed) {
    // k then v, each dense, in one buffer.
    const kLen = sizeOf(k.shape);
    const kv = ctx.pool.acquire(Math.max(4, (kLen + sizeOf(v.shape)) * 4), false);
    temps.push(kv);
    runMap(ctx, [k], { shape: k.shape, dtype: 'float32' }, { key: 'copy', types: ['f32'], body: () => 'v0' }, { buffer: kv, offset: 0, strides: contiguousStrides(k.shape) });
    runMap(ctx, [v], { shape: v.shape, dtype: 'float32' }, { key: 'copy', types: ['f32'], body: () => 'v0' }, { buffer: kv, offset: kLen, strides: contiguousStrides(v.shape) });
    k = { buffer: kv, dtype: 'float32', shape: k.shape, strides: contiguousStrides(k.shape), offset: 0 };
    v = { buffer: kv, dtype: 'float32', shape: v.shape, strides: contiguousStrides(v.shape), offset: kLen };
  }
  const outBatch = spec.shape.slice(0, -2);
  const L = q.shape[q.shape.length - 2]!;
  const E = q.shape[q.shape.length - 1]!;
  const S = k.shape[k.shape.length - 2]!;
  const Ev = v.shape[v.shape.length - 1]!;
  const chunks = Math.ceil(Ev / CHUNK);
  const batches = sizeOf(outBatch);
  const total = batches * L * chunks;
  const ms = mask ? alignStrides(mask, [...outBatch, L, S]) : [];
  const c = coalesce(outBatch, [contiguousStrides(outBatch), batchStrides(q, outBatch), batchStrides(k, outBatch), batchStrides(v, outBatch), mask ? ms.slice(0, -2) : outBatch.map(() => 0)]);
  if (batches * L * S <= ctx.info.attentionScoreBudget) {
    runAttentionMaterialised(ctx, { q, k, v, mask, packed, a, L, E, S, Ev, batches, c, ms }, spec, out);
    for (const t of temps) ctx.pool.release(t);
    return out;
  }
  const rowStride = (t: TensorView): number => t.strides[t.shape.length - 2]!;
  const vec4 =
    E % 4 === 0 && E <= 256 && Ev % 4 === 0 &&
    [q, k, v].every((t, i) => t.offset % 4 === 0 && rowStride(t) % 4 === 0 && c.strides[i + 1]!.every((st) => st % 4 === 0));
  if (vec4) {
    runAttentionVec4(ctx, { q, k, v, mask, packed, a, L, E, S, Ev, batches, c, ms }, out);
    for (const t of temps) ctx.pool.release(t);
    return out;
  }
  const p = new Params();
  const at = p.us([total, L, S, E, Ev, chunks, q.strides[q.shape.length - 2]!, k.strides[k.shape.length - 2]!, v.strides[v.shape.length - 2]!]);
  const mw = p.us([mask ? ms[ms.length - 2]! : 0, mask ? ms[ms.length - 1]! : 0]);
  const scaleW = p.f(a.scale);
  const index = stridedIndex(p, c.shape, [
    { offset: q.offset, strides: c.strides[1]! },
    { offset: k.offset, strides: c.strides[2]! },
    { offset: v.offset, strides: c.strides[3]! },
    { offset: mask?.offset ?? 0, strides: c.strides[4]! },
  ], 'bz', 'b');
  const mt = mask ? wtype(mask.dtype) : 'f32';
  const reads = [{ name: 'Q', type: 'f32' }, ...(packed ? [{ name: 'KV', type: 'f32' }] : [{ name: 'K', type: 'f32' }, { name: 'V', type: 'f32' }]), ...(mask ? [{ name: 'Mk', type: mt }] : [])];
  const K = packed ? 'KV' : 'K';
  const V = packed ? 'KV' : 'V';
  const maskCode =
    a.maskKind === 'bool'
      ? 'if (Mk[boff3 + l * msl + j * mss] == 0u) { continue; }'
      : a.maskKind === 'additive'
        ? 'score += Mk[boff3 + l * msl + j * mss];'
        : '';
  const js = Array.from({ length: CHUNK }, (_, i) => i);
  ctx.launch({
    key: `sdpa|${a.maskKind}|${a.isCausal ? 'causal' : 'full'}${packed ? '|packed' : ''}|r${c.shape.length}`,
    reads: [buf(ctx, q), ...(packed ? [buf(ctx, k)] : [buf(ctx, k), buf(ctx, v)]), ...(mask ? [buf(ctx, mask)] : [])],
    writes: [out],
    params: p,
    groups: ctx.grid(Math.ceil(total / WG)),
    code: () => `${header(reads, [{ name: 'out', type: 'f32' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${at}u)) { return; }
  let L = pu(${at + 1}u);
  let S = pu(${at + 2}u);
  let E = pu(${at + 3}u);
  let Ev = pu(${at + 4}u);
  let chunks = pu(${at + 5}u);
  let qs = pu(${at + 6}u);
  let ks = pu(${at + 7}u);
  let vs = pu(${at + 8}u);
  let msl = pu(${mw}u);
  let mss = pu(${mw + 1}u);
  let scale = pf(${scaleW}u);
  let ch = lin % chunks;
  let l = (lin / chunks) % L;
  let bz = lin / (chunks * L);
  ${index.replace(/\n/g, '\n  ')}
  let qrow = boff0 + l * qs;
  let c0 = ch * ${CHUNK}u;
  var m = -inf_f();
  var s = 0.0;
  var acc: array<f32, ${CHUNK}>;
  let send = ${a.isCausal ? 'min(S, l + 1u)' : 'S'};
  for (var j = 0u; j < send; j++) {
    let krow = boff1 + j * ks;
    var score = 0.0;
    for (var e = 0u; e < E; e++) { score += Q[qrow + e] * ${K}[krow + e]; }
    score *= scale;
    ${maskCode}
    if (score == -inf_f()) { continue; }
    let m2 = maxnan_f(m, score);
    let corr = exp(m - m2);
    let pj = exp(score - m2);
    s = s * corr + pj;
    let vrow = boff2 + j * vs;
${js.map((i) => `    acc[${i}] = acc[${i}] * corr + pj * ${V}[vrow + min(c0 + ${i}u, Ev - 1u)];`).join('\n')}
    m = m2;
  }
  let obase = (bz * L + l) * Ev;
  let inv = 1.0 / s;
${js.map((i) => `  if (c0 + ${i}u < Ev) { out[obase + c0 + ${i}u] = select(acc[${i}] * inv, nan_f(), s == 0.0); }`).join('\n')}
}`,
  });
  for (const t of temps) ctx.pool.release(t);
  return out;
}

interface AttnArgs {
  q: TensorView;
  k: TensorView;
  v: TensorView;
  mask: TensorView | undefined;
  packed: boolean;
  a: SdpaAttrs;
  L: number;
  E: number;
  S: number;
  Ev: number;
  batches: number;
  c: { shape: number[]; strides: number[][] };
  ms: number[];
}

/**
 * The vec4 form (E and Ev multiples of 4, rows 4-aligned): the query row, pre-scaled, sits in
 * registers as E/4 vec4; each key costs E/4 vec4 dot products and each value row CH/4 vec4
 * multiply-adds into the register accumulator. Consecutive invocations take consecutive queries
 * of one (batch, chunk), so on a CPU rasteriser every SIMD lane reads the same key and value row.
 */
function runAttentionVec4(ctx: GpuContext, x: AttnArgs, out: GpuBuffer): void {
  const { q, k, v, mask, packed, a, L, E, S, Ev, batches, c, ms } = x;
  const E4 = E / 4;
  const CH4 = Math.min(Ev / 4, 16);
  const chunks = Math.ceil(Ev / 4 / CH4);
  const total = batches * L * chunks;
  const p = new Params();
  const at = p.us([total, L, S, Ev / 4, batches, q.strides[q.shape.length - 2]! / 4, k.strides[k.shape.length - 2]! / 4, v.strides[v.shape.length - 2]! / 4]);
  const mw = p.us([mask ? ms[ms.length - 2]! : 0, mask ? ms[ms.length - 1]! : 0]);
  const scaleW = p.f(a.scale);
  const index = stridedIndex(p, c.shape, [
    { offset: q.offset / 4, strides: c.strides[1]!.map((st) => st / 4) },
    { offset: k.offset / 4, strides: c.strides[2]!.map((st) => st / 4) },
    { offset: v.offset / 4, strides: c.strides[3]!.map((st) => st / 4) },
    { offset: mask?.offset ?? 0, strides: c.strides[4]! },
  ], 'bz', 'b');
  const mt = mask ? wtype(mask.dtype) : 'f32';
  const reads = [{ name: 'Q', type: 'vec4<f32>' }, ...(packed ? [{ name: 'KV', type: 'vec4<f32>' }] : [{ name: 'K', type: 'vec4<f32>' }, { name: 'V', type: 'vec4<f32>' }]), ...(mask ? [{ name: 'Mk', type: mt }] : [])];
  const K = packed ? 'KV' : 'K';
  const V = packed ? 'KV' : 'V';
  const maskCode =
    a.maskKind === 'bool'
      ? 'if (Mk[boff3 + l * msl + j * mss] == 0u) { continue; }'
      : a.maskKind === 'additive'
        ? 'score += Mk[boff3 + l * msl + j * mss];'
        : '';
  ctx.launch({
    key: `sdpa4|${a.maskKind}|${a.isCausal ? 'causal' : 'full'}${packed ? '|packed' : ''}|e${E4}c${CH4}|r${c.shape.length}`,
    reads: [buf(ctx, q), ...(packed ? [buf(ctx, k)] : [buf(ctx, k), buf(ctx, v)]), ...(mask ? [buf(ctx, mask)] : [])],
    writes: [out],
    params: p,
    groups: ctx.grid(Math.ceil(total / WG)),
    code: () => `${header(reads, [{ name: 'out', type: 'vec4<f32>' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${at}u)) { return; }
  let L = pu(${at + 1}u);
  let S = pu(${at + 2}u);
  let Ev4 = pu(${at + 3}u);
  let B = pu(${at + 4}u);
  let qs = pu(${at + 5}u);
  let ks = pu(${at + 6}u);
  let vs = pu(${at + 7}u);
  let msl = pu(${mw}u);
  let mss = pu(${mw + 1}u);
  let scale = pf(${scaleW}u);
  let l = lin % L;
  let bz = (lin / L) % B;
  let c0 = (lin / (L * B)) * ${CH4}u;
  let cn = min(${CH4}u, Ev4 - c0);
  ${index.replace(/\n/g, '\n  ')}
${range(E4).map((e) => `  let q${e} = Q[boff0 + l * qs + ${e}u] * scale;`).join('\n')}
  var m = -inf_f();
  var s = 0.0;
${range(CH4).map((i) => `  var a${i} = vec4<f32>(0.0);`).join('\n')}
  let send = ${a.isCausal ? 'min(S, l + 1u)' : 'S'};
  for (var j = 0u; j < send; j++) {
    let kr = boff1 + j * ks;
    var score = ${range(E4).map((e) => `dot(q${e}, ${K}[kr + ${e}u])`).join(' + ')};
    ${maskCode}
    if (score == -inf_f()) { continue; }
    let m2 = maxnan_f(m, score);
    let corr = exp(m - m2);
    let pj = exp(score - m2);
    s = s * corr + pj;
    let vr = boff2 + j * vs + c0;
${range(CH4).map((i) => `    a${i} = a${i} * corr + pj * ${V}[vr + min(${i}u, cn - 1u)];`).join('\n')}
    m = m2;
  }
  let ob = (bz * L + l) * Ev4 + c0;
  let inv = select(vec4<f32>(1.0 / s), vec4<f32>(nan_f()), s == 0.0);
${range(CH4).map((i) => `  if (${i}u < cn) { out[ob + ${i}u] = a${i} * inv; }`).join('\n')}
}`,
  });
}

/**
 * The materialised form for CPU rasterisers, used while batch·L·S stays within the device's
 * score budget: scores = q·kᵀ by the register-blocked matmul, one fused scale + causal + mask +
 * softmax pass, then ·v by the matmul again — what the decomposition computes, in 3 dispatches
 * instead of 6 or more, and 3-4x faster there than the online kernel (8x256x256, E = 64, on
 * llvmpipe: 22 ms against 78-119 ms).
 */
function runAttentionMaterialised(ctx: GpuContext, x: AttnArgs, spec: OutputSpec, out: GpuBuffer): void {
  const { q, k, v, mask, a, L, E, S, batches, c, ms } = x;
  const outBatch = spec.shape.slice(0, -2);
  const kr = k.shape.length;
  const kT: TensorView = {
    ...k,
    shape: [...k.shape.slice(0, -2), E, S],
    strides: [...k.strides.slice(0, -2), k.strides[kr - 1]!, k.strides[kr - 2]!],
  };
  const scoreSpec: OutputSpec = { shape: [...outBatch, L, S], dtype: 'float32' };
  const scores = matmulViews(ctx, q, kT, scoreSpec);
  const probs = outBuffer(ctx, scoreSpec);
  runMaskedSoftmax(ctx, scores, batches * L, L, S, {
    scale: a.scale,
    causal: a.isCausal,
    kind: a.maskKind,
    ...(mask ? { mask } : {}),
    batch: { shape: c.shape, strides: c.strides[4]! },
    ls: mask ? [ms[ms.length - 2]!, ms[ms.length - 1]!] : [0, 0],
  }, probs);
  ctx.pool.release(scores);
  const pView: TensorView = { buffer: probs, dtype: 'float32', shape: scoreSpec.shape, strides: contiguousStrides(scoreSpec.shape), offset: 0 };
  matmulViews(ctx, pView, v, spec, out);
  ctx.pool.release(probs);
}

/** The fused attention kernel, under the composite's name. */
export const kernels: Record<string, Kernel> = {
  scaledDotProductAttention: (inputs, a: SdpaAttrs, [spec]) => [runAttention(current(), inputs, a, spec!)],
};
