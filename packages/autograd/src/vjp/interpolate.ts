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
import { type Tensor, expand, linearTaps, matmul, nearestTaps, reshape, scatterAdd, transpose } from '@tessera/tensor';
import { constOn, vjpFamily, zerosOn } from './util.js';

const vjp = vjpFamily('interpolate');

type Mode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear';

interface InterpolateAttrs {
  size: number[];
  mode: Mode;
  alignCorners: boolean;
  scale?: number[];
}

/** Nearest source index of every output position (`nearest`: ⌊o·s⌋, `nearest-exact`: ⌊(o+½)·s⌋). */
export function nearestIndex(inSize: number, outSize: number, scale: number | undefined, exact: boolean): Int32Array {
  return nearestTaps(inSize, outSize, scale, exact).index;
}

/**
 * The linear interpolation matrix M [out, in] of one dim, from the same taps the forward kernels
 * use: row o holds 1-λ at i0 and λ at i1 (summed when they meet).
 */
export function linearMatrix(inSize: number, outSize: number, scale: number | undefined, alignCorners: boolean): Float32Array {
  const { index, weight } = linearTaps(inSize, outSize, scale, alignCorners);
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    m[o * inSize + index[2 * o]!] += weight[2 * o]!;
    m[o * inSize + index[2 * o + 1]!] += weight[2 * o + 1]!;
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
