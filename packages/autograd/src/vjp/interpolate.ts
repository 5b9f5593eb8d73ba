/**
 * VJP rule of `interpolate`. Resampling is separable and linear in the input: along each spatial
 * dim every output position reads one source element (nearest modes) or a weighted pair (linear
 * modes), with positions and weights that depend only on the sizes. So the adjoint, dim by dim:
 * nearest adds each gradient element back at its source index (scatterAdd); linear multiplies by
 * the transpose of the interpolation matrix M [out, in] (a matmul by M, built on the host).
 *
 * The source tables repeat PyTorch's `UpSample.h` (and the reference kernel) exactly, positions in
 * float32 (`Math.fround`): the floor of a position decides the tap, so the adjoint must take the
 * very same taps as the forward.
 * @module
 */
import { type Tensor, expand, matmul, reshape, scatterAdd, transpose } from '@tessera/tensor';
import { constOn, vjpFamily, zerosOn } from './util.js';

const vjp = vjpFamily('interpolate');

type Mode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear';

interface InterpolateAttrs {
  size: number[];
  mode: Mode;
  alignCorners: boolean;
  scale?: number[];
}

const f32 = Math.fround;

/** PyTorch's `compute_scales_value<float>`: `1/scale` when the user gave one, else `in/out`. */
function scalesValue(scale: number | undefined, inSize: number, outSize: number): number {
  return scale !== undefined && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
}

/** Nearest source index of every output position (`nearest`: ⌊o·s⌋, `nearest-exact`: ⌊(o+½)·s⌋). */
export function nearestIndex(inSize: number, outSize: number, scale: number | undefined, exact: boolean): Int32Array {
  const s = scalesValue(scale, inSize, outSize);
  const index = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = exact ? f32((o + 0.5) * s) : f32(o * s);
    index[o] = Math.min(Math.floor(src), inSize - 1);
  }
  return index;
}

/**
 * The linear interpolation matrix M [out, in] of one dim (PyTorch's
 * `compute_source_index_and_lambda`): row o holds 1-λ at i0 and λ at i1 (summed when they meet).
 */
export function linearMatrix(inSize: number, outSize: number, scale: number | undefined, alignCorners: boolean): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const ratio = alignCorners ? (outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0) : scalesValue(scale, inSize, outSize);
  for (let o = 0; o < outSize; o++) {
    let i0 = o;
    let i1 = o;
    let l1 = 0;
    if (outSize !== inSize) {
      let src = alignCorners ? f32(ratio * o) : f32(f32(ratio * (o + 0.5)) - 0.5);
      if (!alignCorners && src < 0) src = 0;
      i0 = Math.min(Math.trunc(src), inSize - 1);
      i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      l1 = Math.min(Math.max(f32(src - i0), 0), 1);
    }
    m[o * inSize + i0] += f32(1 - l1);
    m[o * inSize + i1] += l1;
  }
  return m;
}

vjp<InterpolateAttrs>('interpolate', (ctx, [g]) => {
  const x = ctx.inputs[0]!;
  if (!g) return [null];
  const { mode, alignCorners, scale } = ctx.attrs;
  const nearest = mode === 'nearest' || mode === 'nearest-exact';
  let t = g;
  x.shape.slice(2).forEach((inSize, i) => {
    const dim = i + 2;
    const outSize = t.shape[dim]!;
    if (nearest) {
      // ∂x[.., j, ..] = Σ_{o: index[o] = j} g[.., o, ..]
      const index = nearestIndex(inSize, outSize, scale?.[i], mode === 'nearest-exact');
      const idx = expand(reshape(constOn(index, [outSize], t), t.shape.map((d, k) => (k === dim ? d : 1))), t.shape);
      const target = t.shape.map((d, k) => (k === dim ? inSize : d));
      t = scatterAdd(zerosOn(target, t), dim, idx, t);
    } else if (outSize !== inSize) {
      // out = M·x along this dim, so ∂x = Mᵀ·g: with the dim last, g [.., out] · M [out, in].
      const m = constOn(linearMatrix(inSize, outSize, scale?.[i], alignCorners), [outSize, inSize], t);
      t = transpose(matmul(transpose(t, dim, -1), m), dim, -1);
    }
  });
  return [t];
});
