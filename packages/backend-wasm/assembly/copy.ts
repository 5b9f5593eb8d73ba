// Strided copies with dtype conversion (`cast`, `contiguous`, the gathers every other kernel uses
// to normalise its inputs, and the writes of `cat` and `pad` into a region of their output), and
// fills. One N-d walker serves every layout; the innermost run is a memory.copy when both sides
// are dense and of one type, a plain loop otherwise.
import { ai, ap, af, scratch, ndUnravel, ndDotOuter, ndAdvance, toInt32, F32, I32, U8, F64 } from './util';

@inline function conv<S, D>(v: S): D {
  if (isFloat<S>()) {
    if (isFloat<D>()) return <D>v;
    if (sizeof<D>() == 1) return <D>(v != 0 ? 1 : 0); // bool: nonzero (NaN too) is true
    return <D>toInt32(<f64>v); // int32: trunc, wrap; non-finite -> 0 (like an Int32Array store)
  }
  if (sizeof<D>() == 1 && sizeof<S>() != 1) return <D>(v != 0 ? 1 : 0);
  return <D>v;
}

@inline function run<S, D>(n: i32, src: usize, ss: i32, dst: usize, ds: i32): void {
  if (sizeof<S>() == sizeof<D>() && isFloat<S>() == isFloat<D>() && ss == 1 && ds == 1) {
    memory.copy(dst, src, <usize>n * sizeof<S>());
    return;
  }
  const sb = <usize>ss * sizeof<S>();
  const db = <usize>ds * sizeof<D>();
  for (let i = 0; i < n; i++) {
    store<D>(dst, conv<S, D>(load<S>(src)));
    src += sb;
    dst += db;
  }
}

function copyRange<S, D>(args: usize, start: i64, end: i64, idx: usize): void {
  const rank = ai(args, 2);
  const shape = ap(args, 3);
  const src = ap(args, 4);
  const sst = ap(args, 5);
  const dst = ap(args, 6);
  const dstr = ap(args, 7);
  if (rank == 0) {
    store<D>(dst, conv<S, D>(load<S>(src)));
    return;
  }
  const last = rank - 1;
  const inner = load<i32>(shape + (<usize>last << 2));
  const ssl = load<i32>(sst + (<usize>last << 2));
  const dsl = load<i32>(dstr + (<usize>last << 2));
  ndUnravel(rank, shape, start, idx);
  let pos = start;
  while (pos < end) {
    const at = load<i32>(idx + (<usize>last << 2));
    let n = inner - at;
    if (<i64>n > end - pos) n = <i32>(end - pos);
    const so = ndDotOuter(rank, idx, sst) + <i64>at * ssl;
    const d0 = ndDotOuter(rank, idx, dstr) + <i64>at * dsl;
    run<S, D>(n, src + <usize>so * sizeof<S>(), ssl, dst + <usize>d0 * sizeof<D>(), dsl);
    pos += n;
    ndAdvance(rank, shape, idx, n);
  }
}

@inline function dispatchDst<S>(args: usize, dt: i32, start: i64, end: i64, idx: usize): void {
  if (dt == F32) copyRange<S, f32>(args, start, end, idx);
  else if (dt == I32) copyRange<S, i32>(args, start, end, idx);
  else if (dt == U8) copyRange<S, u8>(args, start, end, idx);
  else copyRange<S, f64>(args, start, end, idx);
}

/**
 * Copies a strided view into another strided view, converting the element type.
 * Slots: 0 src type, 1 dst type, 2 rank, 3 shape*, 4 src, 5 src strides*, 6 dst, 7 dst strides*,
 * 8 elements per chunk, 9 total elements (f64).
 */
export function task_copy(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 8);
  const total = <i64>af(args, 9);
  const start = <i64>chunk * per;
  let end = start + per;
  if (end > total) end = total;
  if (start >= end) return;
  const st = ai(args, 0);
  const dt = ai(args, 1);
  const idx = scratch(tid);
  if (st == F32) dispatchDst<f32>(args, dt, start, end, idx);
  else if (st == I32) dispatchDst<i32>(args, dt, start, end, idx);
  else if (st == U8) dispatchDst<u8>(args, dt, start, end, idx);
  else dispatchDst<f64>(args, dt, start, end, idx);
}

/**
 * Fills a dense range with one value. Slots: 0 element size (1 or 4), 1 ptr, 2 total (f64),
 * 3 value bits (the float32/int32 bit pattern, or the byte), 4 elements per chunk.
 */
export function task_fill(args: usize, chunk: i32, tid: i32): void {
  const size = ai(args, 0);
  const per = <i64>ai(args, 4);
  const total = <i64>af(args, 2);
  const start = <i64>chunk * per;
  let end = start + per;
  if (end > total) end = total;
  if (start >= end) return;
  const bits = ai(args, 3);
  const base = ap(args, 1);
  if (size == 1) {
    memory.fill(base + <usize>start, <u8>bits, <usize>(end - start));
    return;
  }
  let p = base + (<usize>start << 2);
  const stop = base + (<usize>end << 2);
  const v = i32x4.splat(bits);
  while (p + 16 <= stop) {
    v128.store(p, v);
    p += 16;
  }
  while (p < stop) {
    store<i32>(p, bits);
    p += 4;
  }
}

/**
 * A copy whose destination is dense along the dim the source steps through with a large stride
 * (a transpose: out[b, i, j] = src[b·sb + i + j·sj]). Done in 16×16 tiles so both the reads and the
 * writes of a tile stay in L1, instead of striding through a whole column per output row. One chunk
 * per 16 output rows of one batch entry. Slots: 1 batch, 2 rows, 3 cols, 4 src, 5 src batch
 * stride, 6 src column stride, 7 dst, 8 dst batch stride, 9 dst row stride, 10 row blocks per entry.
 */
export function task_transpose(args: usize, chunk: i32, tid: i32): void {
  const R = ai(args, 2);
  const C = ai(args, 3);
  const nb = ai(args, 10);
  const b = chunk / nb;
  const i0 = (chunk % nb) * 16;
  const i1 = min(R, i0 + 16);
  const src = ap(args, 4) + (<usize>b * <usize>ai(args, 5) << 2);
  const sj = <usize>ai(args, 6) << 2;
  const dst = ap(args, 7) + (<usize>b * <usize>ai(args, 8) << 2);
  const dr = <usize>ai(args, 9) << 2;
  for (let j0 = 0; j0 < C; j0 += 16) {
    const j1 = min(C, j0 + 16);
    for (let i = i0; i < i1; i++) {
      let s = src + (<usize>i << 2) + <usize>j0 * sj;
      let d = dst + <usize>i * dr + (<usize>j0 << 2);
      for (let j = j0; j < j1; j++) {
        store<i32>(d, load<i32>(s));
        s += sj;
        d += 4;
      }
    }
  }
}
