// float32 GEMM, C (=|+=) A·B, for matmul, conv (im2col), convTranspose and attention.
//
// Blocking follows Goto & van de Geijn ("Anatomy of high-performance matrix multiplication",
// 2008) as BLIS lays it out: for each NC-wide column block of B and each KC-deep slice of K, the
// KC×NC block of B is packed into NR-wide panels (k-major, zero-padded); for each MC-tall row
// block of A, the MC×KC block is packed into MR-tall panels; then the micro-kernel computes one
// MR×NR tile of C from one A panel and one B panel. Loop order jr (B panel, 16 KiB at KC=512, stays
// in L1) outside ir (A panels stream from the 384 KiB packed A block in L2). KC=512, MC=192,
// NC=256: best at 1024³ on a 2-core Xeon (shared/notes/wasm.md) and again on a 2-core EPYC against
// (256,192,512), (384,96,256) and (256,96,1024).
//
// Micro-kernel (register blocking): a 4×8 tile of C in 8 accumulators, 2 B vectors, the 4 A values
// broadcast one at a time by load32_splat (a broadcast load: a load port, no shuffle port), one
// splat temporary: 11-12 of the 15 vector registers V8 gives wasm on x64, so nothing spills. On a
// 2-core Xeon, shuffles of one loaded A vector measured faster; on the 2-core AMD EPYC (Zen 4) of
// 2026-11-27, load32_splat is 8-10% faster at 1024³ and on conv2d, measured A/B in one process
// (two backend instances, interleaved). Plain SIMD multiplies and adds (every multiply needs a temporary); the
// relaxed build uses f32x4.relaxed_madd. Measured on a 2-core AMD EPYC under V8 11.3 (relaxed SIMD
// by flag), 1024³ single-threaded: plain 4×8 ~30 GFLOP/s; relaxed 4×8 38-44, 5×8 33-37, 6×8 with
// load32_splat 22 (spills). Unrolling K made V8 hoist loads and spill.
//
// Operands are read through (row stride, column stride) pairs, so transposed views are packed
// straight from their storage with no copy. Packing is the only place that sees strides.
import { ai, ap, scratch, workspace, imin } from './util';
import { unaryV, RELU, SILU, GELU, GELU_TANH } from './elementwise';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 512;
export const MC: i32 = 192;
export const NC: i32 = 256;
/** Bytes of a thread's workspace used by the packed blocks (A block, then B block). */
export const GEMM_WS: usize = <usize>(MC * KC + KC * NC) * 4;

/** Stores the transpose of the 4×4 block with rows x0..x3 as four rows `step` bytes apart from d. */
@inline function transpose4(x0: v128, x1: v128, x2: v128, x3: v128, d: usize, step: usize): void {
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(d + step, i64x2.shuffle(t0, t1, 1, 3));
  v128.store(d + 2 * step, i64x2.shuffle(t2, t3, 0, 2));
  v128.store(d + 3 * step, i64x2.shuffle(t2, t3, 1, 3));
}

/** Packs the mc×kc block at a (element strides rs, cs) into MR-row panels, k-major, zero-padded. */
export function packA(mc: i32, kc: i32, a: usize, rs: i32, cs: i32, dst: usize): void {
  const rsb = <usize>rs << 2;
  const csb = <usize>cs << 2;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = imin(MR, mc - i0);
    const panel = dst + (<usize>i0 * <usize>kc << 2);
    if (rows == MR && MR == 4 && cs == 1) {
      // Row-major A: transpose 4×4 blocks with shuffles.
      const r0 = a + <usize>i0 * rsb;
      const r1 = r0 + rsb;
      const r2 = r1 + rsb;
      const r3 = r2 + rsb;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        transpose4(v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o), panel + (<usize>k << 4), 16);
      }
      for (; k < kc; k++) {
        const o = <usize>k << 2;
        const d = panel + (<usize>k << 4);
        store<f32>(d, load<f32>(r0 + o));
        store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8);
        store<f32>(d, load<f32>(r3 + o), 12);
      }
      continue;
    }
    for (let r = 0; r < MR; r++) {
      let d = panel + (<usize>r << 2);
      const step = <usize>MR << 2;
      if (r < rows) {
        let s = a + <usize>(i0 + r) * rsb;
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(s));
          s += csb;
          d += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          store<f32>(d, 0);
          d += step;
        }
      }
    }
  }
}

