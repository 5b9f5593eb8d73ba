// Reductions (sum, prod, max, min), arg-reductions and cumsum.
//
// The host splits the input's dims into kept dims (the output, dense) and reduced dims, each
// coalesced, with element strides into the input. Work is chunked over output elements, so each
// output is reduced by one thread in one fixed order: results do not depend on the thread count.
// Per output, a reduction whose (coalesced) reduced dim is dense runs four lanes at a time; when the
// kept innermost dim is dense instead (e.g. summing over rows), four neighbouring outputs are
// reduced together, one vector per reduction step. float32 sums and products accumulate in
// float64 as the reference does; max/min propagate NaN.
import { ai, ap, af, scratch, ndUnravel, ndDotOuter, ndAdvance, F32 } from './util';

const SUM = 0, PROD = 1, MAX = 2, MIN = 3;

/** Offset of output `j`'s first input element: unravel j over the kept dims, dot with their strides. */
@inline function keptOffset(rank: i32, shape: usize, strides: usize, j: i64): i64 {
  let o: i64 = 0;
  for (let d = rank - 1; d >= 0; d--) {
    const s = <i64>load<i32>(shape + (<usize>d << 2));
    o += (j % s) * <i64>load<i32>(strides + (<usize>d << 2));
    j /= s;
  }
  return o;
}

// -- float32 ------------------------------------------------------------------------------------------

@inline function accF(op: i32, acc: f64, v: f32): f64 {
  if (op == SUM) return acc + <f64>v;
  if (op == PROD) return acc * <f64>v;
  if (op == MAX) return <f64>max<f32>(<f32>acc, v);
  return <f64>min<f32>(<f32>acc, v);
}

@inline function initF(op: i32): f64 {
  return op == SUM ? 0.0 : op == PROD ? 1.0 : op == MAX ? -Infinity : Infinity;
}

/** Dense run of n float32 values starting at p, folded into acc. */
@inline function denseRunF(op: i32, p: usize, n: i32, acc: f64): f64 {
  let i = 0;
  if (op == SUM) {
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(p + (<usize>i << 2));
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
    }
    const s = f64x2.add(s0, s1);
    acc += f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  } else if (op == MAX || op == MIN) {
    if (n >= 4) {
      // pmax/pmin (one instruction each on x64, unlike max/min) with NaN tracked on the side
      let m = f32x4.splat(<f32>acc);
      let nan = f32x4.ne(m, m);
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(p + (<usize>i << 2));
        m = op == MAX ? f32x4.pmax(m, v) : f32x4.pmin(m, v);
        nan = v128.or(nan, f32x4.ne(v, v));
      }
      if (v128.any_true(nan)) m = f32x4.splat(NaN);
      let r = f32x4.extract_lane(m, 0);
      for (let l = 1; l < 4; l++) {
        const x = l == 1 ? f32x4.extract_lane(m, 1) : l == 2 ? f32x4.extract_lane(m, 2) : f32x4.extract_lane(m, 3);
        r = op == MAX ? max<f32>(r, x) : min<f32>(r, x);
      }
      acc = <f64>r;
    }
  }
  for (; i < n; i++) acc = accF(op, acc, load<f32>(p + (<usize>i << 2)));
  return acc;
}

/** Strided run. */
@inline function runF(op: i32, p: usize, n: i32, stride: i32, acc: f64): f64 {
  if (stride == 1) return denseRunF(op, p, n, acc);
  const step = <usize>stride << 2;
  for (let i = 0; i < n; i++) {
    acc = accF(op, acc, load<f32>(p));
    p += step;
  }
  return acc;
}

/** Reduces every reduced index for one output whose first input element is at `base`. */
function reduceOneF(op: i32, args: usize, base: usize, idx: usize): f64 {
  const rr = ai(args, 5);
  const rs = ap(args, 6);
  const rst = ap(args, 7);
  let acc = initF(op);
  const total = <i64>af(args, 12);
  if (total == 0) return acc;
  if (rr == 0) return accF(op, acc, load<f32>(base));
  const last = rr - 1;
  const inner = load<i32>(rs + (<usize>last << 2));
  const sl = load<i32>(rst + (<usize>last << 2));
  if (rr == 1) return runF(op, base, inner, sl, acc);
  for (let d = 0; d < rr; d++) store<i32>(idx + (<usize>d << 2), 0);
  let pos: i64 = 0;
  while (pos < total) {
    acc = runF(op, base + (<usize>ndDotOuter(rr, idx, rst) << 2), inner, sl, acc);
    pos += inner;
    ndAdvance(rr, rs, idx, inner);
  }
  return acc;
}

