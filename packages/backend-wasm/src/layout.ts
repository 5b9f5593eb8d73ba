/**
 * Layout arithmetic for kernel arguments: broadcast strides, dim coalescing, density.
 * @module
 */

/** Strides of an operand of shape `shape` / `strides` broadcast to `out` (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], strides: readonly number[], out: readonly number[]): number[] {
  const lead = out.length - shape.length;
  return out.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : strides[i - lead]!));
}

/**
 * Merges dims that every operand walks as one (stride[d] = shape[d+1]·stride[d+1] for all) and
 * drops size-1 dims, so kernels see the fewest, longest runs. Returns the new shape and one stride
 * list per operand; a scalar walk is rank 0.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const s: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = s.length - 1;
    if (last >= 0 && strides.every((x, k) => st[k]![last] === shape[d]! * x[d]!)) {
      s[last] = s[last]! * shape[d]!;
      strides.forEach((x, k) => (st[k]![last] = x[d]!));
    } else {
      s.push(shape[d]!);
      strides.forEach((x, k) => st[k]!.push(x[d]!));
    }
  }
  return { shape: s, strides: st };
}

// Row-major strides, the density test and the element count are @tessera/tensor's own, under the
// names the kernels use.
export { contiguousStrides as denseStrides, isContiguous as isDense, sizeOf } from '@tessera/tensor';
