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
 *
 * `linear` (activation(x·Wᵀ + bias), a catalogue composite) runs on the same kernels with an
 * epilogue: each kernel hands every finished accumulator to `epi(v, column)` on its way to the
 * store, which adds the bias and applies the activation, so the product never makes the round
 * trip through memory that a separate add and activation would cost. The weight `[out, in]` is
 * read as Wᵀ through its strides; on the registers path a fourth kernel, `registersT`, reads W's
 * rows (contiguous along K, the layout `nn.Linear` keeps) as vec4 directly instead of copying Wᵀ
 * to row-major first.
 * @module
 */
import type { Kernel, LinearActivation, LinearAttrs, OutputSpec, TensorView } from '@tessera/tensor';
import { contiguousStrides, sizeOf } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { type Binding, type WType, Params, buf, coalesce, cvt, header, outBuffer, stridedIndex, wtype } from './common.js';
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

/**
 * A matmul epilogue (the fused part of `linear`): what happens to each accumulated C[r, c]
 * between the K loop and the store.
 */
export interface Epilogue {
  /** A 1-D view of length N added along the columns (bias[c]), or null. */
  bias: TensorView | null;
  /** Applied after the bias. */
  activation: LinearActivation;
}

/**
 * WGSL for `activation(x)`, x an identifier or literal of type `t`; the result is f32 for the
 * transcendental activations and `t` otherwise. The same formulas as the standalone `gelu`,
 * `silu` and `relu` kernels (elementwise.wgsl.ts), so fused and unfused results agree.
 */
function activationExpr(x: string, t: WType, a: LinearActivation): string {
  const z = t === 'f32' ? x : `f32(${x})`;
  switch (a) {
    case 'gelu': return `(0.5 * ${z} * (1.0 + erf_f(${z} * 0.7071067811865476)))`;
    case 'geluTanh': return `(0.5 * ${z} * (1.0 + tanh_f(0.7978845608028654 * (${z} + 0.044715 * ${z} * ${z} * ${z}))))`;
    case 'silu': return `(${z} * sigmoid_f(${z}))`;
    case 'relu': return t === 'f32' ? `select(${x}, 0.0, ${x} <= 0.0)` : `max(${x}, 0)`;
    default: return x;
  }
}

/** The type the bias add runs in: accumulator type promoted with the bias's storage type. */
function addType(accT: WType, e: Epilogue | undefined): WType {
  if (!e?.bias) return accT;
  return accT === 'f32' || wtype(e.bias.dtype) === 'f32' ? 'f32' : 'i32';
}

/** What an epilogue adds to a kernel: a key fragment, the bias binding and `fn epi` (+ `epi4`). */
interface EpilogueCode {
  key: string;
  bindings: Binding[];
  reads: GpuBuffer[];
  fns: string;
}

/**
 * Writes the epilogue's parameters (the bias's offset and stride) and returns its WGSL:
 * `fn epi(v: accT, c: u32) -> outT` for the value accumulated for column c, and for f32
 * `fn epi4(v: vec4<f32>, c: u32)` for four consecutive columns from c. Without an epilogue,
 * `epi` is the identity (and inlined away).
 */
function epilogueCode(ctx: GpuContext, p: Params, e: Epilogue | undefined, accT: WType, outT: WType): EpilogueCode {
  const addT = addType(accT, e);
  const act = e?.activation ?? 'none';
  let key = '';
  let bindings: Binding[] = [];
  let reads: GpuBuffer[] = [];
  let y = 'v';
  if (e?.bias) {
    const bt = wtype(e.bias.dtype);
    const at = p.us([e.bias.offset, e.bias.strides[0] ?? 0]);
    key = `|bias${bt}`;
    bindings = [{ name: 'Bias', type: bt }];
    reads = [buf(ctx, e.bias)];
    y = `${cvt('v', accT, addT)} + ${cvt(`Bias[pu(${at}u) + c * pu(${at + 1}u)]`, bt, addT)}`;
  }
  if (act !== 'none') key += `|${act}`;
  let fns = `fn epi(v: ${accT}, c: u32) -> ${outT} {
  let y: ${addT} = ${y};
  return ${activationExpr('y', addT, act)};
}`;
  if (accT === 'f32' && outT === 'f32') {
    fns += `\nfn epi4(v: vec4<f32>, c: u32) -> vec4<f32> { return vec4<f32>(epi(v.x, c), epi(v.y, c + 1u), epi(v.z, c + 2u), epi(v.w, c + 3u)); }`;
  }
  return { key, bindings, reads, fns };
}

