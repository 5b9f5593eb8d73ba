/**
 * Reference cpu kernel for `interpolate`. Resampling is separable: for each spatial dim a table
 * gives every output position its source taps (one for the nearest modes, two for the linear
 * ones) and their weights; the output is the sum over the product of the dims' taps. Shapes are
 * lifted to 3 spatial dims by prepending dims of size 1 with one tap of weight 1.
 *
 * Source positions follow PyTorch's `UpSample.h` step by step, in float32 as PyTorch computes
 * them (`Math.fround`), because `floor` of a position decides which element nearest picks; the
 * weighted sums then run in float64.
 * @module
 */
import type { Kernel, TensorView } from '../backend.js';
import type { InterpolateAttrs } from '../ops/interpolate.js';
import { alloc, readF64 } from './util.js';
import { type InterpolationTaps as Taps, linearTaps, nearestTaps } from '../ops/interpolate-taps.js';

/** The trivial table of a lifted size-1 dim. */
const ONE: Taps = { taps: 1, index: new Int32Array(1), weight: new Float64Array([1]) };

const interpolate: Kernel = (inputs, a: InterpolateAttrs, outputs) => {
  const xv = inputs[0] as TensorView;
  const x = readF64(xv);
  const n = xv.shape.length - 2;
  const nearest = a.mode === 'nearest' || a.mode === 'nearest-exact';
  const tables: Taps[] = xv.shape.slice(2).map((inSize, i) => {
    const outSize = a.size[i]!;
    const scale = a.scale?.[i];
    return nearest ? nearestTaps(inSize, outSize, scale, a.mode === 'nearest-exact') : linearTaps(inSize, outSize, scale, a.alignCorners);
  });
  const [tD, tH, tW] = [...new Array<Taps>(3 - n).fill(ONE), ...tables] as [Taps, Taps, Taps];
  const [ID, IH, IW] = [...new Array<number>(3 - n).fill(1), ...xv.shape.slice(2)] as [number, number, number];
  const [OD, OH, OW] = [...new Array<number>(3 - n).fill(1), ...a.size] as [number, number, number];
  const planes = xv.shape[0]! * xv.shape[1]!;
  const inVol = ID * IH * IW;
  const outVol = OD * OH * OW;
  const out = alloc(outputs[0]!); // float32, or float64 under the cpu64 oracle
  for (let p = 0; p < planes; p++) {
    const base = p * inVol;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0;
          for (let td = 0; td < tD.taps; td++) {
            const d = tD.index[od * tD.taps + td]!;
            const wd = tD.weight[od * tD.taps + td]!;
            for (let th = 0; th < tH.taps; th++) {
              const h = tH.index[oh * tH.taps + th]!;
              const wh = tH.weight[oh * tH.taps + th]!;
              for (let tw = 0; tw < tW.taps; tw++) {
                const w = tW.index[ow * tW.taps + tw]!;
                const ww = tW.weight[ow * tW.taps + tw]!;
                acc += wd * wh * ww * x[base + (d * IH + h) * IW + w]!;
              }
            }
          }
          out[p * outVol + (od * OH + oh) * OW + ow] = acc;
        }
      }
    }
  }
  return [out];
};

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = { interpolate };
