/**
 * `cat` and `pad`.
 *
 * Tiling: `cat` is one strided copy per (non-empty) input straight into its slab of the output —
 * one dispatch each, two bindings each, so any number of inputs fits the storage-buffer limit of
 * compatibility mode. `pad` is one invocation per output element: the element's coordinates
 * minus the padding before each dim pick the input element, or the fill value outside it.
 * @module
 */
import type { Kernel, TensorView } from '@tessera/tensor';
import { contiguousStrides, sizeOf } from '@tessera/tensor';
import { current } from '../state.js';
import { Params, buf, entry, header, linearPrologue, outBuffer, wtype, WG } from './common.js';
import { runMap } from './elementwise.wgsl.js';

/** Join kernels by op name. */
export const kernels: Record<string, Kernel> = {
  cat: (inputs, a: { dim: number }, [spec]) => {
    const ctx = current();
    const out = outBuffer(ctx, spec!);
    const os = contiguousStrides(spec!.shape);
    const t = wtype(spec!.dtype);
    let base = 0;
    for (const x of inputs) {
      if (sizeOf(x.shape) > 0) {
        runMap(ctx, [x], { shape: x.shape, dtype: spec!.dtype }, { key: 'copy', types: [t], body: () => 'v0' }, {
          buffer: out,
          offset: base * os[a.dim]!,
          strides: os,
        });
      }
      base += x.shape[a.dim]!;
    }
    return [out];
  },

  pad: ([x], a: { before: number[]; value: number }, [spec]) => {
    const ctx = current();
    const out = outBuffer(ctx, spec!);
    const v = x as TensorView;
    const n = sizeOf(spec!.shape);
    const rank = spec!.shape.length;
    const t = wtype(spec!.dtype);
    const p = new Params();
    const nWord = p.u(n);
    const outShape = p.us(spec!.shape);
    const before = p.us(a.before);
    const inShape = p.us(v.shape);
    const inStrides = p.us(v.strides);
    const offWord = p.u(v.offset);
    const valWord = t === 'f32' ? p.f(a.value) : t === 'i32' ? p.i(a.value) : p.u(a.value ? 1 : 0);
    const get = t === 'f32' ? 'pf' : t === 'i32' ? 'pi' : 'pu';
    ctx.launch({
      key: `pad|${t}|r${rank}`,
      reads: [buf(ctx, v)],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(n / WG)),
      code: () => `${header([{ name: 'x', type: t }], [{ name: 'out', type: t }], p)}
${entry(WG)}
  ${linearPrologue(nWord)}
  var rem = lin;
  var off = pu(${offWord}u);
  var inside = true;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let du = u32(d);
    let s = pu(${outShape}u + du);
    let c = i32(rem % s) - i32(pu(${before}u + du));
    rem = rem / s;
    if (c < 0 || c >= i32(pu(${inShape}u + du))) { inside = false; }
    else { off += u32(c) * pu(${inStrides}u + du); }
  }
  out[lin] = select(${get}(${valWord}u), x[off], inside);
}`,
    });
    return [out];
  },
};
