// @ts-check
/**
 * Host-side layout changes for peers whose native layouts differ from the canonical (PyTorch)
 * ones: tfjs convolves NHWC images with HWIO filters, jax-js attends over [B, L, N, H]. Inputs are
 * converted once before timing and outputs back once for the correctness check; never timed.
 * @module
 */

/**
 * Permutes the axes of a dense row-major array.
 * @param {ArrayLike<number>} x
 * @param {readonly number[]} shape
 * @param {readonly number[]} perm output axis i is input axis perm[i]
 * @returns {Float32Array}
 */
export function permute(x, shape, perm) {
  const nd = shape.length;
  const outShape = perm.map((p) => /** @type {number} */ (shape[p]));
  const inStrides = new Array(nd).fill(1);
  for (let i = nd - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(x.length);
  const idx = new Array(nd).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = /** @type {number} */ (x[src]);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      src += strides[d];
      if (idx[d] < outShape[d]) break;
      src -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** @param {readonly number[]} shape @param {readonly number[]} perm */
export const permuteShape = (shape, perm) => perm.map((p) => /** @type {number} */ (shape[p]));

export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const OIHW_TO_HWIO = [2, 3, 1, 0];
export const BNLH_TO_BLNH = [0, 2, 1, 3]; // its own inverse
