// Pooling and interpolation over dense NC(D)(H)W inputs lifted to 3 spatial dims (size-1 dims in
// front, window 1). Loops mirror the reference kernels (and PyTorch's cpu kernels) step by step so
// that window clipping, NaN handling, divisors and indices agree exactly. One chunk per block of
// (n, c) planes.
import { ai, ap } from './util';

/**
 * Slots: 0 planes, 1-3 input D,H,W, 4-6 output D,H,W, 7-9 kernel, 10-12 stride, 13-15 padding,
 * 16-18 dilation, 19 src, 20 values out, 21 indices out (int32), 22 planes per chunk.
 */
export function task_maxpool(args: usize, chunk: i32, tid: i32): void {
  const planes = ai(args, 0);
  const per = ai(args, 22);
  const p0 = chunk * per;
  const p1 = min(planes, p0 + per);
  const ID = ai(args, 1), IH = ai(args, 2), IW = ai(args, 3);
  const OD = ai(args, 4), OH = ai(args, 5), OW = ai(args, 6);
  const kD = ai(args, 7), kH = ai(args, 8), kW = ai(args, 9);
  const sD = ai(args, 10), sH = ai(args, 11), sW = ai(args, 12);
  const pD = ai(args, 13), pH = ai(args, 14), pW = ai(args, 15);
  const dD = ai(args, 16), dH = ai(args, 17), dW = ai(args, 18);
  const src = ap(args, 19);
  const ov = ap(args, 20);
  const oi = ap(args, 21);
  const inVol = <usize>ID * IH * IW;
  const outVol = <usize>OD * OH * OW;
  for (let p = p0; p < p1; p++) {
    const base = src + ((<usize>p * inVol) << 2);
    for (let od = 0; od < OD; od++) {
      let d0 = od * sD - pD;
      const d1 = min(d0 + (kD - 1) * dD + 1, ID);
      while (d0 < 0) d0 += dD;
      for (let oh = 0; oh < OH; oh++) {
        let h0 = oh * sH - pH;
        const h1 = min(h0 + (kH - 1) * dH + 1, IH);
        while (h0 < 0) h0 += dH;
        for (let ow = 0; ow < OW; ow++) {
          let w0 = ow * sW - pW;
          const w1 = min(w0 + (kW - 1) * dW + 1, IW);
          while (w0 < 0) w0 += dW;
          let maxIndex = (d0 * IH + h0) * IW + w0;
          let maxVal: f32 = -Infinity;
          for (let d = d0; d < d1; d += dD) {
            for (let h = h0; h < h1; h += dH) {
              for (let w = w0; w < w1; w += dW) {
                const index = (d * IH + h) * IW + w;
                const v = load<f32>(base + (<usize>index << 2));
                if (v > maxVal || v != v) {
                  maxVal = v;
                  maxIndex = index;
                }
              }
            }
          }
          const o = <usize>p * outVol + <usize>((od * OH + oh) * OW + ow);
          store<f32>(ov + (o << 2), maxVal);
          store<i32>(oi + (o << 2), maxIndex);
        }
      }
    }
  }
}

/**
 * Slots: 0 planes, 1-3 input D,H,W, 4-6 output D,H,W, 7-9 kernel, 10-12 stride, 13-15 padding,
 * 16 countIncludePad, 17 divisorOverride (0: none), 18 src, 19 out, 20 planes per chunk.
 */
