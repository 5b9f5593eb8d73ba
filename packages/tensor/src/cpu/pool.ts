/**
 * Reference cpu kernels for `maxPool` and `avgPool`. One kernel per op serves 1 to 3 spatial dims:
 * shapes are lifted to 3 spatial dims by prepending size-1 dims (window 1, stride 1, no padding),
 * which changes neither the values nor the flat indices. The loops follow PyTorch's cpu kernels
 * step by step (window clipping, NaN handling, divisors) so that edge cases agree too.
 * @module
 */
import type { Kernel, TensorView } from '../backend.js';
import type { AvgPoolAttrs, MaxPoolAttrs } from '../ops/pool.js';
import { alloc, readF64 } from './util.js';

/** Prepends `fill` to `v` until it has 3 entries. */
function lift(v: readonly number[], fill: number): [number, number, number] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v] as [number, number, number];
}

/**
 * For each output: the window's in-bounds positions (the first skipped forward by whole dilation
 * steps until inside, as PyTorch does); the maximum, where a NaN always wins (the last NaN seen);
 * its flat index within the (n, c) input volume. An empty window gives -inf at its first position.
 */
const maxPool: Kernel = (inputs, a: MaxPoolAttrs, outputs) => {
  const xv = inputs[0] as TensorView;
  const x = readF64(xv);
  const [ID, IH, IW] = lift(xv.shape.slice(2), 1);
  const [OD, OH, OW] = lift(outputs[0]!.shape.slice(2), 1);
  const [kD, kH, kW] = lift(a.kernelSize, 1);
  const [sD, sH, sW] = lift(a.stride, 1);
  const [pD, pH, pW] = lift(a.padding, 0);
  const [dD, dH, dW] = lift(a.dilation, 1);
  const planes = xv.shape[0]! * xv.shape[1]!;
  const inVol = ID * IH * IW;
  const outVol = OD * OH * OW;
  const values = alloc(outputs[0]!); // float32, or float64 under the cpu64 oracle
  const indices = alloc(outputs[1]!);
  for (let p = 0; p < planes; p++) {
    const base = p * inVol;
    for (let od = 0; od < OD; od++) {
      let d0 = od * sD - pD;
      const d1 = Math.min(d0 + (kD - 1) * dD + 1, ID);
      while (d0 < 0) d0 += dD;
      for (let oh = 0; oh < OH; oh++) {
        let h0 = oh * sH - pH;
        const h1 = Math.min(h0 + (kH - 1) * dH + 1, IH);
        while (h0 < 0) h0 += dH;
        for (let ow = 0; ow < OW; ow++) {
          let w0 = ow * sW - pW;
          const w1 = Math.min(w0 + (kW - 1) * dW + 1, IW);
          while (w0 < 0) w0 += dW;
          let maxIndex = (d0 * IH + h0) * IW + w0;
          let maxVal = -Infinity;
          for (let d = d0; d < d1; d += dD) {
            for (let h = h0; h < h1; h += dH) {
              for (let w = w0; w < w1; w += dW) {
                const index = (d * IH + h) * IW + w;
                const v = x[base + index]!;
                if (v > maxVal || Number.isNaN(v)) {
                  maxVal = v;
                  maxIndex = index;
                }
              }
            }
          }
          const o = p * outVol + (od * OH + oh) * OW + ow;
          values[o] = maxVal;
          indices[o] = maxIndex;
        }
      }
    }
  }
  return [values, indices];
};

/**
 * For each output: the mean of the window's in-bounds elements. The divisor is
 * `divisorOverride` if given, else the window size clipped to the padded input when
 * `countIncludePad` (so a ceil-mode window hanging past the right padding counts less), else the
 * number of in-bounds elements. A window with no in-bounds element gives 0.
 */
const avgPool: Kernel = (inputs, a: AvgPoolAttrs, outputs) => {
  const xv = inputs[0] as TensorView;
  const x = readF64(xv);
  const [ID, IH, IW] = lift(xv.shape.slice(2), 1);
  const [OD, OH, OW] = lift(outputs[0]!.shape.slice(2), 1);
  const [kD, kH, kW] = lift(a.kernelSize, 1);
  const [sD, sH, sW] = lift(a.stride, 1);
  const [pD, pH, pW] = lift(a.padding, 0);
  const planes = xv.shape[0]! * xv.shape[1]!;
  const inVol = ID * IH * IW;
  const outVol = OD * OH * OW;
  const out = alloc(outputs[0]!);
  for (let p = 0; p < planes; p++) {
    const base = p * inVol;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          // The window clipped to the padded input, then to the input itself.
          let d0 = od * sD - pD;
          let h0 = oh * sH - pH;
          let w0 = ow * sW - pW;
          let d1 = Math.min(d0 + kD, ID + pD);
          let h1 = Math.min(h0 + kH, IH + pH);
          let w1 = Math.min(w0 + kW, IW + pW);
          const padded = (d1 - d0) * (h1 - h0) * (w1 - w0);
          d0 = Math.max(d0, 0);
          h0 = Math.max(h0, 0);
          w0 = Math.max(w0, 0);
          d1 = Math.min(d1, ID);
          h1 = Math.min(h1, IH);
          w1 = Math.min(w1, IW);
          const o = p * outVol + (od * OH + oh) * OW + ow;
          if (d0 >= d1 || h0 >= h1 || w0 >= w1) {
            out[o] = 0;
            continue;
          }
          let sum = 0;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) sum += x[base + (d * IH + h) * IW + w]!;
            }
          }
          const divisor = a.divisorOverride ?? (a.countIncludePad ? padded : (d1 - d0) * (h1 - h0) * (w1 - w0));
          out[o] = sum / divisor;
        }
      }
    }
  }
  return [out];
};

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = { maxPool, avgPool };