/** Four neighbouring outputs (kept stride 1) at once: one vector per reduced index. */
function reduceFourF(op: i32, args: usize, base: usize, idx: usize, out: usize): void {
  const rr = ai(args, 5);
  const rs = ap(args, 6);
  const rst = ap(args, 7);
  const total = <i64>af(args, 12);
  const last = rr - 1;
  const inner = load<i32>(rs + (<usize>last << 2));
  const step = <usize>load<i32>(rst + (<usize>last << 2)) << 2;
  for (let d = 0; d < rr; d++) store<i32>(idx + (<usize>d << 2), 0);
  let lo = f64x2.splat(initF(op));
  let hi = lo;
  let m = f32x4.splat(<f32>initF(op));
  let pos: i64 = 0;
  while (pos < total) {
    let p = base + (<usize>ndDotOuter(rr, idx, rst) << 2);
    for (let i = 0; i < inner; i++) {
      const v = v128.load(p);
      if (op == SUM) {
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      } else if (op == PROD) {
        lo = f64x2.mul(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.mul(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      } else if (op == MAX) m = f32x4.max(m, v);
      else m = f32x4.min(m, v);
      p += step;
    }
    pos += inner;
    ndAdvance(rr, rs, idx, inner);
  }
  if (op == SUM || op == PROD) {
    v128.store(out, f32x4.demote_f64x2_zero(lo));
    v128.store64_lane(out + 8, f32x4.demote_f64x2_zero(hi), 0);
  } else v128.store(out, m);
}

// -- int32 (wrapping) -----------------------------------------------------------------------------------

@inline function accI(op: i32, acc: i32, v: i32): i32 {
  if (op == SUM) return acc + v;
  if (op == PROD) return acc * v;
  if (op == MAX) return v > acc ? v : acc;
  return v < acc ? v : acc;
}

@inline function initI(op: i32): i32 {
  return op == SUM ? 0 : op == PROD ? 1 : op == MAX ? i32.MIN_VALUE : i32.MAX_VALUE;
}

function reduceOneI(op: i32, args: usize, base: usize, idx: usize): i32 {
  const rr = ai(args, 5);
  const rs = ap(args, 6);
  const rst = ap(args, 7);
  let acc = initI(op);
  const total = <i64>af(args, 12);
  if (total == 0) return acc;
  if (rr == 0) return accI(op, acc, load<i32>(base));
  const last = rr - 1;
  const inner = load<i32>(rs + (<usize>last << 2));
  const step = <usize>load<i32>(rst + (<usize>last << 2)) << 2;
  for (let d = 0; d < rr; d++) store<i32>(idx + (<usize>d << 2), 0);
  let pos: i64 = 0;
  while (pos < total) {
    let p = base + (<usize>ndDotOuter(rr, idx, rst) << 2);
    for (let i = 0; i < inner; i++) {
      acc = accI(op, acc, load<i32>(p));
      p += step;
    }
    pos += inner;
    ndAdvance(rr, rs, idx, inner);
  }
  return acc;
}

@inline function reduceChunk(op: i32, isF: bool, args: usize, s: i64, e: i64, idx: usize): void {
  const kr = ai(args, 2);
  const ks = ap(args, 3);
  const kst = ap(args, 4);
  const src = ap(args, 8);
  const out = ap(args, 9);
  const rr = ai(args, 5);
  const innerK = kr > 0 ? load<i32>(ks + (<usize>(kr - 1) << 2)) : 1;
  const dense = kr > 0 && load<i32>(kst + (<usize>(kr - 1) << 2)) == 1 && rr > 0 && <i64>af(args, 12) > 0;
  let j = s;
  while (j < e) {
    const base = src + (<usize>keptOffset(kr, ks, kst, j) << 2);
    if (isF && dense && j + 4 <= e && (j % innerK) + 4 <= innerK) {
      reduceFourF(op, args, base, idx, out + (<usize>j << 2));
      j += 4;
      continue;
    }
    if (isF) store<f32>(out + (<usize>j << 2), <f32>reduceOneF(op, args, base, idx));
    else store<i32>(out + (<usize>j << 2), reduceOneI(op, args, base, idx));
    j++;
  }
}

/**
 * Slots: 0 op (sum, prod, max, min), 1 type (float32 or int32), 2 kept rank, 3 kept shape*,
 * 4 kept strides*, 5 reduced rank, 6 reduced shape*, 7 reduced strides*, 8 src, 9 out (dense over
 * the kept dims), 10 outputs per chunk, 11 number of outputs (f64), 12 reduced size (f64).
 */
export function task_reduce(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 10);
  const total = <i64>af(args, 11);
  const s = <i64>chunk * per;
  let e = s + per;
  if (e > total) e = total;
  if (s >= e) return;
  const op = ai(args, 0);
  const idx = scratch(tid);
  if (ai(args, 1) == F32) {
    switch (op) {
      case SUM: reduceChunk(SUM, true, args, s, e, idx); break;
      case PROD: reduceChunk(PROD, true, args, s, e, idx); break;
      case MAX: reduceChunk(MAX, true, args, s, e, idx); break;
      default: reduceChunk(MIN, true, args, s, e, idx); break;
    }
  } else {
    switch (op) {
      case SUM: reduceChunk(SUM, false, args, s, e, idx); break;
      case PROD: reduceChunk(PROD, false, args, s, e, idx); break;
      case MAX: reduceChunk(MAX, false, args, s, e, idx); break;
      default: reduceChunk(MIN, false, args, s, e, idx); break;
    }
  }
}

/**
 * argmax / argmin along one strided dim: the first extremum, a NaN counting as the extremum (the
 * first NaN wins), as in the reference. Slots: 0 isMin, 1 type, 2 kept rank, 3 kept shape*,
 * 4 kept strides*, 5 length, 6 stride, 7 src, 8 out (int32), 9 per chunk, 10 outputs (f64).
 */
export function task_argreduce(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 9);
  const total = <i64>af(args, 10);
  const s = <i64>chunk * per;
  let e = s + per;
  if (e > total) e = total;
  if (s >= e) return;
  const isMin = ai(args, 0) != 0;
  const isF = ai(args, 1) == F32;
  const kr = ai(args, 2);
  const ks = ap(args, 3);
  const kst = ap(args, 4);
  const n = ai(args, 5);
  const step = <usize>ai(args, 6) << 2;
  const src = ap(args, 7);
  const out = ap(args, 8);
  for (let j = s; j < e; j++) {
    let p = src + (<usize>keptOffset(kr, ks, kst, j) << 2);
    let arg = 0;
    if (isF) {
      let best = load<f32>(p);
      for (let k = 1; k < n; k++) {
        p += step;
        const v = load<f32>(p);
        if (best == best && (v != v || (isMin ? v < best : v > best))) {
          best = v;
          arg = k;
        }
      }
    } else {
      let best = load<i32>(p);
      for (let k = 1; k < n; k++) {
        p += step;
        const v = load<i32>(p);
        if (isMin ? v < best : v > best) {
          best = v;
          arg = k;
        }
      }
    }
    store<i32>(out + (<usize>j << 2), arg);
  }
}

