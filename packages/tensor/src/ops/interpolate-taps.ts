/**
 * Interpolation source taps: for each output position of one spatial dim, which input positions
 * it reads and with what weights — PyTorch's `UpSample.h` rules, in float32 position arithmetic as
 * PyTorch computes them (nearest's floor depends on it). Shared by the reference kernel, the
 * backends and the VJP rule, so every one of them indexes exactly as PyTorch does.
 * @module
 */

const f32 = Math.fround;

/** Source taps of one spatial dim: `taps` per output position, flattened. */
export interface InterpolationTaps {
  /** Taps per output position (1 or 2). */
  taps: number;
  /** Source index of tap t of output o at `o * taps + t`. */
  index: Int32Array;
  /** Weight of that tap. */
  weight: Float64Array;
}

/** PyTorch's `compute_scales_value<float>`: `1/scale` when the user gave one, else `in/out`. */
export function interpolationScale(scale: number | undefined, inSize: number, outSize: number): number {
  return scale !== undefined && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
}

/** Nearest taps (`nearest`: ⌊o·s⌋, `nearest-exact`: ⌊(o+½)·s⌋), one per output position. */
export function nearestTaps(inSize: number, outSize: number, scale: number | undefined, exact: boolean): InterpolationTaps {
  const index = new Int32Array(outSize);
  const s = interpolationScale(scale, inSize, outSize);
  for (let o = 0; o < outSize; o++) {
    // No shortcut for out == in or out == 2·in: PyTorch's channels-first cpu kernel has none, so
    // with a scale factor such as 1.2 (3 -> 3) the formula, not a copy, decides.
    const src = exact ? f32((o + 0.5) * s) : f32(o * s);
    index[o] = Math.min(Math.floor(src), inSize - 1);
  }
  return { taps: 1, index, weight: new Float64Array(outSize).fill(1) };
}

/** PyTorch's `compute_source_index_and_lambda` with `area_pixel_compute_scale`/`_source_index`. */
export function linearTaps(inSize: number, outSize: number, scale: number | undefined, alignCorners: boolean): InterpolationTaps {
  const index = new Int32Array(2 * outSize);
  const weight = new Float64Array(2 * outSize);
  const ratio = alignCorners ? (outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0) : interpolationScale(scale, inSize, outSize);
  for (let o = 0; o < outSize; o++) {
    let i0: number;
    let i1: number;
    let l1: number;
    if (outSize === inSize) {
      // PyTorch copies when the size is unchanged, even if a scale factor such as 1.2 was given.
      i0 = i1 = o;
      l1 = 0;
    } else {
      let src = alignCorners ? f32(ratio * o) : f32(f32(ratio * (o + 0.5)) - 0.5);
      if (!alignCorners && src < 0) src = 0; // half-pixel positions left of the first centre clamp to it
      i0 = Math.min(Math.trunc(src), inSize - 1);
      i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      l1 = Math.min(Math.max(f32(src - i0), 0), 1);
    }
    index[2 * o] = i0;
    index[2 * o + 1] = i1;
    weight[2 * o] = f32(1 - l1);
    weight[2 * o + 1] = l1;
  }
  return { taps: 2, index, weight };
}