export function task_avgpool(args: usize, chunk: i32, tid: i32): void {
  const planes = ai(args, 0);
  const per = ai(args, 20);
  const p0 = chunk * per;
  const p1 = min(planes, p0 + per);
  const ID = ai(args, 1), IH = ai(args, 2), IW = ai(args, 3);
  const OD = ai(args, 4), OH = ai(args, 5), OW = ai(args, 6);
  const kD = ai(args, 7), kH = ai(args, 8), kW = ai(args, 9);
  const sD = ai(args, 10), sH = ai(args, 11), sW = ai(args, 12);
  const pD = ai(args, 13), pH = ai(args, 14), pW = ai(args, 15);
  const includePad = ai(args, 16) != 0;
  const divOverride = ai(args, 17);
  const src = ap(args, 18);
  const out = ap(args, 19);
  const inVol = <usize>ID * IH * IW;
  const outVol = <usize>OD * OH * OW;
  for (let p = p0; p < p1; p++) {
    const base = src + ((<usize>p * inVol) << 2);
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let d0 = od * sD - pD;
          let h0 = oh * sH - pH;
          let w0 = ow * sW - pW;
          let d1 = min(d0 + kD, ID + pD);
          let h1 = min(h0 + kH, IH + pH);
          let w1 = min(w0 + kW, IW + pW);
          const padded = (d1 - d0) * (h1 - h0) * (w1 - w0);
          d0 = max(d0, 0);
          h0 = max(h0, 0);
          w0 = max(w0, 0);
          d1 = min(d1, ID);
          h1 = min(h1, IH);
          w1 = min(w1, IW);
          const o = (<usize>p * outVol + <usize>((od * OH + oh) * OW + ow)) << 2;
          if (d0 >= d1 || h0 >= h1 || w0 >= w1) {
            store<f32>(out + o, 0);
            continue;
          }
          let sum: f64 = 0;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              let q = base + (<usize>((d * IH + h) * IW + w0) << 2);
              for (let w = w0; w < w1; w++) {
                sum += <f64>load<f32>(q);
                q += 4;
              }
            }
          }
          const divisor = divOverride != 0 ? divOverride : includePad ? padded : (d1 - d0) * (h1 - h0) * (w1 - w0);
          store<f32>(out + o, <f32>(sum / <f64>divisor));
        }
      }
    }
  }
}

/**
 * Separable resampling from per-dim tap tables (computed on the host exactly as the reference
 * does). Slots: 0 planes, 1-3 input D,H,W, 4-6 output D,H,W, 7-9 taps per output position for
 * D,H,W, 10-12 index tables* (int32), 13-15 weight tables* (f64), 16 src, 17 out, 18 planes per chunk.
 */
export function task_interpolate(args: usize, chunk: i32, tid: i32): void {
  const planes = ai(args, 0);
  const per = ai(args, 18);
  const p0 = chunk * per;
  const p1 = min(planes, p0 + per);
  const ID = ai(args, 1), IH = ai(args, 2), IW = ai(args, 3);
  const OD = ai(args, 4), OH = ai(args, 5), OW = ai(args, 6);
  const tD = ai(args, 7), tH = ai(args, 8), tW = ai(args, 9);
  const iD = ap(args, 10), iH = ap(args, 11), iW = ap(args, 12);
  const wD = ap(args, 13), wH = ap(args, 14), wW = ap(args, 15);
  const src = ap(args, 16);
  const out = ap(args, 17);
  const inVol = <usize>ID * IH * IW;
  const outVol = <usize>OD * OH * OW;
  for (let p = p0; p < p1; p++) {
    const base = src + ((<usize>p * inVol) << 2);
    let o = out + ((<usize>p * outVol) << 2);
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc: f64 = 0;
          for (let td = 0; td < tD; td++) {
            const kd = od * tD + td;
            const d = load<i32>(iD + (<usize>kd << 2));
            const vd = load<f64>(wD + (<usize>kd << 3));
            for (let th = 0; th < tH; th++) {
              const kh = oh * tH + th;
              const h = load<i32>(iH + (<usize>kh << 2));
              const vh = load<f64>(wH + (<usize>kh << 3));
              for (let tw = 0; tw < tW; tw++) {
                const kw = ow * tW + tw;
                const w = load<i32>(iW + (<usize>kw << 2));
                const vw = load<f64>(wW + (<usize>kw << 3));
                acc += vd * vh * vw * <f64>load<f32>(base + (<usize>((d * IH + h) * IW + w) << 2));
              }
            }
          }
          store<f32>(o, <f32>acc);
          o += 4;
        }
      }
    }
  }
}
