/**
 * Geometry shared by the convolution, pooling and interpolation kernels: like the reference
 * kernels, shapes are lifted to exactly 3 spatial dims by prepending size-1 dims (kernel 1,
 * stride 1, no padding, dilation 1, stride 0), so one shader serves 1-d, 2-d and 3-d.
 * @module
 */
import type { TensorView } from '@tessera/tensor';

/** Prepends `fill` to `v` until it has 3 entries. */
export function lift3(v: readonly number[], fill: number): [number, number, number] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v] as [number, number, number];
}

/** The strides of an `[N, C, ...spatial]` view lifted to `[N, C, D, H, W]` (0 for added dims). */
export function lift5Strides(v: TensorView): number[] {
  const s = v.strides;
  return [s[0]!, s[1]!, ...lift3(s.slice(2), 0)];
}

/** The shape of an `[N, C, ...spatial]` view lifted to `[N, C, D, H, W]`. */
export function lift5Shape(shape: readonly number[]): number[] {
  return [shape[0]!, shape[1]!, ...lift3(shape.slice(2), 1)];
}
