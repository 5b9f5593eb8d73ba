/**
 * `maxPool` (values and int32 indices: two outputs) and `avgPool` over 1 to 3 spatial dims
 * (lifted to 3), following PyTorch's window rules step by step as the reference does: the
 * window start skipped forward by whole dilation steps until inside, NaN always winning the max,
 * ceil-mode windows clipped, and the three avgPool divisors.
 *
 * Tiling: one invocation per output element, reading the input through its strides; windows
 * are small, so there is nothing to share between neighbouring outputs worth a tile.
 * @module
 */
import type { AvgPoolAttrs, Kernel, MaxPoolAttrs, TensorView } from '@tessera/tensor';
import { sizeOf } from '@tessera/tensor';
import { current } from '../state.js';
import { Params, buf, entry, header, outBuffer, WG } from './common.js';
import { lift3, lift5Strides } from './spatial.js';

const NAMES = ['ID', 'IH', 'IW', 'OD', 'OH', 'OW', 'KD', 'KH', 'KW', 'SD', 'SH', 'SW', 'PD', 'PH', 'PW', 'DD', 'DH', 'DW', 'XSN', 'XSC', 'XSD', 'XSH', 'XSW', 'XOFF', 'C'];

function geometry(p: Params, x: TensorView, outShape: readonly number[], a: { kernelSize: number[]; stride: number[]; padding: number[]; dilation?: number[] }): string {
  const at = p.us([
    ...lift3(x.shape.slice(2), 1),
    ...lift3(outShape.slice(2), 1),
    ...lift3(a.kernelSize, 1),
    ...lift3(a.stride, 1),
    ...lift3(a.padding, 0),
    ...lift3(a.dilation ?? [], 1),
    ...lift5Strides(x),
    x.offset,
    x.shape[1]!,
  ]);
  return NAMES.map((n, i) => `  let ${n} = i32(pu(${at + i}u));`).join('\n');
}

const DECODE = `  var rem = i32(lin);
  let ow = rem % OW; rem = rem / OW;
  let oh = rem % OH; rem = rem / OH;
  let od = rem % OD; rem = rem / OD;
  let c = rem % C; rem = rem / C;
  let n = rem;
  let base = XOFF + n * XSN + c * XSC;`;

/** Pooling kernels by op name. */
export const kernels: Record<string, Kernel> = {
  maxPool: ([xv], a: MaxPoolAttrs, [vSpec, iSpec]) => {
    const ctx = current();
    const x = xv as TensorView;
    const values = outBuffer(ctx, vSpec!);
    const indices = outBuffer(ctx, iSpec!);
    const p = new Params();
    const geo = geometry(p, x, vSpec!.shape, a);
    const total = sizeOf(vSpec!.shape);
    const nWord = p.u(total);
    ctx.launch({
      key: 'maxPool',
      reads: [buf(ctx, x)],
      writes: [values, indices],
      params: p,
      groups: ctx.grid(Math.ceil(total / WG)),
      code: () => `${header([{ name: 'X', type: 'f32' }], [{ name: 'vals', type: 'f32' }, { name: 'inds', type: 'i32' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${nWord}u)) { return; }
${geo}
${DECODE}
  var d0 = od * SD - PD;
  let d1 = min(d0 + (KD - 1) * DD + 1, ID);
  while (d0 < 0) { d0 += DD; }
  var h0 = oh * SH - PH;
  let h1 = min(h0 + (KH - 1) * DH + 1, IH);
  while (h0 < 0) { h0 += DH; }
  var w0 = ow * SW - PW;
  let w1 = min(w0 + (KW - 1) * DW + 1, IW);
  while (w0 < 0) { w0 += DW; }
  var best = -inf_f();
  var bi = (d0 * IH + h0) * IW + w0;
  for (var d = d0; d < d1; d += DD) {
    for (var h = h0; h < h1; h += DH) {
      for (var w = w0; w < w1; w += DW) {
        let v = X[u32(base + d * XSD + h * XSH + w * XSW)];
        if (v > best || isnan_f(v)) { best = v; bi = (d * IH + h) * IW + w; }
      }
    }
  }
  vals[lin] = best;
  inds[lin] = bi;
}`,
    });
    return [values, indices];
  },

  avgPool: ([xv], a: AvgPoolAttrs, [spec]) => {
    const ctx = current();
    const x = xv as TensorView;
    const out = outBuffer(ctx, spec!);
    const p = new Params();
    const geo = geometry(p, x, spec!.shape, a);
    const total = sizeOf(spec!.shape);
    const nWord = p.u(total);
    const mode = p.us([a.countIncludePad ? 1 : 0, a.divisorOverride === undefined ? 0 : 1, a.divisorOverride ?? 0]);
    ctx.launch({
      key: 'avgPool',
      reads: [buf(ctx, x)],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(total / WG)),
      code: () => `${header([{ name: 'X', type: 'f32' }], [{ name: 'out', type: 'f32' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${nWord}u)) { return; }
${geo}
${DECODE}
  var d0 = od * SD - PD;
  var h0 = oh * SH - PH;
  var w0 = ow * SW - PW;
  var d1 = min(d0 + KD, ID + PD);
  var h1 = min(h0 + KH, IH + PH);
  var w1 = min(w0 + KW, IW + PW);
  let padded = (d1 - d0) * (h1 - h0) * (w1 - w0);
  d0 = max(d0, 0); h0 = max(h0, 0); w0 = max(w0, 0);
  d1 = min(d1, ID); h1 = min(h1, IH); w1 = min(w1, IW);
  if (d0 >= d1 || h0 >= h1 || w0 >= w1) { out[lin] = 0.0; return; }
  var sum = 0.0;
  for (var d = d0; d < d1; d++) {
    for (var h = h0; h < h1; h++) {
      for (var w = w0; w < w1; w++) { sum += X[u32(base + d * XSD + h * XSH + w * XSW)]; }
    }
  }
  var divisor = select((d1 - d0) * (h1 - h0) * (w1 - w0), padded, pu(${mode}u) != 0u);
  if (pu(${mode + 1}u) != 0u) { divisor = pi(${mode + 2}u); }
  out[lin] = sum / f32(divisor);
}`,
    });
    return [out];
  },
};
