/**
 * `gather`, `indexSelect` and `scatterAdd`. Indices are read on the GPU, so unlike the reference
 * an out-of-range index cannot throw: negative indices count from the end as in the reference,
 * and an index still out of range reads 0 (gather, indexSelect) or adds nothing (scatterAdd).
 *
 * Tiling: one invocation per output element. `scatterAdd` is written as a gather so that it is
 * deterministic without float atomics (WGSL has none): each output element walks the index
 * entries along `dim` that share its other coordinates and adds, in index order, the `src`
 * entries whose index points at it — the reference's order of additions exactly.
 * @module
 */
import type { Kernel, TensorView } from '@tessera/tensor';
import { sizeOf } from '@tessera/tensor';
import { current } from '../state.js';
import { Params, buf, entry, header, linearPrologue, outBuffer, wtype, WG } from './common.js';

/** WGSL: wraps a negative index once; -1 marks out of range. */
const WRAP = `fn wrap(i: i32, n: u32) -> i32 {
  let j = select(i, i + i32(n), i < 0);
  return select(-1, j, j >= 0 && j < i32(n));
}`;

/** Indexing kernels by op name. */
export const kernels: Record<string, Kernel> = {
  gather: ([xv, iv], a: { dim: number }, [spec]) => {
    const ctx = current();
    const x = xv as TensorView;
    const idx = iv as TensorView;
    const out = outBuffer(ctx, spec!);
    const n = sizeOf(spec!.shape);
    const rank = idx.shape.length;
    const t = wtype(x.dtype);
    const p = new Params();
    const nWord = p.u(n);
    const shape = p.us(idx.shape);
    const iStr = p.us(idx.strides);
    const xStr = p.us(x.strides);
    const offs = p.us([idx.offset, x.offset, x.shape[a.dim] ?? 1]);
    ctx.launch({
      key: `gather|${t}|r${rank}d${a.dim}`,
      reads: [buf(ctx, x), buf(ctx, idx)],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(n / WG)),
      code: () => `${header([{ name: 'x', type: t }, { name: 'ind', type: 'i32' }], [{ name: 'out', type: t }], p)}
${WRAP}
${entry(WG)}
  ${linearPrologue(nWord)}
  var rem = lin;
  var io = pu(${offs}u);
  var xo = pu(${offs + 1}u);
  for (var d = ${rank - 1}; d >= 0; d--) {
    let du = u32(d);
    let s = pu(${shape}u + du);
    let c = rem % s;
    rem = rem / s;
    io += c * pu(${iStr}u + du);
    if (d != ${a.dim}) { xo += c * pu(${xStr}u + du); }
  }
  let j = wrap(ind[io], pu(${offs + 2}u));
  if (j < 0) { out[lin] = ${t}(0); return; }
  out[lin] = x[xo + u32(j) * pu(${xStr + a.dim}u)];
}`,
    });
    return [out];
  },

  indexSelect: ([xv, iv], a: { dim: number }, [spec]) => {
    const ctx = current();
    const x = xv as TensorView;
    const idx = iv as TensorView;
    const out = outBuffer(ctx, spec!);
    const n = sizeOf(spec!.shape);
    const scalar = x.shape.length === 0;
    const shapeV = scalar ? [idx.shape[0]!] : spec!.shape;
    const xStrides = scalar ? [0] : x.strides;
    const dim = scalar ? 0 : a.dim;
    const rank = shapeV.length;
    const t = wtype(x.dtype);
    const p = new Params();
    const nWord = p.u(n);
    const shape = p.us(shapeV);
    const xStr = p.us(xStrides);
    const offs = p.us([idx.offset, idx.strides[0] ?? 0, x.offset, scalar ? 1 : x.shape[dim]!]);
    ctx.launch({
      key: `indexSelect|${t}|r${rank}d${dim}`,
      reads: [buf(ctx, x), buf(ctx, idx)],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(n / WG)),
      code: () => `${header([{ name: 'x', type: t }, { name: 'ind', type: 'i32' }], [{ name: 'out', type: t }], p)}
${WRAP}
${entry(WG)}
  ${linearPrologue(nWord)}
  var rem = lin;
  var xo = pu(${offs + 2}u);
  var sel = 0u;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let du = u32(d);
    let s = pu(${shape}u + du);
    let c = rem % s;
    rem = rem / s;
    if (d == ${dim}) { sel = c; } else { xo += c * pu(${xStr}u + du); }
  }
  let j = wrap(ind[pu(${offs}u) + sel * pu(${offs + 1}u)], pu(${offs + 3}u));
  if (j < 0) { out[lin] = ${t}(0); return; }
  out[lin] = x[xo + u32(j) * pu(${xStr + dim}u)];
}`,
    });
    return [out];
  },

  scatterAdd: ([xv, iv, sv], a: { dim: number }, [spec]) => {
    const ctx = current();
    const x = xv as TensorView;
    const idx = iv as TensorView;
    const src = sv as TensorView;
    const out = outBuffer(ctx, spec!);
    const n = sizeOf(spec!.shape);
    const rank = spec!.shape.length;
    const t = wtype(x.dtype);
    const p = new Params();
    const nWord = p.u(n);
    const shape = p.us(spec!.shape);
    const iShape = p.us(idx.shape);
    const xStr = p.us(x.strides);
    const iStr = p.us(idx.strides);
    const sStr = p.us(src.strides);
    const offs = p.us([x.offset, idx.offset, src.offset]);
    ctx.launch({
      key: `scatterAdd|${t}|r${rank}d${a.dim}`,
      reads: [buf(ctx, x), buf(ctx, idx), buf(ctx, src)],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(n / WG)),
      code: () => `${header([{ name: 'x', type: t }, { name: 'ind', type: 'i32' }, { name: 'src', type: t }], [{ name: 'out', type: t }], p)}
${WRAP}
${entry(WG)}
  ${linearPrologue(nWord)}
  var rem = lin;
  var xo = pu(${offs}u);
  var io = pu(${offs + 1}u);
  var so = pu(${offs + 2}u);
  var tgt = 0u;
  var covered = true;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let du = u32(d);
    let s = pu(${shape}u + du);
    let c = rem % s;
    rem = rem / s;
    xo += c * pu(${xStr}u + du);
    if (d == ${a.dim}) { tgt = c; }
    else {
      if (c >= pu(${iShape}u + du)) { covered = false; }
      io += c * pu(${iStr}u + du);
      so += c * pu(${sStr}u + du);
    }
  }
  var acc = x[xo];
  if (covered) {
    let m = pu(${iShape + a.dim}u);
    let ist = pu(${iStr + a.dim}u);
    let sst = pu(${sStr + a.dim}u);
    let dn = pu(${shape + a.dim}u);
    for (var k = 0u; k < m; k++) {
      if (wrap(ind[io + k * ist], dn) == i32(tgt)) { acc = acc + src[so + k * sst]; }
    }
  }
  out[lin] = acc;
}`,
    });
    return [out];
  },
};