function registersKernel(ctx: GpuContext, A: Operand, B: Operand, outBatch: readonly number[], M: number, K: number, N: number, out: GpuBuffer, epi?: Epilogue): void {
  const N4 = N / 4;
  const K4 = K / 4;
  forBatches(ctx, sizeOf(outBatch), (base, count) => {
    const p = new Params();
    const dims = p.us([M, N4, K4, A.rows === 1 ? K4 : A.rowStride / 4, B.rows === 1 ? N4 : B.rowStride / 4, base]);
    const batch = batchParams(p, outBatch, A, B, 4);
    const e = epilogueCode(ctx, p, epi, 'f32', 'f32');
    const rows = [0, 1, 2, 3, 4, 5, 6, 7];
    ctx.launch({
      key: `matmul:registers|r${batch.rank}${e.key}`,
      reads: [buf(ctx, A.view), buf(ctx, B.view), ...e.reads],
      writes: [out],
      params: p,
      groups: [Math.ceil(Math.ceil(N4 / 2) / 8), Math.ceil(Math.ceil(M / 8) / 8), count],
      code: () => `${header([{ name: 'A', type: 'vec4<f32>' }, { name: 'B', type: 'vec4<f32>' }, ...e.bindings], [{ name: 'C', type: 'vec4<f32>' }], p)}
${e.fns}
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
    C[cbase + (row + ${i}u) * N4 + col] = epi4(acc${i}0, col * 4u);
    if (col + 1u < N4) { C[cbase + (row + ${i}u) * N4 + col + 1u] = epi4(acc${i}1, col * 4u + 4u); }
  }`).join('\n')}
}`,
    });
  });
}

/**
 * The registers kernel for C = A·Wᵀ with W stored `[N, K]`, rows contiguous along K (a Linear
 * weight as nn.Linear keeps it): each invocation computes an 8x8 block of C from 8 rows of A and
 * 8 rows of W, both loaded as vec4 along K, 64 four-term dot products per step of 4 along K
 * (the same 16 vec4 loads and 256 multiply-adds per step as `registers`). W is read in place:
 * no copy of Wᵀ. Columns of C are W's rows, so N needs no alignment; C is stored as scalars.
 */
function registersTKernel(ctx: GpuContext, A: Operand, W: Operand, outBatch: readonly number[], M: number, K: number, N: number, out: GpuBuffer, epi?: Epilogue): void {
  const K4 = K / 4;
  forBatches(ctx, sizeOf(outBatch), (base, count) => {
    const p = new Params();
    const dims = p.us([M, N, K4, A.rows === 1 ? K4 : A.rowStride / 4, W.rows === 1 ? K4 : W.rowStride / 4, base]);
    const batch = batchParams(p, outBatch, A, W, 4);
    const e = epilogueCode(ctx, p, epi, 'f32', 'f32');
    const ij = [0, 1, 2, 3, 4, 5, 6, 7];
    ctx.launch({
      key: `matmul:registersT|r${batch.rank}${e.key}`,
      reads: [buf(ctx, A.view), buf(ctx, W.view), ...e.reads],
      writes: [out],
      params: p,
      groups: [Math.ceil(Math.ceil(N / 8) / 8), Math.ceil(Math.ceil(M / 8) / 8), count],
      code: () => `${header([{ name: 'A', type: 'vec4<f32>' }, { name: 'W', type: 'vec4<f32>' }, ...e.bindings], [{ name: 'C', type: 'f32' }], p)}
${e.fns}
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = pu(${dims}u);
  let N = pu(${dims + 1}u);
  let K4 = pu(${dims + 2}u);
  let ars = pu(${dims + 3}u);
  let wrs = pu(${dims + 4}u);
  let col = (wid.x * 8u + lid.x) * 8u;
  let row = (wid.y * 8u + lid.y) * 8u;
  if (col >= N || row >= M) { return; }
  let bz = wid.z + pu(${dims + 5}u);
  ${batch.code.replace(/\n/g, '\n  ')}
  let cbase = bz * M * N;
${ij.map((i) => `  let ar${i} = boff0 + min(row + ${i}u, M - 1u) * ars;\n  let wr${i} = boff1 + min(col + ${i}u, N - 1u) * wrs;`).join('\n')}
${ij.map((i) => ij.map((j) => `  var acc${i}${j} = 0.0;`).join(' ')).join('\n')}
  for (var k = 0u; k < K4; k++) {
${ij.map((i) => `    let a${i} = A[ar${i} + k];`).join('\n')}
${ij.map((j) => `    let w${j} = W[wr${j} + k];`).join('\n')}
${ij.map((i) => ij.map((j) => `    acc${i}${j} += dot(a${i}, w${j});`).join('\n')).join('\n')}
  }
${ij.map((i) => `  if (row + ${i}u < M) {
    let r${i} = cbase + (row + ${i}u) * N + col;
${ij.map((j) => `    if (col + ${j}u < N) { C[r${i} + ${j}u] = epi(acc${i}${j}, col + ${j}u); }`).join('\n')}
  }`).join('\n')}
}`,
    });
  });
}

function tiledKernel(ctx: GpuContext, A: Operand, B: Operand, outBatch: readonly number[], M: number, K: number, N: number, out: GpuBuffer, epi?: Epilogue): void {
  const ta = wtype(A.view.dtype);
  const tb = wtype(B.view.dtype);
  // B contiguous along K (Wᵀ of a Linear weight, kᵀ): neighbouring invocations load the B tile
  // along K so their reads stay coalesced; the tile gets a padding column so that those stores
  // (16 apart along K) do not all land in one workgroup-memory bank.
  const bk = B.rowStride === 1 && B.colStride !== 1;
  forBatches(ctx, sizeOf(outBatch), (base, count) => {
    const p = new Params();
    const dims = p.us([M, N, K, A.rowStride, A.colStride, B.rowStride, B.colStride, base]);
    const batch = batchParams(p, outBatch, A, B, 1);
    const e = epilogueCode(ctx, p, epi, 'f32', 'f32');
    ctx.launch({
      key: `matmul:tiled|${ta}${tb}|r${batch.rank}${bk ? '|bk' : ''}${e.key}`,
      reads: [buf(ctx, A.view), buf(ctx, B.view), ...e.reads],
      writes: [out],
      params: p,
      groups: [Math.ceil(N / 64), Math.ceil(M / 64), count],
      code: () => `${header([{ name: 'A', type: ta }, { name: 'B', type: tb }, ...e.bindings], [{ name: 'C', type: 'f32' }], p)}
${e.fns}
var<workgroup> As: array<array<f32, 16>, 64>;
var<workgroup> Bs: array<array<f32, ${bk ? 65 : 64}>, 16>;
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
      ${bk ? 'let c = e / 16u;\n      let kr = e % 16u;' : 'let kr = e / 64u;\n      let c = e % 64u;'}
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
      if (r < M && c < N) { C[cbase + r * N + c] = epi(acc[i][j], c); }
    }
  }
}`,
    });
  });
}

function genericKernel(ctx: GpuContext, A: Operand, B: Operand, outBatch: readonly number[], M: number, K: number, N: number, t: WType, outT: WType, out: GpuBuffer, epi?: Epilogue): void {
  const ta = wtype(A.view.dtype);
  const tb = wtype(B.view.dtype);
  const zero = t === 'f32' ? '0.0' : '0';
  const ij = [0, 1, 2, 3];
  forBatches(ctx, sizeOf(outBatch), (base, count) => {
    const p = new Params();
    const dims = p.us([M, N, K, A.rowStride, A.colStride, B.rowStride, B.colStride, base]);
    const batch = batchParams(p, outBatch, A, B, 1);
    const e = epilogueCode(ctx, p, epi, t, outT);
    ctx.launch({
      key: `matmul:generic|${ta}${tb}>${t}>${outT}|r${batch.rank}${e.key}`,
      reads: [buf(ctx, A.view), buf(ctx, B.view), ...e.reads],
      writes: [out],
      params: p,
      groups: [Math.ceil(N / 32), Math.ceil(M / 32), count],
      code: () => `${header([{ name: 'A', type: ta }, { name: 'B', type: tb }, ...e.bindings], [{ name: 'C', type: outT }], p)}
