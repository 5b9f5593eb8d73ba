// Convolutions as GEMMs on the shared micro-kernel (gemm.ts), over dense NC(D)(H)W inputs lifted
// to 3 spatial dims.
//
// conv (im2col): for batch n and group g, out[g] (CoutG × outVol) = W[g] (CoutG × CinG·kVol) ·
// cols (CinG·kVol × outVol). The columns are built one NCOL-wide block of output positions at a
// time into the thread's workspace (after the GEMM packing buffers), so memory stays bounded
// whatever the image size; a chunk is one (n, g, column block). A 1×1, stride-1, unpadded conv reads
// the input directly as the B operand.
//
// convTranspose (the adjoint, col2im): cols (CoutG·kVol × inVol) = W[g]ᵀ · x[g], then every column
// entry is added to the output position it maps to. Wᵀ is read through strides (no copy). A chunk
// is one (n, g, block of CB output channels); its scatter touches only its own channels, so chunks
// never write the same element and the summation order is fixed.
import { ai, ap, scratch, workspace, imin, imax } from './util';
import { sgemm, GEMM_WS } from './gemm';

/**
 * Slots: 0 N, 1 Cin, 2 Cout, 3 groups, 4-6 input D,H,W, 7-9 kernel, 10-12 output, 13-15 stride,
 * 16-18 padding before, 19-21 dilation, 22 x, 23 w, 24 bias (0: none), 25 out, 26 NCOL,
 * 27 column blocks per (n, g), 28 direct (1×1 fast path).
 */
export function task_conv(args: usize, chunk: i32, tid: i32): void {
  const Cin = ai(args, 1), Cout = ai(args, 2), G = ai(args, 3);
  const ID = ai(args, 4), IH = ai(args, 5), IW = ai(args, 6);
  const KD = ai(args, 7), KH = ai(args, 8), KW = ai(args, 9);
  const OD = ai(args, 10), OH = ai(args, 11), OW = ai(args, 12);
  const sD = ai(args, 13), sH = ai(args, 14), sW = ai(args, 15);
  const pD = ai(args, 16), pH = ai(args, 17), pW = ai(args, 18);
  const dD = ai(args, 19), dH = ai(args, 20), dW = ai(args, 21);
  const x = ap(args, 22), w = ap(args, 23), bias = ap(args, 24), out = ap(args, 25);
  const ncol = ai(args, 26);
  const nblk = ai(args, 27);
  const direct = ai(args, 28) != 0;
  const blk = chunk % nblk;
  const ng = chunk / nblk;
  const n = ng / G;
  const g = ng % G;
  const cinG = Cin / G;
  const coutG = Cout / G;
  const inVol = ID * IH * IW;
  const outVol = OD * OH * OW;
  const kVol = KD * KH * KW;
  const K = cinG * kVol;
  const c0 = blk * ncol;
  const nc = imin(ncol, outVol - c0);
  const ws = workspace(tid);
  const xg = x + (<usize>(n * Cin + g * cinG) * <usize>inVol << 2);
  let b: usize;
  let rsB: i32;
  if (direct) {
    b = xg + (<usize>c0 << 2);
    rsB = inVol;
  } else {
    b = ws + GEMM_WS;
    rsB = nc;
    // im2col for output positions [c0, c0 + nc): row (ci, kd, kh, kw), column o. Each row is
    // written one output row (fixed od, oh) at a time: a run along ow that, at stride 1, is a
    // contiguous piece of an input row with zeros where it overhangs the padding.
    let row = b;
    for (let ci = 0; ci < cinG; ci++) {
      const xc = xg + (<usize>(ci * inVol) << 2);
      for (let kd = 0; kd < KD; kd++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            let dst = row;
            let pos = c0;
            let left = nc;
            while (left > 0) {
              const ow = pos % OW;
              const oh = (pos / OW) % OH;
              const od = pos / (OW * OH);
              const seg = imin(OW - ow, left);
              const id = od * sD - pD + kd * dD;
              const ih = oh * sH - pH + kh * dH;
              if (<u32>id >= <u32>ID || <u32>ih >= <u32>IH) {
                memory.fill(dst, 0, <usize>seg << 2);
              } else {
                const src = xc + (<usize>((id * IH + ih) * IW) << 2);
                const iw0 = ow * sW - pW + kw * dW;
                if (sW == 1) {
                  const t0 = imin(seg, imax(0, -iw0));
                  const t1 = imax(t0, imin(seg, IW - iw0));
                  if (t0 > 0) memory.fill(dst, 0, <usize>t0 << 2);
                  if (t1 > t0) memory.copy(dst + (<usize>t0 << 2), src + (<usize>(iw0 + t0) << 2), <usize>(t1 - t0) << 2);
                  if (seg > t1) memory.fill(dst + (<usize>t1 << 2), 0, <usize>(seg - t1) << 2);
                } else {
                  for (let t = 0; t < seg; t++) {
                    const iw = iw0 + t * sW;
                    store<f32>(dst + (<usize>t << 2), <u32>iw < <u32>IW ? load<f32>(src + (<usize>iw << 2)) : 0);
                  }
                }
              }
              dst += <usize>seg << 2;
              pos += seg;
              left -= seg;
            }
            row += <usize>nc << 2;
          }
        }
      }
    }
  }
  const c = out + ((<usize>(n * Cout + g * coutG) * <usize>outVol + <usize>c0) << 2);
  sgemm(coutG, nc, K, w + (<usize>(g * coutG) * <usize>K << 2), K, 1, b, rsB, 1, c, outVol, false, ws, scratch(tid));
  if (bias) {
    for (let co = 0; co < coutG; co++) {
      const bv = f32x4.splat(load<f32>(bias + (<usize>(g * coutG + co) << 2)));
      const r = c + (<usize>co * <usize>outVol << 2);
      let j = 0;
      for (; j + 4 <= nc; j += 4) v128.store(r + (<usize>j << 2), f32x4.add(v128.load(r + (<usize>j << 2)), bv));
      for (; j < nc; j++) store<f32>(r + (<usize>j << 2), load<f32>(r + (<usize>j << 2)) + f32x4.extract_lane(bv, 0));
    }
  }
}

