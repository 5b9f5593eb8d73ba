// Fused softmax, logSoftmax, layerNorm and groupNorm: one kernel per op instead of the 5-8 kernels
// of their decompositions, each row read from cache rather than from memory per step.
//
// softmax over a dim with dense inner size 1 works on rows: max (8 lanes), then e = exp(x - max)
// written out while summing (16 lanes a step), then a scale by 1/sum. With an inner size > 1 it
// works on [n, inner] slabs four columns at a time (one vector per step along the dim). layerNorm and groupNorm take
// the mean, then the mean of squared deviations (two passes over a row that stays in L1/L2, which
// is as cheap as one and keeps the variance non-negative), then one scale-and-shift pass.
// Chunks are blocks of rows, slabs or groups.
import { ai, ap, af, scratch } from './util';
import { vexpNeg, sexp } from './vmath';

@inline function hmax(v: v128): f32 {
  const a = max<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1));
  const b = max<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3));
  return max<f32>(a, b);
}
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

function softmaxRow(x: usize, o: usize, n: i32, isLog: bool): void {
  // Pass 1, the max: two vectors per step with pmax (one instruction; f32x4.max is ~8 on x64), NaN
  // tracked on the side.
  let i = 0;
  let m0 = f32x4.splat(-Infinity);
  let m1 = m0;
  let nan0 = f32x4.splat(0);
  let nan1 = nan0;
  for (; i + 8 <= n; i += 8) {
    const k = <usize>i << 2;
    const a = v128.load(x + k);
    const b = v128.load(x + k, 16);
    m0 = f32x4.pmax(m0, a);
    m1 = f32x4.pmax(m1, b);
    nan0 = v128.or(nan0, f32x4.ne(a, a));
    nan1 = v128.or(nan1, f32x4.ne(b, b));
  }
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(x + (<usize>i << 2));
    m0 = f32x4.pmax(m0, a);
    nan0 = v128.or(nan0, f32x4.ne(a, a));
  }
  let m = v128.any_true(v128.or(nan0, nan1)) ? <f32>NaN : hmax(f32x4.pmax(m0, m1));
  for (; i < n; i++) m = max<f32>(m, load<f32>(x + (<usize>i << 2)));
  const mv = f32x4.splat(m);
  // Pass 2, e = exp(x - max) (vexpNeg: the argument is <= 0), four independent vectors per step so
  // that the polynomial chains overlap (two or eight per step measured slower: fewer in flight, or
  // spills). softmax stores e and sums it in a separate pass over the row, now in L1, which
  // measured 9% faster than summing in the exp loop (the accumulators spilled there);
  // logSoftmax only sums.
  let s0 = f32x4.splat(0);
  let s1 = s0;
  i = 0;
  if (!isLog) {
    for (; i + 16 <= n; i += 16) {
      const k = <usize>i << 2;
      const e0 = vexpNeg(f32x4.sub(v128.load(x + k), mv));
      const e1 = vexpNeg(f32x4.sub(v128.load(x + k, 16), mv));
      const e2 = vexpNeg(f32x4.sub(v128.load(x + k, 32), mv));
      const e3 = vexpNeg(f32x4.sub(v128.load(x + k, 48), mv));
      v128.store(o + k, e0);
      v128.store(o + k, e1, 16);
      v128.store(o + k, e2, 32);
      v128.store(o + k, e3, 48);
    }
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, vexpNeg(f32x4.sub(v128.load(x + k), mv)));
    }
    const vend = i;
    i = 0;
    for (; i + 8 <= vend; i += 8) {
      const k = <usize>i << 2;
      s0 = f32x4.add(s0, v128.load(o + k));
      s1 = f32x4.add(s1, v128.load(o + k, 16));
    }
    for (; i < vend; i += 4) s0 = f32x4.add(s0, v128.load(o + (<usize>i << 2)));
  } else {
    for (; i + 16 <= n; i += 16) {
      const k = <usize>i << 2;
      const e0 = vexpNeg(f32x4.sub(v128.load(x + k), mv));
      const e1 = vexpNeg(f32x4.sub(v128.load(x + k, 16), mv));
      const e2 = vexpNeg(f32x4.sub(v128.load(x + k, 32), mv));
      const e3 = vexpNeg(f32x4.sub(v128.load(x + k, 48), mv));
      s0 = f32x4.add(s0, f32x4.add(e0, e1));
      s1 = f32x4.add(s1, f32x4.add(e2, e3));
    }
    for (; i + 4 <= n; i += 4) s0 = f32x4.add(s0, vexpNeg(f32x4.sub(v128.load(x + (<usize>i << 2)), mv)));
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; i < n; i++) {
    const e = sexp(load<f32>(x + (<usize>i << 2)) - m);
    if (!isLog) store<f32>(o + (<usize>i << 2), e);
    s += e;
  }
  // Pass 3 over the row (now in L1): log-softmax x - max - log(sum), or softmax e · (1/sum).
  if (isLog) {
    const ls = f32x4.splat(<f32>Math.log(<f64>s));
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, f32x4.sub(f32x4.sub(v128.load(x + k), mv), ls));
    }
    for (; i < n; i++) store<f32>(o + (<usize>i << 2), (load<f32>(x + (<usize>i << 2)) - m) - f32x4.extract_lane(ls, 0));
  } else {
    const r = <f32>1.0 / s;
    const rv = f32x4.splat(r);
    i = 0;
    for (; i + 16 <= n; i += 16) {
      const k = <usize>i << 2;
      v128.store(o + k, f32x4.mul(v128.load(o + k), rv));
      v128.store(o + k, f32x4.mul(v128.load(o + k, 16), rv), 16);
      v128.store(o + k, f32x4.mul(v128.load(o + k, 32), rv), 32);
      v128.store(o + k, f32x4.mul(v128.load(o + k, 48), rv), 48);
    }
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, f32x4.mul(v128.load(o + k), rv));
    }
    for (; i < n; i++) store<f32>(o + (<usize>i << 2), load<f32>(o + (<usize>i << 2)) * r);
  }
}

