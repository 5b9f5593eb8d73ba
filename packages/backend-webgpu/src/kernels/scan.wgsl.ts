/**
 * `cumsum`.
 *
 * Tiling: one invocation per line along `dim` (every other dim indexes a line), summing in
 * order: the same order of additions as the reference, so results match to float32 rounding.
 * Lines of any stride are read in place; the output is contiguous.
 * @module
 */
import type { Kernel, TensorView } from '@tessera/tensor';
import { contiguousStrides, sizeOf } from '@tessera/tensor';
import { current } from '../state.js';
import { Params, buf, coalesce, cvt, entry, header, outBuffer, stridedIndex, wtype, WG } from './common.js';

/** Scan kernels by op name. */
export const kernels: Record<string, Kernel> = {
  cumsum: ([xv], a: { dim: number }, [spec]) => {
    const ctx = current();
    const x = xv as TensorView;
    const out = outBuffer(ctx, spec!);
    const rank = x.shape.length;
    const len = rank === 0 ? 1 : x.shape[a.dim]!;
    const os = contiguousStrides(x.shape);
    const keptDims = x.shape.map((_, i) => i).filter((i) => i !== a.dim);
    const keepShape = keptDims.map((i) => x.shape[i]!);
    const lines = sizeOf(keepShape);
    if (lines === 0 || len === 0) return [out];
    const c = coalesce(keepShape, [keptDims.map((i) => os[i]!), keptDims.map((i) => x.strides[i]!)]);
    const t = wtype(spec!.dtype);
    const inT = wtype(x.dtype);
    const p = new Params();
    const nWord = p.u(lines);
    const lenWord = p.u(len);
    const sIn = p.u(rank === 0 ? 0 : x.strides[a.dim]!);
    const sOut = p.u(rank === 0 ? 0 : os[a.dim]!);
    const index = stridedIndex(p, c.shape, [{ offset: 0, strides: c.strides[0]! }, { offset: x.offset, strides: c.strides[1]! }], 'l');
    ctx.launch({
      key: `cumsum|${inT}>${t}|r${c.shape.length}`,
      reads: [buf(ctx, x)],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(lines / WG)),
      code: () => `${header([{ name: 'x', type: inT }], [{ name: 'out', type: t }], p)}
${entry(WG)}
  let l = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (l >= pu(${nWord}u)) { return; }
  ${index.replace(/\n/g, '\n  ')}
  let n = pu(${lenWord}u);
  let si = pu(${sIn}u);
  let so = pu(${sOut}u);
  var acc: ${t} = ${t === 'f32' ? '0.0' : '0'};
  for (var k = 0u; k < n; k++) {
    acc = acc + ${cvt('x[off1 + k * si]', inT, t)};
    out[off0 + k * so] = acc;
  }
}`,
    });
    return [out];
  },
};