/**
 * Slots as task_conv for 0-25 (input = x, output = out), then 26 CB (output channels per chunk),
 * 27 channel blocks per (n, g), 28 NCOL (input positions per GEMM).
 */
export function task_conv_transpose(args: usize, chunk: i32, tid: i32): void {
  const Cin = ai(args, 1), Cout = ai(args, 2), G = ai(args, 3);
  const ID = ai(args, 4), IH = ai(args, 5), IW = ai(args, 6);
  const KD = ai(args, 7), KH = ai(args, 8), KW = ai(args, 9);
  const OD = ai(args, 10), OH = ai(args, 11), OW = ai(args, 12);
  const sD = ai(args, 13), sH = ai(args, 14), sW = ai(args, 15);
  const pD = ai(args, 16), pH = ai(args, 17), pW = ai(args, 18);
  const dD = ai(args, 19), dH = ai(args, 20), dW = ai(args, 21);
  const x = ap(args, 22), w = ap(args, 23), bias = ap(args, 24), out = ap(args, 25);
  const CB = ai(args, 26);
  const nblk = ai(args, 27);
  const ncol = ai(args, 28);
  const blk = chunk % nblk;
  const ng = chunk / nblk;
  const n = ng / G;
  const g = ng % G;
  const cinG = Cin / G;
  const coutG = Cout / G;
  const inVol = ID * IH * IW;
  const outVol = OD * OH * OW;
  const kVol = KD * KH * KW;
  const co0 = blk * CB;
  const cb = imin(CB, coutG - co0);
  const rows = cb * kVol;
  const ws = workspace(tid);
  const cols = ws + GEMM_WS;
  const outBase = out + (<usize>(n * Cout + g * coutG + co0) * <usize>outVol << 2);
  memory.fill(outBase, 0, <usize>cb * <usize>outVol << 2);
  // A = W[g]ᵀ rows co0·kVol .. : element (r, ci) at w[(g·CinG + ci)·CoutG·kVol + co0·kVol + r].
  const a = w + (<usize>((g * cinG) * coutG * kVol + co0 * kVol) << 2);
  const xg = x + (<usize>(n * Cin + g * cinG) * <usize>inVol << 2);
  for (let i0 = 0; i0 < inVol; i0 += ncol) {
    const nc = imin(ncol, inVol - i0);
    sgemm(rows, nc, cinG, a, 1, coutG * kVol, xg + (<usize>i0 << 2), inVol, 1, cols, nc, false, ws, scratch(tid));
    for (let r = 0; r < rows; r++) {
      const co = r / kVol;
      const k = r % kVol;
      const kw = k % KW;
      const kh = (k / KW) % KH;
      const kd = k / (KW * KH);
      const ob = outBase + (<usize>co * <usize>outVol << 2);
      // scatter-add one input row (fixed id, ih) at a time: its outputs lie on one output row
      let src = cols + (<usize>r * <usize>nc << 2);
      let pos = i0;
      let left = nc;
      while (left > 0) {
        const iw0 = pos % IW;
        const ih = (pos / IW) % IH;
        const id = pos / (IW * IH);
        const seg = imin(IW - iw0, left);
        const od = id * sD - pD + kd * dD;
        const oh = ih * sH - pH + kh * dH;
        if (<u32>od < <u32>OD && <u32>oh < <u32>OH) {
          const orow = ob + (<usize>((od * OH + oh) * OW) << 2);
          const ow0 = iw0 * sW - pW + kw * dW;
          if (sW == 1) {
            // outputs ow0 + t for t in [t0, t1) are inside the row
            const t0 = imin(seg, imax(0, -ow0));
            const t1 = imax(t0, imin(seg, OW - ow0));
            let t = t0;
            for (; t + 4 <= t1; t += 4) {
              const q = orow + (<usize>(ow0 + t) << 2);
              v128.store(q, f32x4.add(v128.load(q), v128.load(src + (<usize>t << 2))));
            }
            for (; t < t1; t++) {
              const q = orow + (<usize>(ow0 + t) << 2);
              store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>t << 2)));
            }
          } else {
            for (let t = 0; t < seg; t++) {
              const ow = ow0 + t * sW;
              if (<u32>ow < <u32>OW) {
                const q = orow + (<usize>ow << 2);
                store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>t << 2)));
              }
            }
          }
        }
        src += <usize>seg << 2;
        pos += seg;
        left -= seg;
      }
    }
  }
  if (bias) {
    for (let co = 0; co < cb; co++) {
      const bv = load<f32>(bias + (<usize>(g * coutG + co0 + co) << 2));
      const r = outBase + (<usize>co * <usize>outVol << 2);
      for (let j = 0; j < outVol; j++) store<f32>(r + (<usize>j << 2), load<f32>(r + (<usize>j << 2)) + bv);
    }
  }
}