/** Softmax over n along a dim with inner stride `inner`, for `w` (1..4) neighbouring columns. */
function softmaxCols(x: usize, o: usize, n: i32, inner: i32, w: i32, isLog: bool): void {
  const step = <usize>inner << 2;
  // Load/store w lanes; unused lanes read and write nothing (bounce through a local vector).
  let m = f32x4.splat(-Infinity);
  let p = x;
  for (let k = 0; k < n; k++) {
    m = f32x4.max(m, loadCols(p, w));
    p += step;
  }
  let s = f32x4.splat(0);
  p = x;
  let q = o;
  for (let k = 0; k < n; k++) {
    const e = vexpNeg(f32x4.sub(loadCols(p, w), m));
    if (!isLog) storeCols(q, e, w);
    s = f32x4.add(s, e);
    p += step;
    q += step;
  }
  p = x;
  q = o;
  if (isLog) {
    const ls = f32x4(
      <f32>Math.log(<f64>f32x4.extract_lane(s, 0)), <f32>Math.log(<f64>f32x4.extract_lane(s, 1)),
      <f32>Math.log(<f64>f32x4.extract_lane(s, 2)), <f32>Math.log(<f64>f32x4.extract_lane(s, 3)),
    );
    for (let k = 0; k < n; k++) {
      storeCols(q, f32x4.sub(f32x4.sub(loadCols(p, w), m), ls), w);
      p += step;
      q += step;
    }
  } else {
    const r = f32x4.div(f32x4.splat(1.0), s);
    for (let k = 0; k < n; k++) {
      storeCols(q, f32x4.mul(loadCols(q, w), r), w);
      q += step;
    }
  }
}

