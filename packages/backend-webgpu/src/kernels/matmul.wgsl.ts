/**
 * Matrix products with broadcast batch dims. Three kernels; the adapter decides between the
 * first two ({@link DeviceInfo.matmul}, reported by `webgpuInfo()`):
 *
 * - `registers` (CPU rasterisers: SwiftShader, llvmpipe). Each invocation computes an 8x8 block
 *   of C entirely in registers: per step of 4 along K it loads 8 vec4 of A (one per row) and 8
 *   vec4 of B (4 rows x 2 vec4 of columns) and does 64 vec4 multiply-adds. No workgroup memory:
 *   on a CPU the cache already holds the reused rows, and workgroup tiles only add copies and
 *   barriers (measured here: 8 GFLOP/s vs 6 for the best tiled kernel on llvmpipe). Workgroups
 *   are 8x8 invocations = a 64x64 block of C, x along columns so neighbouring SIMD lanes read
 *   neighbouring vec4 of B. Needs row-major operands with K and N multiples of 4; other float
 *   layouts are copied to that layout first when the product is large enough to pay for it.
 * - `tiled` (real GPUs). A 64x64 tile of C per workgroup of 16x16, 4x4 outputs per invocation,
 *   K in steps of 16 staged through workgroup memory (A tile 64x16, B tile 16x64), so each
 *   global element is read once per tile instead of once per output. Reads any strides.
 * - `generic`: 4x4 outputs per invocation with scalar strided loads, in i32 or f32; int32
 *   products and small or oddly shaped float products.
 * @module
 */
import type { Kernel, OutputSpec, TensorView } from '@tessera/tensor';
import { contiguousStrides, sizeOf } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { type WType, Params, buf, coalesce, cvt, header, outBuffer, stridedIndex, wtype } from './common.js';
import { runMap } from './elementwise.wgsl.js';

/** A matmul operand: a view and the batch strides aligned to the output's batch shape. */
interface Operand {
  view: TensorView;
  rows: number;
  cols: number;
  rowStride: number;
  colStride: number;
  batch: number[];
}

function operand(v: TensorView, outBatch: readonly number[]): Operand {
  const r = v.shape.length;
  const lead = outBatch.length - (r - 2);
  const batch = outBatch.map((_, i) => (i < lead || v.shape[i - lead] === 1 ? 0 : v.strides[i - lead]!));
  return { view: v, rows: v.shape[r - 2]!, cols: v.shape[r - 1]!, rowStride: v.strides[r - 2]!, colStride: v.strides[r - 1]!, batch };
}

/** Whether the registers kernel can read an operand as vec4 rows. */
function vec4Ready(o: Operand): boolean {
  const rowOk = o.rows === 1 || o.rowStride % 4 === 0;
  return o.cols % 4 === 0 && (o.colStride === 1 || o.cols === 1) && rowOk && o.view.offset % 4 === 0 && o.batch.every((s) => s % 4 === 0);
}

