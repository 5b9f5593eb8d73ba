/**
 * Helpers for VJP rules.
 * @module
 */
import { type Tensor, reshape, sum } from '@tessera/tensor';

/**
 * Undoes broadcasting: sums `g` down to `shape` (over leading dims it gained and dims that were 1).
 * Returns `g` itself when the shapes already match.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, true) : g;
  return reshape(s, shape);
}
