// Fused scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, tiled with the online softmax
// of FlashAttention (Dao et al. 2022, Alg. 1; Milakov & Gimelshein 2018): the L×S score matrix is
// never materialised, only one BR×BC tile of it per step.
//
// A chunk is one (batch entry, block of BR query rows). For each block of BC keys it computes the
// score tile S = Q·Kᵀ with the shared GEMM (Kᵀ is read through strides), scales and masks it, updates
// each row's running max m and running sum l, rescales the row's output accumulator by e^(m_old -
// m_new), turns the tile into P = e^(S - m_new) in place and accumulates O += P·V with the GEMM
// again. At the end O /= l. Causal masking (key j visible to query i iff j <= i, as `tril`) skips
// key blocks that are entirely in the future. A row that sees no key (every score -inf) gives NaN,
// as the decomposition and PyTorch do.
import { ai, ap, af, scratch, workspace, imin } from './util';
import { sgemm, sgemmPackedA, packA, GEMM_WS, KC, MC } from './gemm';
import { vexpNeg } from './vmath';

/**
 * Slots: 0 batch, 1 L, 2 S, 3 E, 4 Ev, 5 q, 6 k, 7 v, 8 out ([batch, L, Ev] dense), 9 q offsets*,
 * 10 k offsets*, 11 v offsets* (elements per batch entry; q/k/v dense [L|S, E|Ev] per entry),
 * 12 mask kind (0 none, 1 bool, 2 additive), 13 mask, 14 mask offsets*, 15 mask row stride,
 * 16 mask column stride, 17 causal, 18 scale (f64), 19 BR, 20 BC, 21 query blocks per entry.
 */