/** Packs the kc×nc block at b (element strides rs, cs) into NR-column panels, k-major, zero-padded. */
function packB(kc: i32, nc: i32, b: usize, rs: i32, cs: i32, dst: usize): void {
  const rsb = <usize>rs << 2;
  const csb = <usize>cs << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = imin(NR, nc - j0);
    let d = dst + (<usize>j0 * <usize>kc << 2);
    if (cols == NR && cs == 1) {
      let s = b + (<usize>j0 << 2);
      for (let k = 0; k < kc; k++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += rsb;
        d += 32;
      }
      continue;
    }
    if (cols == NR && rs == 1) {
      // Column-major B (a transposed view, e.g. the weight of a linear layer): eight contiguous
      // columns, transposed 4×4 at a time with shuffles.
      const c0 = b + <usize>j0 * csb;
      const c1 = c0 + csb, c2 = c1 + csb, c3 = c2 + csb, c4 = c3 + csb, c5 = c4 + csb, c6 = c5 + csb, c7 = c6 + csb;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        transpose4(v128.load(c0 + o), v128.load(c1 + o), v128.load(c2 + o), v128.load(c3 + o), d, 32);
        transpose4(v128.load(c4 + o), v128.load(c5 + o), v128.load(c6 + o), v128.load(c7 + o), d + 16, 32);
        d += 128;
      }
      for (; k < kc; k++) {
        const o = <usize>k << 2;
        store<f32>(d, load<f32>(c0 + o));
        store<f32>(d, load<f32>(c1 + o), 4);
        store<f32>(d, load<f32>(c2 + o), 8);
        store<f32>(d, load<f32>(c3 + o), 12);
        store<f32>(d, load<f32>(c4 + o), 16);
        store<f32>(d, load<f32>(c5 + o), 20);
        store<f32>(d, load<f32>(c6 + o), 24);
        store<f32>(d, load<f32>(c7 + o), 28);
        d += 32;
      }
      continue;
    }
    for (let k = 0; k < kc; k++) {
      const s = b + <usize>k * rsb + <usize>j0 * csb;
      for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(s + <usize>c * csb) : 0);
      d += 32;
    }
  }
}

/** c + a·b: one fused instruction with relaxed SIMD (FMA where the CPU has it), mul + add otherwise. */
@inline function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** The 4×8 register tile. c: tile origin, ldc in bytes. */
@inline function micro4x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    c00 = fma(s, b0, c00);
    c01 = fma(s, b1, c01);
    s = v128.load32_splat(a, 4);
    c10 = fma(s, b0, c10);
    c11 = fma(s, b1, c11);
    s = v128.load32_splat(a, 8);
    c20 = fma(s, b0, c20);
    c21 = fma(s, b1, c21);
    s = v128.load32_splat(a, 12);
    c30 = fma(s, b0, c30);
    c31 = fma(s, b1, c31);
    a += 16;
    b += 32;
  }
  const r1 = c + ldc;
  const r2 = r1 + ldc;
  const r3 = r2 + ldc;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(r1));
    c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2));
    c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3));
    c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(r1, c10);
  v128.store(r1, c11, 16);
  v128.store(r2, c20);
  v128.store(r2, c21, 16);
  v128.store(r3, c30);
  v128.store(r3, c31, 16);
}

@inline function micro(kc: i32, a: usize, b: usize, c: usize, ldc: usize, acc: bool): void {
  micro4x8(kc, a, b, c, ldc, acc);
}

/**
 * C[m×n] = A[m×k]·B[k×n] (or += when accumulate). Strides in elements; ldc in elements.
 * ws: MC·KC + KC·NC floats of workspace; tile: MR·NR floats of scratch for edge tiles.
 */
export function sgemm(
  m: i32, n: i32, k: i32,
  a: usize, rsA: i32, csA: i32,
  b: usize, rsB: i32, csB: i32,
  c: usize, ldc: i32, accumulate: bool, ws: usize, tile: usize,
): void {
  if (m <= 0 || n <= 0) return;
  const ldcb = <usize>ldc << 2;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcb, 0, <usize>n << 2);
    return;
  }
  const pa = ws;
  const pb = ws + (<usize>(MC * KC) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = imin(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = imin(KC, k - pc);
      const acc = accumulate || pc > 0;
      packB(kc, nc, b + ((<usize>pc * <usize>rsB + <usize>jc * <usize>csB) << 2), rsB, csB, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = imin(MC, m - ic);
        packA(mc, kc, a + ((<usize>ic * <usize>rsA + <usize>pc * <usize>csA) << 2), rsA, csA, pa);
        microBlock(mc, nc, kc, pa, pb, c + <usize>ic * ldcb + (<usize>jc << 2), ldcb, acc, tile);
      }
    }
  }
}

