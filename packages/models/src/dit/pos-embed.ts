/**
 * Fixed sin-cos position tables (Vaswani et al. 2017 §3.5, in MAE's 2-D form as DiT uses it,
 * `get_2d_sincos_pos_embed`). Computed in float64 on the host, stored as float32.
 * @module
 */
import { ArgumentError } from '@tessera/tensor';

/**
 * 1-D table for positions `pos` and width `dim` (even): `[sin(pos·ω), cos(pos·ω)]` with
 * `ω_j = 10000^(−j/(dim/2))`, row-major `[pos.length, dim]`, float64.
 */
export function sincosPosEmbed1d(dim: number, pos: ArrayLike<number>): Float64Array {
  if (dim % 2 !== 0) throw new ArgumentError(`sincosPosEmbed1d: dim must be even, got ${dim}`);
  const half = dim / 2;
  const omega = Float64Array.from({ length: half }, (_, j) => 1 / 10000 ** (j / half));
  const out = new Float64Array(pos.length * dim);
  for (let m = 0; m < pos.length; m++) {
    for (let j = 0; j < half; j++) {
      const a = pos[m]! * omega[j]!;
      out[m * dim + j] = Math.sin(a);
      out[m * dim + half + j] = Math.cos(a);
    }
  }
  return out;
}

/**
 * DiT's 2-D table for a `gridSize × gridSize` grid of patches, `[gridSize², dim]` row-major
 * (token k = row·gridSize + col), `dim` divisible by 4. The first half of the channels encodes the
 * COLUMN index and the second half the ROW index: the reference builds `meshgrid(w, h)` and names
 * the first half "emb_h", but it holds w.
 */
export function sincosPosEmbed2d(dim: number, gridSize: number): Float64Array {
  if (dim % 4 !== 0) throw new ArgumentError(`sincosPosEmbed2d: dim must be divisible by 4, got ${dim}`);
  if (!Number.isInteger(gridSize) || gridSize < 1) throw new ArgumentError(`sincosPosEmbed2d: gridSize must be a positive integer, got ${gridSize}`);
  const n = gridSize * gridSize;
  const cols = Float64Array.from({ length: n }, (_, k) => k % gridSize);
  const rows = Float64Array.from({ length: n }, (_, k) => Math.floor(k / gridSize));
  const half = dim / 2;
  const embCol = sincosPosEmbed1d(half, cols);
  const embRow = sincosPosEmbed1d(half, rows);
  const out = new Float64Array(n * dim);
  for (let k = 0; k < n; k++) {
    out.set(embCol.subarray(k * half, (k + 1) * half), k * dim);
    out.set(embRow.subarray(k * half, (k + 1) * half), k * dim + half);
  }
  return out;
}