export function task_attention(args: usize, chunk: i32, tid: i32): void {
  const L = ai(args, 1), S = ai(args, 2), E = ai(args, 3), Ev = ai(args, 4);
  const BR = ai(args, 19), BC = ai(args, 20), qb = ai(args, 21);
  const bi = chunk / qb;
  const i0 = (chunk % qb) * BR;
  const br = imin(BR, L - i0);
  const maskKind = ai(args, 12);
  const causal = ai(args, 17) != 0;
  const scale = <f32>af(args, 18);
  const q = ap(args, 5) + (<usize>load<i32>(ap(args, 9) + (<usize>bi << 2)) << 2) + (<usize>i0 * <usize>E << 2);
  const k = ap(args, 6) + (<usize>load<i32>(ap(args, 10) + (<usize>bi << 2)) << 2);
  const v = ap(args, 7) + (<usize>load<i32>(ap(args, 11) + (<usize>bi << 2)) << 2);
  const out = ap(args, 8) + ((<usize>bi * <usize>L + <usize>i0) * <usize>Ev << 2);
  let mask: usize = 0;
  const mrs = <usize>ai(args, 15);
  const mcs = <usize>ai(args, 16);
  if (maskKind != 0) mask = ap(args, 13) + <usize>load<i32>(ap(args, 14) + (<usize>bi << 2)) * (maskKind == 1 ? 1 : 4);
  const ws = workspace(tid);
  const tile = scratch(tid);
  const sb = ws + GEMM_WS; // BR×BC scores / probabilities
  const ob = sb + (<usize>(BR * BC) << 2); // BR×Ev output accumulator
  const mb = ob + (<usize>BR * <usize>Ev << 2); // running max per row
  const lb = mb + (<usize>BR << 2); // running sum per row
  const qp = lb + (<usize>BR << 2); // the query tile, packed once (E <= KC) for every key block
  const prepacked = E <= KC && br <= MC;
  if (prepacked) packA(br, E, q, E, 1, qp);
  memory.fill(ob, 0, <usize>br * <usize>Ev << 2);
  for (let i = 0; i < br; i++) {
    store<f32>(mb + (<usize>i << 2), -Infinity);
    store<f32>(lb + (<usize>i << 2), 0);
  }
  const sv = f32x4.splat(scale);
  for (let j0 = 0; j0 < S; j0 += BC) {
    if (causal && j0 > i0 + br - 1) break;
    const bc = imin(BC, S - j0);
    // S = Q·Kᵀ: B(e, j) = k[j0 + j, e], row stride 1, column stride E.
    if (prepacked) sgemmPackedA(br, bc, E, qp, k + (<usize>j0 * <usize>E << 2), 1, E, sb, bc, false, ws, tile);
    else sgemm(br, bc, E, q, E, 1, k + (<usize>j0 * <usize>E << 2), 1, E, sb, bc, false, ws, tile);
    for (let i = 0; i < br; i++) {
      const row = sb + (<usize>(i * bc) << 2);
      const qi = i0 + i;
      // scale, then the masks in the decomposition's order
      let j = 0;
      for (; j + 4 <= bc; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), sv));
      for (; j < bc; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * scale);
      if (causal) for (j = imin(bc, imax0(qi - j0 + 1)); j < bc; j++) store<f32>(row + (<usize>j << 2), -Infinity);
      if (maskKind == 1) {
        const mr = mask + <usize>qi * mrs + <usize>j0 * mcs;
        for (j = 0; j < bc; j++) if (!load<u8>(mr + <usize>j * mcs)) store<f32>(row + (<usize>j << 2), -Infinity);
      } else if (maskKind == 2) {
        const mr = mask + ((<usize>qi * mrs + <usize>j0 * mcs) << 2);
        for (j = 0; j < bc; j++) {
          const p = row + (<usize>j << 2);
          store<f32>(p, load<f32>(p) + load<f32>(mr + (<usize>j * mcs << 2)));
        }
      }
      // online softmax update
      let vm = f32x4.splat(-Infinity);
      j = 0;
      for (; j + 4 <= bc; j += 4) vm = f32x4.max(vm, v128.load(row + (<usize>j << 2)));
      let tmax = max<f32>(max<f32>(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max<f32>(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
      for (; j < bc; j++) tmax = max<f32>(tmax, load<f32>(row + (<usize>j << 2)));
      const mOld = load<f32>(mb + (<usize>i << 2));
      const mNew = max<f32>(mOld, tmax);
      const orow = ob + (<usize>i * <usize>Ev << 2);
      if (mNew == -Infinity) {
        // nothing visible yet: P = 0 for this block, accumulators unchanged
        memory.fill(row, 0, <usize>bc << 2);
        continue;
      }
      const corr = f32x4.extract_lane(vexpNeg(f32x4.splat(mOld - mNew)), 0);
      const mv = f32x4.splat(mNew);
      let s0 = f32x4.splat(0);
      j = 0;
      for (; j + 4 <= bc; j += 4) {
        const p = row + (<usize>j << 2);
        const e = vexpNeg(f32x4.sub(v128.load(p), mv));
        v128.store(p, e);
        s0 = f32x4.add(s0, e);
      }
      let s = (f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
      for (; j < bc; j++) {
        const p = row + (<usize>j << 2);
        const e = f32x4.extract_lane(vexpNeg(f32x4.splat(load<f32>(p) - mNew)), 0);
        store<f32>(p, e);
        s += e;
      }
      store<f32>(mb + (<usize>i << 2), mNew);
      store<f32>(lb + (<usize>i << 2), load<f32>(lb + (<usize>i << 2)) * corr + s);
      if (corr != 1) {
        const cv = f32x4.splat(corr);
        let e = 0;
        for (; e + 4 <= Ev; e += 4) v128.store(orow + (<usize>e << 2), f32x4.mul(v128.load(orow + (<usize>e << 2)), cv));
        for (; e < Ev; e++) store<f32>(orow + (<usize>e << 2), load<f32>(orow + (<usize>e << 2)) * corr);
      }
    }
    // O += P·V
    sgemm(br, Ev, bc, sb, bc, 1, v + (<usize>j0 * <usize>Ev << 2), Ev, 1, ob, Ev, true, ws, tile);
  }
  for (let i = 0; i < br; i++) {
    const l = load<f32>(lb + (<usize>i << 2));
    const orow = ob + (<usize>i * <usize>Ev << 2);
    const dst = out + (<usize>i * <usize>Ev << 2);
    // l == 0: no visible key, NaN like softmax over all -inf
    const r: f32 = l > 0 ? <f32>1.0 / l : NaN;
    const rv = f32x4.splat(r);
    let e = 0;
    for (; e + 4 <= Ev; e += 4) v128.store(dst + (<usize>e << 2), f32x4.mul(v128.load(orow + (<usize>e << 2)), rv));
    for (; e < Ev; e++) store<f32>(dst + (<usize>e << 2), load<f32>(orow + (<usize>e << 2)) * r);
  }
}

@inline function imax0(x: i32): i32 {
  return x > 0 ? x : 0;
}