${e.fns}
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
${ij.map((i) => ij.map((j) => `  if (row + ${i}u < M && col + ${j}u < N) { C[cbase + (row + ${i}u) * N + col + ${j}u] = epi(c${i}${j}, col + ${j}u); }`).join('\n')).join('\n')}
}`,
    });
  });
}

/** Work (multiply-adds) above which copying a misaligned float operand to vec4 rows pays. */
const COPY_WORTH = 64 * 64 * 64;

/** B's transpose `[N, K]` as an operand: the rows `registersT` reads (a Linear weight's own layout). */
function transposedOperand(b: TensorView, outBatch: readonly number[]): Operand {
  const r = b.shape.length;
  const shape = [...b.shape.slice(0, -2), b.shape[r - 1]!, b.shape[r - 2]!];
  const strides = [...b.strides.slice(0, -2), b.strides[r - 1]!, b.strides[r - 2]!];
  return operand({ ...b, shape, strides }, outBatch);
}

/**
 * C = A·B for views with rank >= 2 and batch dims broadcast to `spec`'s; returns the contiguous
 * output buffer (`into`, when given). With an epilogue (the `linear` kernel), each element of C
 * goes through it before the store; `spec.dtype` is then the epilogue's result type.
 */
export function matmulViews(ctx: GpuContext, a: TensorView, b: TensorView, spec: OutputSpec, into?: GpuBuffer, epi?: Epilogue): GpuBuffer {
  const out = into ?? outBuffer(ctx, spec);
  const outBatch = spec.shape.slice(0, -2);
  const M = a.shape[a.shape.length - 2]!;
  const K = a.shape[a.shape.length - 1]!;
  const N = b.shape[b.shape.length - 1]!;
  if (sizeOf(spec.shape) === 0) return out;
  const float = a.dtype === 'float32' && b.dtype === 'float32';
  const accT: WType = float || a.dtype === 'float32' || b.dtype === 'float32' ? 'f32' : 'i32';
  const outT = wtype(spec.dtype);
  const target = { buffer: out, offset: 0, strides: contiguousStrides(spec.shape) };
  if (K === 0) {
    // An empty inner dim: the product is all zeros (then the epilogue: activation(bias), broadcast).
    if (!epi || (!epi.bias && epi.activation === 'none')) {
      runMap(ctx, [], spec, { key: 'zero', types: [], body: () => (spec.dtype === 'float32' ? '0.0' : '0') }, target);
    } else {
      const addT = addType(accT, epi);
      const zero = addT === 'f32' ? '0.0' : '0';
      const inputs = epi.bias ? [epi.bias] : [];
      const body = activationExpr(epi.bias ? 'v0' : zero, addT, epi.activation);
      runMap(ctx, inputs, spec, { key: `linear0-${epi.activation}`, types: epi.bias ? [addT] : [], body: () => body }, target);
    }
    return out;
  }
  let A = operand(a, outBatch);
  let B = operand(b, outBatch);
  if (!float) {
    genericKernel(ctx, A, B, outBatch, M, K, N, accT, outT, out, epi);
    return out;
  }
  if (ctx.info.matmul === 'tiled') {
    tiledKernel(ctx, A, B, outBatch, M, K, N, out, epi);
    return out;
  }
  const temps: GpuBuffer[] = [];
  const big = M * N * K >= COPY_WORTH;
  let done = false;
  if (epi) {
    // linear: B is Wᵀ. Row-major Wᵀ (a transposed view of a [K, N] weight) takes the registers
    // kernel as it is; W with rows along K (the usual layout) takes registersT, which reads W's
    // rows in place. Only an x, or a weight, that is neither gets copied (when that pays).
    if (K % 4 === 0) {
      if (!vec4Ready(A) && big) A = operand(denseCopy(ctx, a, temps), outBatch);
      if (vec4Ready(A)) {
        if (vec4Ready(B)) {
          registersKernel(ctx, A, B, outBatch, M, K, N, out, epi);
          done = true;
        } else {
          let W = transposedOperand(b, outBatch);
          if (!vec4Ready(W) && big && b.shape.length === 2) {
            const wt = { ...b, shape: [N, K], strides: [b.strides[1]!, b.strides[0]!] };
            W = operand(denseCopy(ctx, wt, temps), outBatch);
          }
          if (vec4Ready(W)) {
            registersTKernel(ctx, A, W, outBatch, M, K, N, out, epi);
            done = true;
          }
        }
      }
    }
  } else {
    if (K % 4 === 0 && N % 4 === 0 && big) {
      if (!vec4Ready(A)) A = operand(denseCopy(ctx, a, temps), outBatch);
      if (!vec4Ready(B)) B = operand(denseCopy(ctx, b, temps), outBatch);
    }
    if (vec4Ready(A) && vec4Ready(B)) {
      registersKernel(ctx, A, B, outBatch, M, K, N, out);
      done = true;
    }
  }
  if (!done) genericKernel(ctx, A, B, outBatch, M, K, N, accT, outT, out, epi);
  for (const t of temps) ctx.pool.release(t);
  return out;
}

/**
 * `linear`: x·Wᵀ (+ bias, then the activation, in the epilogue) for x `[..., K]` and W `[N, K]`.
 * x's leading dims are merged into rows where its strides allow (one matrix product, as the
 * decomposition does); otherwise they stay batch dims against a broadcast W. The output is the
 * contiguous `[..., N]`, which is the same memory either way.
 */
function linearKernel(ctx: GpuContext, [x, w, bias]: readonly TensorView[], attrs: LinearAttrs, spec: OutputSpec): GpuBuffer {
  const K = w!.shape[1]!;
  const N = w!.shape[0]!;
  const r = x!.shape.length;
  const lead = coalesce(x!.shape.slice(0, -1), [x!.strides.slice(0, -1)]);
  const xm: TensorView = { ...x!, shape: [...lead.shape, K], strides: [...lead.strides[0]!, r > 0 ? x!.strides[r - 1]! : 1] };
  const wt: TensorView = { ...w!, shape: [K, N], strides: [w!.strides[1]!, w!.strides[0]!] };
  const mmSpec: OutputSpec = { shape: [...lead.shape, N], dtype: spec.dtype };
  return matmulViews(ctx, xm, wt, mmSpec, undefined, { bias: attrs.hasBias ? bias! : null, activation: attrs.activation });
}

/** Matmul kernels by op name. */
export const kernels: Record<string, Kernel> = {
  matmul: ([a, b], _attrs, [spec]) => [matmulViews(current(), a!, b!, spec!)],
  linear: (inputs, attrs: LinearAttrs, [spec]) => [linearKernel(current(), inputs, attrs, spec!)],
};
