/**
 * `interpolate`: nearest, nearest-exact, linear, bilinear, trilinear, both `alignCorners`
 * conventions, over 1 to 3 spatial dims (lifted to 3).
 *
 * Which source elements an output reads, and with which weights, is decided by float32
 * arithmetic whose exact rounding matters (`floor` of a position picks the nearest element), and
 * a shader compiler may fuse or reorder it. So the tap tables — per spatial dim, for each
 * output position, 1 or 2 source indices and weights — are computed on the host exactly as the
 * reference computes them (PyTorch's `UpSample.h`) and uploaded with the dispatch (a few KB).
 *
 * Tiling: one invocation per output element, summing the product of its dims' taps.
 * @module
 */
import type { InterpolateAttrs, Kernel, TensorView } from '@tessera/tensor';
import { sizeOf } from '@tessera/tensor';
import { current } from '../state.js';
import { Params, buf, entry, header, outBuffer, WG } from './common.js';
import { lift3, lift5Strides } from './spatial.js';

const f32 = Math.fround;

/** Source taps of one dim: `taps` per output position; index and weight of tap t of output o at o*taps+t. */
interface Taps {
  taps: number;
  index: number[];
  weight: number[];
}

function scalesValue(scale: number | undefined, inSize: number, outSize: number): number {
  return scale !== undefined && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
}

function nearestTaps(inSize: number, outSize: number, scale: number | undefined, exact: boolean): Taps {
  const s = scalesValue(scale, inSize, outSize);
  const index: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const src = exact ? f32((o + 0.5) * s) : f32(o * s);
    index.push(Math.min(Math.floor(src), inSize - 1));
  }
  return { taps: 1, index, weight: index.map(() => 1) };
}

function linearTaps(inSize: number, outSize: number, scale: number | undefined, alignCorners: boolean): Taps {
  const index: number[] = [];
  const weight: number[] = [];
  const ratio = alignCorners ? (outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0) : scalesValue(scale, inSize, outSize);
  for (let o = 0; o < outSize; o++) {
    let i0: number;
    let i1: number;
    let l1: number;
    if (outSize === inSize) {
      i0 = i1 = o;
      l1 = 0;
    } else {
      let src = alignCorners ? f32(ratio * o) : f32(f32(ratio * (o + 0.5)) - 0.5);
      if (!alignCorners && src < 0) src = 0;
      i0 = Math.min(Math.trunc(src), inSize - 1);
      i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      l1 = Math.min(Math.max(f32(src - i0), 0), 1);
    }
    index.push(i0, i1);
    weight.push(f32(1 - l1), l1);
  }
  return { taps: 2, index, weight };
}

const ONE: Taps = { taps: 1, index: [0], weight: [1] };

/** Interpolation kernels by op name. */
export const kernels: Record<string, Kernel> = {
  interpolate: ([xv], a: InterpolateAttrs, [spec]) => {
    const ctx = current();
    const x = xv as TensorView;
    const out = outBuffer(ctx, spec!);
    const n = x.shape.length - 2;
    const nearest = a.mode === 'nearest' || a.mode === 'nearest-exact';
    const tables = x.shape.slice(2).map((inSize, i) =>
      nearest ? nearestTaps(inSize, a.size[i]!, a.scale?.[i], a.mode === 'nearest-exact') : linearTaps(inSize, a.size[i]!, a.scale?.[i], a.alignCorners),
    );
    const lifted = [...new Array<Taps>(3 - n).fill(ONE), ...tables];
    // One table buffer: per dim, index words then weight words.
    const words: number[] = [];
    const starts: number[] = [];
    const fbuf = new Float32Array(1);
    const ubuf = new Uint32Array(fbuf.buffer);
    for (const t of lifted) {
      starts.push(words.length);
      for (const i of t.index) words.push(i >>> 0);
      for (const w of t.weight) {
        fbuf[0] = w;
        words.push(ubuf[0]!);
      }
    }
    const table = ctx.upload(Uint32Array.from(words));
    const taps = nearest ? 1 : 2;
    const p = new Params();
    const total = sizeOf(spec!.shape);
    const nWord = p.u(total);
    const geo = p.us([...lift3(x.shape.slice(2), 1), ...lift3(a.size, 1), ...lift5Strides(x), x.offset, x.shape[1]!, ...starts, ...lifted.map((t) => t.taps)]);
    const names = ['ID', 'IH', 'IW', 'OD', 'OH', 'OW', 'XSN', 'XSC', 'XSD', 'XSH', 'XSW', 'XOFF', 'C', 'TD', 'TH', 'TW', 'ND', 'NH', 'NW'];
    ctx.launch({
      key: `interpolate|t${taps}`,
      reads: [buf(ctx, x), table],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(total / WG)),
      code: () => `${header([{ name: 'X', type: 'f32' }, { name: 'T', type: 'u32' }], [{ name: 'out', type: 'f32' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${nWord}u)) { return; }
${names.map((nm, i) => `  let ${nm} = pu(${geo + i}u);`).join('\n')}
  var rem = lin;
  let ow = rem % OW; rem = rem / OW;
  let oh = rem % OH; rem = rem / OH;
  let od = rem % OD; rem = rem / OD;
  let c = rem % C; rem = rem / C;
  let nn = rem;
  let base = XOFF + nn * XSN + c * XSC;
  var acc = 0.0;
  for (var td = 0u; td < ND; td++) {
    let d = T[TD + od * ND + td];
    let wd = bitcast<f32>(T[TD + OD * ND + od * ND + td]);
    for (var th = 0u; th < NH; th++) {
      let h = T[TH + oh * NH + th];
      let wh = bitcast<f32>(T[TH + OH * NH + oh * NH + th]);
      for (var tw = 0u; tw < NW; tw++) {
        let w = T[TW + ow * NW + tw];
        let ww = bitcast<f32>(T[TW + OW * NW + ow * NW + tw]);
        acc += wd * wh * ww * X[base + d * XSD + h * XSH + w * XSW];
      }
    }
  }
  out[lin] = acc;
}`,
    });
    ctx.pool.release(table);
    return [out];
  },
};