@inline function loadCols(p: usize, w: i32): v128 {
  if (w == 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (w > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (w > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}
@inline function storeCols(p: usize, v: v128, w: i32): void {
  if (w == 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (w > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (w > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * Slots: 0 log flag, 1 outer, 2 n (the softmax dim), 3 inner, 4 src (dense), 5 out,
 * 6 slabs per chunk, 7 outer (f64; one slab per outer index).
 */
export function task_softmax(args: usize, chunk: i32, tid: i32): void {
  const isLog = ai(args, 0) != 0;
  const outer = ai(args, 1);
  const n = ai(args, 2);
  const inner = ai(args, 3);
  const src = ap(args, 4);
  const out = ap(args, 5);
  const per = ai(args, 6);
  const s0 = chunk * per;
  const s1 = min(outer, s0 + per);
  const slab = <usize>n * <usize>inner << 2;
  for (let s = s0; s < s1; s++) {
    const x = src + <usize>s * slab;
    const o = out + <usize>s * slab;
    if (inner == 1) {
      if (isLog) softmaxRow(x, o, n, true);
      else softmaxRow(x, o, n, false);
    } else {
      for (let i = 0; i < inner; i += 4) {
        const w = min(4, inner - i);
        if (isLog) softmaxCols(x + (<usize>i << 2), o + (<usize>i << 2), n, inner, w, true);
        else softmaxCols(x + (<usize>i << 2), o + (<usize>i << 2), n, inner, w, false);
      }
    }
  }
}

/** Mean and 1/sqrt(var + eps) of n dense floats, the way the decomposition rounds them. */
@inline function moments(x: usize, n: i32, eps: f64, res: usize): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = f32x4.add(a0, v128.load(x + (<usize>i << 2)));
    a1 = f32x4.add(a1, v128.load(x + (<usize>i << 2), 16));
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; i < n; i++) s += load<f32>(x + (<usize>i << 2));
  const mu = s / <f32>n;
  const mv = f32x4.splat(mu);
  a0 = f32x4.splat(0);
  a1 = f32x4.splat(0);
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const d0 = f32x4.sub(v128.load(x + (<usize>i << 2)), mv);
    const d1 = f32x4.sub(v128.load(x + (<usize>i << 2), 16), mv);
    a0 = f32x4.add(a0, f32x4.mul(d0, d0));
    a1 = f32x4.add(a1, f32x4.mul(d1, d1));
  }
  let q = hsum(f32x4.add(a0, a1));
  for (; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - mu;
    q += d * d;
  }
  const v = q / <f32>n;
  store<f32>(res, mu);
  store<f32>(res, <f32>(1.0 / Math.sqrt(<f64>(v + <f32>eps))), 4);
}

/**
 * Slots: 0 rows, 1 D, 2 x (dense), 3 weight (0: none), 4 bias (0: none), 5 out, 6 eps (f64),
 * 7 rows per chunk.
 */
export function task_layernorm(args: usize, chunk: i32, tid: i32): void {
  const rows = ai(args, 0);
  const D = ai(args, 1);
  const src = ap(args, 2);
  const w = ap(args, 3);
  const b = ap(args, 4);
  const out = ap(args, 5);
  const eps = af(args, 6);
  const per = ai(args, 7);
  const r0 = chunk * per;
  const r1 = min(rows, r0 + per);
  const res = scratch(tid);
  for (let r = r0; r < r1; r++) {
    const x = src + (<usize>r * <usize>D << 2);
    const o = out + (<usize>r * <usize>D << 2);
    moments(x, D, eps, res);
    const mu = load<f32>(res);
    const rs = load<f32>(res, 4);
    const mv = f32x4.splat(mu);
    const rv = f32x4.splat(rs);
    let i = 0;
    for (; i + 4 <= D; i += 4) {
      const k = <usize>i << 2;
      let y = f32x4.mul(f32x4.sub(v128.load(x + k), mv), rv);
      if (w) y = f32x4.mul(y, v128.load(w + k));
      if (b) y = f32x4.add(y, v128.load(b + k));
      v128.store(o + k, y);
    }
    for (; i < D; i++) {
      const k = <usize>i << 2;
      let y = (load<f32>(x + k) - mu) * rs;
      if (w) y *= load<f32>(w + k);
      if (b) y += load<f32>(b + k);
      store<f32>(o + k, y);
    }
  }
}

/**
 * Slots: 0 groups in all (N·G), 1 channels per group, 2 spatial size, 3 G, 4 x (dense), 5 weight,
 * 6 bias, 7 out, 8 eps (f64), 9 groups per chunk.
 */
export function task_groupnorm(args: usize, chunk: i32, tid: i32): void {
  const total = ai(args, 0);
  const CG = ai(args, 1);
  const S = ai(args, 2);
  const G = ai(args, 3);
  const src = ap(args, 4);
  const w = ap(args, 5);
  const b = ap(args, 6);
  const out = ap(args, 7);
  const eps = af(args, 8);
  const per = ai(args, 9);
  const k0 = chunk * per;
  const k1 = min(total, k0 + per);
  const len = CG * S;
  const res = scratch(tid);
  for (let k = k0; k < k1; k++) {
    const x = src + (<usize>k * <usize>len << 2);
    const o = out + (<usize>k * <usize>len << 2);
    moments(x, len, eps, res);
    const mu = load<f32>(res);
    const rs = load<f32>(res, 4);
    const mv = f32x4.splat(mu);
    const rv = f32x4.splat(rs);
    const g = k % G;
    for (let ci = 0; ci < CG; ci++) {
      const c = g * CG + ci;
      const wc: f32 = w ? load<f32>(w + (<usize>c << 2)) : 1;
      const bc: f32 = b ? load<f32>(b + (<usize>c << 2)) : 0;
      const wv = f32x4.splat(wc);
      const bv = f32x4.splat(bc);
      const xc = x + (<usize>ci * <usize>S << 2);
      const oc = o + (<usize>ci * <usize>S << 2);
      let i = 0;
      for (; i + 4 <= S; i += 4) {
        const q = <usize>i << 2;
        let y = f32x4.mul(f32x4.sub(v128.load(xc + q), mv), rv);
        if (w) y = f32x4.mul(y, wv);
        if (b) y = f32x4.add(y, bv);
        v128.store(oc + q, y);
      }
      for (; i < S; i++) {
        const q = <usize>i << 2;
        let y = (load<f32>(xc + q) - mu) * rs;
        if (w) y *= wc;
        if (b) y += bc;
        store<f32>(oc + q, y);
      }
    }
  }
}
