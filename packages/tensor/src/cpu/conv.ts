/**
 * Reference cpu kernels for `conv` and `convTranspose`. One kernel per op serves 1 to 3 spatial
 * dims: shapes are lifted to 3 spatial dims by prepending size-1 dims (kernel 1, stride 1, no
 * padding, dilation 1), which changes nothing, so the loops below are written once. Inputs are
 * read to contiguous float64 first (they may be strided) and sums run in float64.
 * @module
 */
import type { Kernel, OutputSpec, TensorView } from '../backend.js';
import type { ConvAttrs, ConvTransposeAttrs } from '../ops/conv.js';
import { alloc, readF64 } from './util.js';

/** Spatial geometry lifted to exactly 3 dims. */
interface Geometry3 {
  /** Input spatial sizes. */
  inSize: number[];
  /** Kernel sizes. */
  kSize: number[];
  /** Output spatial sizes. */
  outSize: number[];
  /** Strides. */
  stride: number[];
  /** Padding before each dim. */
  padBefore: number[];
  /** Dilations. */
  dilation: number[];
}

/** Prepends `fill` to `v` until it has 3 entries. */
function lift(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

function geometry(x: TensorView, w: TensorView, out: OutputSpec, a: { stride: number[]; padding: number[]; dilation: number[] }): Geometry3 {
  const n = x.shape.length - 2;
  return {
    inSize: lift(x.shape.slice(2), 1),
    kSize: lift(w.shape.slice(2), 1),
    outSize: lift(out.shape.slice(2), 1),
    stride: lift(a.stride, 1),
    padBefore: lift(a.padding.slice(0, n), 0),
    dilation: lift(a.dilation, 1),
  };
}

/**
 * `out[n, co, o] = bias[co] + Σ_{ci in co's group, k} x[n, ci, o·stride - padBefore + k·dilation] · w[co, ci, k]`,
 * positions outside the input reading as zero.
 */
const conv: Kernel = (inputs, attrs: ConvAttrs, outputs) => {
  const [xv, wv, bv] = inputs as [TensorView, TensorView, TensorView?];
  const spec = outputs[0]!;
  const x = readF64(xv);
  const w = readF64(wv);
  const bias = bv ? readF64(bv) : null;
  const g = geometry(xv, wv, spec, attrs);
  const [ID, IH, IW] = g.inSize as [number, number, number];
  const [KD, KH, KW] = g.kSize as [number, number, number];
  const [OD, OH, OW] = g.outSize as [number, number, number];
  const [sD, sH, sW] = g.stride as [number, number, number];
  const [pD, pH, pW] = g.padBefore as [number, number, number];
  const [dD, dH, dW] = g.dilation as [number, number, number];
  const N = xv.shape[0]!;
  const Cin = xv.shape[1]!;
  const Cout = spec.shape[1]!;
  const cinG = Cin / attrs.groups;
  const coutG = Cout / attrs.groups;
  const inVol = ID * IH * IW;
  const kVol = KD * KH * KW;
  const outVol = OD * OH * OW;
  const out = alloc(spec); // float32, or float64 under the cpu64 oracle
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      const c0 = Math.floor(co / coutG) * cinG; // first input channel of this output channel's group
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let acc = bias ? bias[co]! : 0;
            for (let ci = 0; ci < cinG; ci++) {
              const xBase = (n * Cin + c0 + ci) * inVol;
              const wBase = (co * cinG + ci) * kVol;
              for (let kd = 0; kd < KD; kd++) {
                const id = od * sD - pD + kd * dD;
                if (id < 0 || id >= ID) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * sH - pH + kh * dH;
                  if (ih < 0 || ih >= IH) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * sW - pW + kw * dW;
                    if (iw < 0 || iw >= IW) continue;
                    acc += x[xBase + (id * IH + ih) * IW + iw]! * w[wBase + (kd * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
            out[(n * Cout + co) * outVol + (od * OH + oh) * OW + ow] = acc;
          }
        }
      }
    }
  }
  return [out];
};

/**
 * The adjoint of `conv` with the same attributes, written as a scatter: every input element
 * `x[n, ci, i]` adds `x · w[ci, co, k]` to `out[n, co, i·stride - padBefore + k·dilation]`;
 * positions that fall outside the output are dropped (that is what the padding crops).
 */
const convTranspose: Kernel = (inputs, attrs: ConvTransposeAttrs, outputs) => {
  const [xv, wv, bv] = inputs as [TensorView, TensorView, TensorView?];
  const spec = outputs[0]!;
  const x = readF64(xv);
  const w = readF64(wv);
  const bias = bv ? readF64(bv) : null;
  const g = geometry(xv, wv, spec, attrs);
  const [ID, IH, IW] = g.inSize as [number, number, number];
  const [KD, KH, KW] = g.kSize as [number, number, number];
  const [OD, OH, OW] = g.outSize as [number, number, number];
  const [sD, sH, sW] = g.stride as [number, number, number];
  const [pD, pH, pW] = g.padBefore as [number, number, number];
  const [dD, dH, dW] = g.dilation as [number, number, number];
  const N = xv.shape[0]!;
  const Cin = xv.shape[1]!;
  const Cout = spec.shape[1]!;
  const cinG = Cin / attrs.groups;
  const coutG = Cout / attrs.groups;
  const inVol = ID * IH * IW;
  const kVol = KD * KH * KW;
  const outVol = OD * OH * OW;
  const acc = new Float64Array(N * Cout * outVol);
  for (let n = 0; n < N; n++) {
    for (let ci = 0; ci < Cin; ci++) {
      const co0 = Math.floor(ci / cinG) * coutG; // first output channel of this input channel's group
      for (let id = 0; id < ID; id++) {
        for (let ih = 0; ih < IH; ih++) {
          for (let iw = 0; iw < IW; iw++) {
            const v = x[(n * Cin + ci) * inVol + (id * IH + ih) * IW + iw]!;
            for (let c = 0; c < coutG; c++) {
              const outBase = (n * Cout + co0 + c) * outVol;
              const wBase = (ci * coutG + c) * kVol;
              for (let kd = 0; kd < KD; kd++) {
                const od = id * sD - pD + kd * dD;
                if (od < 0 || od >= OD) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const oh = ih * sH - pH + kh * dH;
                  if (oh < 0 || oh >= OH) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const ow = iw * sW - pW + kw * dW;
                    if (ow < 0 || ow >= OW) continue;
                    acc[outBase + (od * OH + oh) * OW + ow]! += v * w[wBase + (kd * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  const out = alloc(spec);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      const b = bias ? bias[co]! : 0;
      for (let o = 0; o < outVol; o++) {
        const i = (n * Cout + co) * outVol + o;
        out[i] = acc[i]! + b;
      }
    }
  }
  return [out];
};

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = { conv, convTranspose };