/** A contiguous copy of an operand's view (a temporary the caller releases). */
function denseCopy(ctx: GpuContext, v: TensorView, temps: GpuBuffer[]): TensorView {
  const tmp = runMap(ctx, [v], { shape: v.shape, dtype: v.dtype }, { key: 'copy', types: [wtype(v.dtype)], body: () => 'v0' });
  temps.push(tmp);
  return { buffer: tmp, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
}

/** Batch parameters: merged batch dims with A's and B's strides (divided by `unit`). */
function batchParams(p: Params, outBatch: readonly number[], a: Operand, b: Operand, unit: number): { code: string; rank: number } {
  const c = coalesce(outBatch, [contiguousStrides(outBatch), a.batch, b.batch]);
  const code = stridedIndex(p, c.shape, [
    { offset: a.view.offset / unit, strides: c.strides[1]!.map((s) => s / unit) },
    { offset: b.view.offset / unit, strides: c.strides[2]!.map((s) => s / unit) },
  ], 'bz', 'b');
  return { code, rank: c.shape.length };
}

/** Splits the batch over dispatches of at most `max` workgroups in z. */
function forBatches(ctx: GpuContext, count: number, run: (base: number, n: number) => void): void {
  const max = ctx.maxGroups;
  for (let base = 0; base < count; base += max) run(base, Math.min(max, count - base));
}

function registersKernel(ctx: GpuContext, A: Operand, B: Operand, outBatch: readonly number[], M: number, K: number, N: number, out: GpuBuffer): void {
  const N4 = N / 4;
  const K4 = K / 4;
  forBatches(ctx, sizeOf(outBatch), (base, count) => {
    const p = new Params();
    const dims = p.us([M, N4, K4, A.rows === 1 ? K4 : A.rowStride / 4, B.rows === 1 ? N4 : B.rowStride / 4, base]);
    const batch = batchParams(p, outBatch, A, B, 4);
    const rows = [0, 1, 2, 3, 4, 5, 6, 7];
    ctx.launch({
      key: `matmul:registers|r${batch.rank}`,
      reads: [buf(ctx, A.view), buf(ctx, B.view)],
      writes: [out],
      params: p,
      groups: [Math.ceil(Math.ceil(N4 / 2) / 8), Math.ceil(Math.ceil(M / 8) / 8), count],
      code: () => `${header([{ name: 'A', type: 'vec4<f32>' }, { name: 'B', type: 'vec4<f32>' }], [{ name: 'C', type: 'vec4<f32>' }], p)}
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = pu(${dims}u);
  let N4 = pu(${dims + 1}u);
  let K4 = pu(${dims + 2}u);
  let ars = pu(${dims + 3}u);
  let brs = pu(${dims + 4}u);
  let col = (wid.x * 8u + lid.x) * 2u;
  let row = (wid.y * 8u + lid.y) * 8u;
  if (col >= N4 || row >= M) { return; }
  let bz = wid.z + pu(${dims + 5}u);
  ${batch.code.replace(/\n/g, '\n  ')}
  let cbase = bz * M * N4;
  let c1 = min(col + 1u, N4 - 1u);
${rows.map((i) => `  let ar${i} = boff0 + min(row + ${i}u, M - 1u) * ars;`).join('\n')}
${rows.map((i) => `  var acc${i}0 = vec4<f32>(0.0);\n  var acc${i}1 = vec4<f32>(0.0);`).join('\n')}
  var kb = boff1;
  for (var k = 0u; k < K4; k++) {
${rows.map((i) => `    let a${i} = A[ar${i} + k];`).join('\n')}
    let b00 = B[kb + col]; let b01 = B[kb + c1];
    let b10 = B[kb + brs + col]; let b11 = B[kb + brs + c1];
    let b20 = B[kb + 2u * brs + col]; let b21 = B[kb + 2u * brs + c1];
    let b30 = B[kb + 3u * brs + col]; let b31 = B[kb + 3u * brs + c1];
${rows.map((i) => `    acc${i}0 += a${i}.x * b00 + a${i}.y * b10 + a${i}.z * b20 + a${i}.w * b30;\n    acc${i}1 += a${i}.x * b01 + a${i}.y * b11 + a${i}.z * b21 + a${i}.w * b31;`).join('\n')}
    kb += 4u * brs;
  }
${rows.map((i) => `  if (row + ${i}u < M) {
    C[cbase + (row + ${i}u) * N4 + col] = acc${i}0;
    if (col + 1u < N4) { C[cbase + (row + ${i}u) * N4 + col + 1u] = acc${i}1; }
  }`).join('\n')}
}`,
    });
  });
}

function tiledKernel(ctx: GpuContext, A: Operand, B: Operand, outBatch: readonly number[], M: number, K: number, N: number, out: GpuBuffer): void {
  const ta = wtype(A.view.dtype);
  const tb = wtype(B.view.dtype);
  forBatches(ctx, sizeOf(outBatch), (base, count) => {
    const p = new Params();
    const dims = p.us([M, N, K, A.rowStride, A.colStride, B.rowStride, B.colStride, base]);
    const batch = batchParams(p, outBatch, A, B, 1);
    ctx.launch({
      key: `matmul:tiled|${ta}${tb}|r${batch.rank}`,
      reads: [buf(ctx, A.view), buf(ctx, B.view)],
      writes: [out],
      params: p,
      groups: [Math.ceil(N / 64), Math.ceil(M / 64), count],
      code: () => `${header([{ name: 'A', type: ta }, { name: 'B', type: tb }], [{ name: 'C', type: 'f32' }], p)}
var<workgroup> As: array<array<f32, 16>, 64>;
var<workgroup> Bs: array<array<f32, 64>, 16>;
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = pu(${dims}u);
  let N = pu(${dims + 1}u);
  let K = pu(${dims + 2}u);
  let sam = pu(${dims + 3}u);
  let sak = pu(${dims + 4}u);
  let sbk = pu(${dims + 5}u);
  let sbn = pu(${dims + 6}u);
  let bz = wid.z + pu(${dims + 7}u);
  ${batch.code.replace(/\n/g, '\n  ')}
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let t = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < K; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = t + i * 256u;
      let r = e / 16u;
      let kk = e % 16u;
      let gr = row0 + r;
      let gk = k0 + kk;
      var va = 0.0;
      if (gr < M && gk < K) { va = ${cvt('A[boff0 + gr * sam + gk * sak]', ta, 'f32')}; }
      As[r][kk] = va;
      let kr = e / 64u;
      let c = e % 64u;
      let gk2 = k0 + kr;
      let gc = col0 + c;
      var vb = 0.0;
      if (gk2 < K && gc < N) { vb = ${cvt('B[boff1 + gk2 * sbk + gc * sbn]', tb, 'f32')}; }
      Bs[kr][c] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[lid.y * 4u + i][kk]; b[i] = Bs[kk][lid.x * 4u + i]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] += a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  let cbase = bz * M * N;
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (r < M && c < N) { C[cbase + r * N + c] = acc[i][j]; }
    }
  }
}`,
    });
  });
}

function genericKernel(ctx: GpuContext, A: Operand, B: Operand, outBatch: readonly number[], M: number, K: number, N: number, spec: OutputSpec, out: GpuBuffer): void {
  const ta = wtype(A.view.dtype);
  const tb = wtype(B.view.dtype);
  const t: WType = spec.dtype === 'float32' ? 'f32' : 'i32';
  const zero = t === 'f32' ? '0.0' : '0';
  const ij = [0, 1, 2, 3];
  forBatches(ctx, sizeOf(outBatch), (base, count) => {
    const p = new Params();
    const dims = p.us([M, N, K, A.rowStride, A.colStride, B.rowStride, B.colStride, base]);
    const batch = batchParams(p, outBatch, A, B, 1);
    ctx.launch({
      key: `matmul:generic|${ta}${tb}>${t}|r${batch.rank}`,
      reads: [buf(ctx, A.view), buf(ctx, B.view)],
      writes: [out],
      params: p,
      groups: [Math.ceil(N / 32), Math.ceil(M / 32), count],
      code: () => `${header([{ name: 'A', type: ta }, { name: 'B', type: tb }], [{ name: 'C', type: t }], p)}
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = pu(${dims}u);
  let N = pu(${dims + 1}u);
  let K = pu(${dims + 2}u);
  let sam = pu(${dims + 3}u);
  let sak = pu(${dims + 4}u);
  let sbk = pu(${dims + 5}u);
  let sbn = pu(${dims + 6}u);
  let col = (wid.x * 8u + lid.x) * 4u;
  let row = (wid.y * 8u + lid.y) * 4u;
  if (col >= N || row >= M) { return; }
  let bz = wid.z + pu(${dims + 7}u);
  ${batch.code.replace(/\n/g, '\n  ')}
${ij.map((i) => `  let ar${i} = boff0 + min(row + ${i}u, M - 1u) * sam;\n  let bc${i} = boff1 + min(col + ${i}u, N - 1u) * sbn;`).join('\n')}
${ij.map((i) => ij.map((j) => `  var c${i}${j}: ${t} = ${zero};`).join('\n')).join('\n')}
  for (var k = 0u; k < K; k++) {
${ij.map((i) => `    let a${i} = ${cvt(`A[ar${i} + k * sak]`, ta, t)};\n    let b${i} = ${cvt(`B[bc${i} + k * sbk]`, tb, t)};`).join('\n')}
${ij.map((i) => ij.map((j) => `    c${i}${j} += a${i} * b${j};`).join('\n')).join('\n')}
  }
  let cbase = bz * M * N;
${ij.map((i) => ij.map((j) => `  if (row + ${i}u < M && col + ${j}u < N) { C[cbase + (row + ${i}u) * N + col + ${j}u] = c${i}${j}; }`).join('\n')).join('\n')}
}`,
    });
  });
}

/** Work (multiply-adds) above which copying a misaligned float operand to vec4 rows pays. */
const COPY_WORTH = 64 * 64 * 64;

/**
 * C = A·B for views with rank >= 2 and batch dims broadcast to `spec`'s; returns the contiguous
 * output buffer (`into`, when given).
 */
export function matmulViews(ctx: GpuContext, a: TensorView, b: TensorView, spec: OutputSpec, into?: GpuBuffer): GpuBuffer {
  const out = into ?? outBuffer(ctx, spec);
  const outBatch = spec.shape.slice(0, -2);
  const M = a.shape[a.shape.length - 2]!;
  const K = a.shape[a.shape.length - 1]!;
  const N = b.shape[b.shape.length - 1]!;
  if (sizeOf(spec.shape) === 0) return out;
  if (K === 0) {
    // An empty inner dim: the product is all zeros.
    runMap(ctx, [], spec, { key: 'zero', types: [], body: () => (spec.dtype === 'float32' ? '0.0' : '0') }, { buffer: out, offset: 0, strides: contiguousStrides(spec.shape) });
    return out;
  }
  let A = operand(a, outBatch);
  let B = operand(b, outBatch);
  const float = spec.dtype === 'float32' && a.dtype === 'float32' && b.dtype === 'float32';
  if (!float) {
    genericKernel(ctx, A, B, outBatch, M, K, N, spec, out);
    return out;
  }
  if (ctx.info.matmul === 'tiled') {
    tiledKernel(ctx, A, B, outBatch, M, K, N, out);
    return out;
  }
  const temps: GpuBuffer[] = [];
  if (K % 4 === 0 && N % 4 === 0 && M * N * K >= COPY_WORTH) {
    if (!vec4Ready(A)) A = operand(denseCopy(ctx, a, temps), outBatch);
    if (!vec4Ready(B)) B = operand(denseCopy(ctx, b, temps), outBatch);
  }
  if (vec4Ready(A) && vec4Ready(B)) registersKernel(ctx, A, B, outBatch, M, K, N, out);
  else genericKernel(ctx, A, B, outBatch, M, K, N, spec, out);
  for (const t of temps) ctx.pool.release(t);
  return out;
}

/** Matmul kernels by op name. */
export const kernels: Record<string, Kernel> = {
  matmul: ([a, b], _attrs, [spec]) => [matmulViews(current(), a!, b!, spec!)],
};
