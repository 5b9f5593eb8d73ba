/**
 * Per-op tolerances of the WebGPU backend in the conformance kit.
 * @module
 */

/**
 * Op name → {atol, rtol}. Empty: every op passes at the kit's own tolerances (default
 * atol = rtol = 1e-5; 1e-4 for conv, var/std/logsumexp, the norms and attention) on both
 * SwiftShader and llvmpipe. What it took: sin/cos are computed in the shader with Cody-Waite
 * range reduction and minimax polynomials (SwiftShader's built-ins are off by up to 2e-4), tanh
 * through e^(-2|x|), erf by its series below 0.5 and Abramowitz-Stegun 7.1.26 above (|err| <
 * 1.5e-7), pow with exact integer powers; sums run in blocks or trees.
 */
export const TOLERANCES: Record<string, { atol?: number; rtol?: number }> = {};

