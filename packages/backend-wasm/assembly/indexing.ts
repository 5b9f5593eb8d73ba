// gather, indexSelect and scatterAdd over dense inputs (the host makes them dense first). Indices
// are checked here, since only the kernel reads them: the first bad one is reported through the
// error slot (its value and dim) and the host throws the reference's error.
import { ai, ap, af } from './util';

/** Records the first out-of-range index (value, dim, size) in slots 30-33 of args. */
@inline function fail(args: usize, v: i32, dim: i32, size: i32): void {
  if (atomic.cmpxchg<i32>(args + 30 * 8, 0, 1) == 0) {
    store<i32>(args + 31 * 8, v);
    store<i32>(args + 32 * 8, dim);
    store<i32>(args + 33 * 8, size);
  }
}

/**
 * out[...] = x[..., index[...], ...] along dim, viewing x as [outer, n, inner] and index as
 * [outer, m, inner'] with inner' <= inner handled by the full index shape. Slots: 0 element size,
 * 1 rank, 2 index shape*, 3 x strides* (dense, elements), 4 dim, 5 x, 6 index, 7 out, 8 dim size,
 * 9 per chunk, 10 total (f64).
 */
export function task_gather(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 9);
  const total = <i64>af(args, 10);
  const s = <i64>chunk * per;
  let e = s + per;
  if (e > total) e = total;
  const es = ai(args, 0);
  const rank = ai(args, 1);
  const shape = ap(args, 2);
  const xs = ap(args, 3);
  const dim = ai(args, 4);
  const x = ap(args, 5);
  const index = ap(args, 6);
  const out = ap(args, 7);
  const size = ai(args, 8);
  for (let f = s; f < e; f++) {
    let rest = f;
    let o: i64 = 0;
    const iv = load<i32>(index + (<usize>f << 2));
    for (let d = rank - 1; d >= 0; d--) {
      const sd = <i64>load<i32>(shape + (<usize>d << 2));
      const id = rest % sd;
      rest /= sd;
      let i = id;
      if (d == dim) {
        if (iv < -size || iv >= size) {
          fail(args, iv, dim, size);
          return;
        }
        i = <i64>(iv < 0 ? iv + size : iv);
      }
      o += i * <i64>load<i32>(xs + (<usize>d << 2));
    }
    if (es == 1) store<u8>(out + <usize>f, load<u8>(x + <usize>o));
    else store<i32>(out + (<usize>f << 2), load<i32>(x + (<usize>o << 2)));
  }
}

/**
 * x viewed as [outer, n, inner] (dense), index of length m: out [outer, m, inner]. One chunk per
 * block of (outer, m) rows. Slots: 0 element size, 1 outer, 2 n, 3 inner, 4 m, 5 x, 6 index,
 * 7 out, 8 rows per chunk, 9 dim (for errors).
 */
export function task_index_select(args: usize, chunk: i32, tid: i32): void {
  const es = <usize>ai(args, 0);
  const outer = ai(args, 1);
  const n = ai(args, 2);
  const inner = <usize>ai(args, 3);
  const m = ai(args, 4);
  const x = ap(args, 5);
  const index = ap(args, 6);
  const out = ap(args, 7);
  const per = ai(args, 8);
  const r0 = chunk * per;
  const r1 = min(outer * m, r0 + per);
  const rowBytes = inner * es;
  for (let r = r0; r < r1; r++) {
    const o = r / m;
    const j = r % m;
    let iv = load<i32>(index + (<usize>j << 2));
    if (iv < -n || iv >= n) {
      fail(args, iv, ai(args, 9), n);
      return;
    }
    if (iv < 0) iv += n;
    memory.copy(out + <usize>r * rowBytes, x + (<usize>o * <usize>n + <usize>iv) * rowBytes, rowBytes);
  }
}

/**
 * out (already a copy of x) += src at index along dim, in row-major index order (one chunk, so
 * duplicates accumulate in the reference's order). Slots: 0 type (0 f32, 1 i32, 2 bool bytes), 1 rank,
 * 2 index shape*, 3 out strides*, 4 src strides*, 5 dim, 6 index, 7 src, 8 out, 9 dim size,
 * 10 total (f64).
 */
export function task_scatter_add(args: usize, chunk: i32, tid: i32): void {
  const isF = ai(args, 0) == 0;
  const isB = ai(args, 0) == 2;
  const rank = ai(args, 1);
  const shape = ap(args, 2);
  const os = ap(args, 3);
  const ss = ap(args, 4);
  const dim = ai(args, 5);
  const index = ap(args, 6);
  const src = ap(args, 7);
  const out = ap(args, 8);
  const size = ai(args, 9);
  const total = <i64>af(args, 10);
  for (let f: i64 = 0; f < total; f++) {
    let rest = f;
    let o: i64 = 0;
    let so: i64 = 0;
    const iv = load<i32>(index + (<usize>f << 2));
    for (let d = rank - 1; d >= 0; d--) {
      const sd = <i64>load<i32>(shape + (<usize>d << 2));
      const id = rest % sd;
      rest /= sd;
      let i = id;
      if (d == dim) {
        if (iv < -size || iv >= size) {
          fail(args, iv, dim, size);
          return;
        }
        i = <i64>(iv < 0 ? iv + size : iv);
      }
      o += i * <i64>load<i32>(os + (<usize>d << 2));
      so += id * <i64>load<i32>(ss + (<usize>d << 2));
    }
    const po = out + (<usize>o << 2);
    const ps = src + (<usize>so << 2);
    if (isF) store<f32>(po, load<f32>(po) + load<f32>(ps));
    else if (isB) store<u8>(out + <usize>o, load<u8>(out + <usize>o) + load<u8>(src + <usize>so));
    else store<i32>(po, load<i32>(po) + load<i32>(ps));
  }
}