/**
 * Batched float32 matmul, one chunk per (batch entry, MCH-row block, NCH-column block) of C.
 * Slots: 0 M, 1 N, 2 K, 3 A, 4 rsA, 5 csA, 6 B, 7 rsB, 8 csB, 9 C (dense [batch, M, N]),
 * 10 batch, 11 A batch offsets* (elements), 12 B batch offsets*, 13 row blocks, 14 column blocks,
 * 15 MCH, 16 NCH.
 */
export function task_matmul(args: usize, chunk: i32, tid: i32): void {
  matmulChunk(args, chunk, tid, false);
}

/**
 * `linear`: task_matmul's chunk, then its epilogue on that chunk's tile of C while the tile is
 * still in cache: + bias[j], then the activation, four columns at a time (the same vector code
 * as the standalone add and unary ops, so the results are bit-identical to the unfused ops).
 * Slots as task_matmul, plus 17 bias* (dense float32 [N]; 0 for none), 18 activation (a unary op
 * code of elementwise.ts: RELU, SILU, GELU, GELU_TANH; -1 for none).
 */
export function task_linear(args: usize, chunk: i32, tid: i32): void {
  matmulChunk(args, chunk, tid, true);
}

@inline function matmulChunk(args: usize, chunk: i32, tid: i32, epilogue: bool): void {
  const M = ai(args, 0);
  const N = ai(args, 1);
  const K = ai(args, 2);
  const mb = ai(args, 13);
  const nb = ai(args, 14);
  const mch = ai(args, 15);
  const nch = ai(args, 16);
  const bi = chunk / (mb * nb);
  const r = chunk % (mb * nb);
  const i0 = (r / nb) * mch;
  const j0 = (r % nb) * nch;
  const rsA = ai(args, 4);
  const csA = ai(args, 5);
  const rsB = ai(args, 7);
  const csB = ai(args, 8);
  const a = ap(args, 3) + (<usize>load<i32>(ap(args, 11) + (<usize>bi << 2)) << 2) + (<usize>i0 * <usize>rsA << 2);
  const b = ap(args, 6) + (<usize>load<i32>(ap(args, 12) + (<usize>bi << 2)) << 2) + (<usize>j0 * <usize>csB << 2);
  const c = ap(args, 9) + ((<usize>bi * <usize>M * <usize>N + <usize>i0 * <usize>N + <usize>j0) << 2);
  const mc = imin(mch, M - i0);
  const nc = imin(nch, N - j0);
  sgemm(mc, nc, K, a, rsA, csA, b, rsB, csB, c, N, false, workspace(tid), scratch(tid));
  if (!epilogue) return;
  const bias = ap(args, 17);
  const bj = bias == 0 ? <usize>0 : bias + (<usize>j0 << 2);
  // The activation is dispatched once per tile, so each loop is specialised for its op.
  switch (ai(args, 18)) {
    case RELU: epilogueTile(RELU, c, mc, nc, N, bj, scratch(tid)); break;
    case SILU: epilogueTile(SILU, c, mc, nc, N, bj, scratch(tid)); break;
    case GELU: epilogueTile(GELU, c, mc, nc, N, bj, scratch(tid)); break;
    case GELU_TANH: epilogueTile(GELU_TANH, c, mc, nc, N, bj, scratch(tid)); break;
    default: epilogueTile(-1, c, mc, nc, N, bj, scratch(tid));
  }
}

