// @ts-check
/** Sample statistics shared by child.mjs (one round) and main.mjs (rounds pooled). @module */

/** The median of an ascending array. @param {number[]} sorted */
export function median(sorted) {
  const n = sorted.length;
  return n % 2 ? /** @type {number} */ (sorted[(n - 1) / 2]) : (/** @type {number} */ (sorted[n / 2 - 1]) + /** @type {number} */ (sorted[n / 2])) / 2;
}