/**
 * Running sum along the middle dim of a dense [outer, n, inner] array (float32 accumulating in
 * float64 and rounded per element, or int32 wrapping). Slots: 0 type, 1 outer, 2 n, 3 inner,
 * 4 src, 5 out, 6 lines per chunk, 7 lines (f64).
 */
export function task_cumsum(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 6);
  const total = <i64>af(args, 7);
  const s = <i64>chunk * per;
  let e = s + per;
  if (e > total) e = total;
  if (s >= e) return;
  const isF = ai(args, 0) == F32;
  const n = ai(args, 2);
  const inner = <i64>ai(args, 3);
  const src = ap(args, 4);
  const out = ap(args, 5);
  const step = <usize>inner << 2;
  for (let l = s; l < e; l++) {
    const o = l / inner;
    const i = l % inner;
    const off = <usize>((o * <i64>n) * inner + i) << 2;
    let ps = src + off;
    let po = out + off;
    if (isF) {
      let acc: f64 = 0;
      for (let k = 0; k < n; k++) {
        acc += <f64>load<f32>(ps);
        store<f32>(po, <f32>acc);
        ps += step;
        po += step;
      }
    } else {
      let acc: i32 = 0;
      for (let k = 0; k < n; k++) {
        acc += load<i32>(ps);
        store<i32>(po, acc);
        ps += step;
        po += step;
      }
    }
  }
}

/**
 * First stage of a reduction of few, long, dense rows (a full sum of a big tensor, say): one chunk
 * per fixed-size segment of a row, each writing one float64 partial (float32 sums and products
 * accumulate in float64; int32 partials are exact in float64). The host folds the partials of each
 * row in segment order, so the result does not depend on the thread count. Slots: 0 op, 1 type,
 * 2 src (dense [rows, n]), 3 n, 4 segment length, 5 segments per row, 6 partials (f64).
 */
export function task_reduce_partial(args: usize, chunk: i32, tid: i32): void {
  const op = ai(args, 0);
  const isF = ai(args, 1) == F32;
  const n = <i64>ai(args, 3);
  const seg = <i64>ai(args, 4);
  const segs = ai(args, 5);
  const row = <i64>(chunk / segs);
  const s = <i64>(chunk % segs) * seg;
  let e = s + seg;
  if (e > n) e = n;
  const p = ap(args, 2) + (<usize>(row * n + s) << 2);
  const len = <i32>(e - s);
  let r: f64;
  if (isF) {
    switch (op) {
      case SUM: r = denseRunF(SUM, p, len, 0.0); break;
      case PROD: r = denseRunF(PROD, p, len, 1.0); break;
      case MAX: r = denseRunF(MAX, p, len, -Infinity); break;
      default: r = denseRunF(MIN, p, len, Infinity); break;
    }
  } else {
    let acc = initI(op);
    for (let i = 0; i < len; i++) acc = accI(op, acc, load<i32>(p + (<usize>i << 2)));
    r = <f64>acc;
  }
  store<f64>(ap(args, 6) + (<usize>chunk << 3), r);
}