/** c[i][j] = act(c[i][j] + bias[j]) over an m×n tile (row stride ldc elements); the last 1-3 columns bounce through `bounce`. */
@inline function epilogueTile(act: i32, c: usize, m: i32, n: i32, ldc: i32, bias: usize, bounce: usize): void {
  const ldcb = <usize>ldc << 2;
  const tail = <usize>(n & 3) << 2;
  const n4 = n & ~3;
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * ldcb;
    for (let j = 0; j < n4; j += 4) {
      const q = row + (<usize>j << 2);
      let v = v128.load(q);
      if (bias != 0) v = f32x4.add(v, v128.load(bias + (<usize>j << 2)));
      if (act >= 0) v = unaryV(act, v);
      v128.store(q, v);
    }
    if (tail != 0) {
      const q = row + (<usize>n4 << 2);
      v128.store(bounce, v128.splat<i32>(0));
      memory.copy(bounce, q, tail);
      let v = v128.load(bounce);
      if (bias != 0) {
        v128.store(bounce, v128.splat<i32>(0));
        memory.copy(bounce, bias + (<usize>n4 << 2), tail);
        v = f32x4.add(v, v128.load(bounce));
      }
      if (act >= 0) v = unaryV(act, v);
      v128.store(bounce, v);
      memory.copy(q, bounce, tail);
    }
  }
}

/**
 * Batched int32 matmul with wrapping arithmetic, one chunk per (batch entry, row). Slots as
 * task_matmul (13-16 unused).
 */
export function task_matmul_i32(args: usize, chunk: i32, tid: i32): void {
  const M = ai(args, 0);
  const N = ai(args, 1);
  const K = ai(args, 2);
  const bi = chunk / M;
  const i = chunk % M;
  const rsA = <usize>ai(args, 4) << 2;
  const csA = <usize>ai(args, 5) << 2;
  const rsB = <usize>ai(args, 7) << 2;
  const csB = <usize>ai(args, 8) << 2;
  const a = ap(args, 3) + (<usize>load<i32>(ap(args, 11) + (<usize>bi << 2)) << 2) + <usize>i * rsA;
  const b = ap(args, 6) + (<usize>load<i32>(ap(args, 12) + (<usize>bi << 2)) << 2);
  const c = ap(args, 9) + ((<usize>bi * <usize>M * <usize>N + <usize>i * <usize>N) << 2);
  for (let j = 0; j < N; j++) {
    let acc: i32 = 0;
    let pa = a;
    let pb = b + <usize>j * csB;
    for (let k = 0; k < K; k++) {
      acc += load<i32>(pa) * load<i32>(pb);
      pa += csA;
      pb += rsB;
    }
    store<i32>(c + (<usize>j << 2), acc);
  }
}

/**
 * C[m×n] (+)= A·B with A already packed by packA (m <= MC, k <= KC: one block), for callers that
 * reuse one A block against many B blocks (attention's query tile).
 */
export function sgemmPackedA(
  m: i32, n: i32, k: i32, pa: usize,
  b: usize, rsB: i32, csB: i32,
  c: usize, ldc: i32, accumulate: bool, ws: usize, tile: usize,
): void {
  if (m <= 0 || n <= 0) return;
  const ldcb = <usize>ldc << 2;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcb, 0, <usize>n << 2);
    return;
  }
  const pb = ws + (<usize>(MC * KC) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = imin(NC, n - jc);
    packB(k, nc, b + (<usize>jc * <usize>csB << 2), rsB, csB, pb);
    microBlock(m, nc, k, pa, pb, c + (<usize>jc << 2), ldcb, accumulate, tile);
  }
}

/** All MR×NR tiles of an mc×nc block from packed A and B panels. */
@inline function microBlock(mc: i32, nc: i32, kc: i32, pa: usize, pb: usize, c: usize, ldcb: usize, acc: bool, tile: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = imin(NR, nc - jr);
    const bp = pb + (<usize>jr * <usize>kc << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = imin(MR, mc - ir);
      const ap_ = pa + (<usize>ir * <usize>kc << 2);
      const cp = c + <usize>ir * ldcb + (<usize>jr << 2);
      if (mr == MR && nr == NR) {
        micro(kc, ap_, bp, cp, ldcb, acc);
      } else {
        micro(kc, ap_, bp, tile, <usize>NR << 2, false);
        for (let i = 0; i < mr; i++) {
          const crow = cp + <usize>i * ldcb;
          const trow = tile + (<usize>(i * NR) << 2);
          for (let j = 0; j < nr; j++) {
            const v = load<f32>(trow + (<usize>j << 2));
            const q = crow + (<usize>j << 2);
            store<f32>(q, acc ? load<f32>(q) + v : v);
          }
        }
      }
    }
  }
}
