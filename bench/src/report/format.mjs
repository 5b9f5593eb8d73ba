// @ts-check
/** Number formatting shared by the markdown table and the SVG chart. @module */

/** Milliseconds to 3 significant digits (at most 1 decimal past 100). @param {number} ms */
export function fmtMs(ms) {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** @param {number} x */
export function fmtRatio(x) {
  if (x >= 10) return x.toFixed(0);
  if (x >= 0.1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** @param {number} g GFLOP/s */
export function fmtGflops(g) {
  return g >= 10 ? g.toFixed(1) : g.toFixed(2);
}
