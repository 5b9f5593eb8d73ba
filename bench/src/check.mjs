// @ts-check
/**
 * The correctness gate run once per (implementation, case) before timing.
 * @module
 */

/** Largest error allowed, relative to the largest magnitude in the reference. */
export const TOLERANCE = 1e-3;

/**
 * max |y - ref| / max |ref|, or Infinity when lengths differ or y has a NaN/Infinity where the
 * reference is finite.
 * @param {ArrayLike<number>} y
 * @param {Float32Array} ref
 */
export function relativeError(y, ref) {
  if (y.length !== ref.length) return Infinity;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(/** @type {number} */ (ref[i])));
  let err = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(/** @type {number} */ (y[i]) - /** @type {number} */ (ref[i]));
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d; // NaN counts as an infinite error
  }
  return err / (scale || 1);
}
