/**
 * The float64 tables a Gaussian diffusion process is computed from (Ho et al. 2020 eqs. 4, 6, 7;
 * DiT `GaussianDiffusion.__init__`). JS numbers are float64, so these reproduce the reference's
 * numpy tables; they are cast to float32 only when a coefficient is gathered for a batch.
 * @module
 */
import { ArgumentError } from '@tessera/tensor';

/** Every derived table, each of length T (the number of steps of this process). */
export interface DiffusionTables {
  /** β_t. */
  readonly betas: Float64Array;
  /** α_t = 1 − β_t. */
  readonly alphas: Float64Array;
  /** ᾱ_t = Π_{s≤t} α_s. */
  readonly alphasCumprod: Float64Array;
  /** [1, ᾱ_0, …, ᾱ_{T−2}]. */
  readonly alphasCumprodPrev: Float64Array;
  /** [ᾱ_1, …, ᾱ_{T−1}, 0]. */
  readonly alphasCumprodNext: Float64Array;
  /** √ᾱ_t. */
  readonly sqrtAlphasCumprod: Float64Array;
  /** √(1 − ᾱ_t). */
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  /** 1 − ᾱ_t (q(x_t | x_0)'s variance). */
  readonly oneMinusAlphasCumprod: Float64Array;
  /** log(1 − ᾱ_t). */
  readonly logOneMinusAlphasCumprod: Float64Array;
  /** √(1/ᾱ_t). */
  readonly sqrtRecipAlphasCumprod: Float64Array;
  /** √(1/ᾱ_t − 1). */
  readonly sqrtRecipm1AlphasCumprod: Float64Array;
  /** σ̃²_t = β_t·(1 − ᾱ_{t−1})/(1 − ᾱ_t), the variance of q(x_{t−1} | x_t, x_0); 0 at t = 0. */
  readonly posteriorVariance: Float64Array;
  /** log σ̃²_t with entry 0 replaced by entry 1 (σ̃²_0 = 0 has no log). */
  readonly posteriorLogVarianceClipped: Float64Array;
  /** β_t·√ᾱ_{t−1}/(1 − ᾱ_t), the x_0 coefficient of the posterior mean. */
  readonly posteriorMeanCoef1: Float64Array;
  /** (1 − ᾱ_{t−1})·√α_t/(1 − ᾱ_t), the x_t coefficient of the posterior mean. */
  readonly posteriorMeanCoef2: Float64Array;
  /** log β_t: the upper end of the learned-range variance. */
  readonly logBetas: Float64Array;
  /** The FIXED_LARGE variance: [σ̃²_1, β_1, β_2, …, β_{T−1}]. */
  readonly fixedLargeVariance: Float64Array;
  /** Its log. */
  readonly fixedLargeLogVariance: Float64Array;
}

const map = (a: Float64Array, f: (v: number, i: number) => number): Float64Array => a.map(f);

/** Computes every table from the betas, in the reference's order of float64 operations. */
export function computeTables(betasIn: ArrayLike<number>): DiffusionTables {
  const betas = Float64Array.from(betasIn);
  const T = betas.length;
  if (T === 0) throw new ArgumentError('GaussianDiffusion: betas must be a non-empty 1-D array');
  for (let i = 0; i < T; i++) {
    if (!(betas[i]! > 0 && betas[i]! <= 1)) throw new ArgumentError(`GaussianDiffusion: betas must lie in (0, 1], got betas[${i}] = ${betas[i]}`);
  }
  const alphas = map(betas, (b) => 1 - b);
  const alphasCumprod = new Float64Array(T);
  let acc = 1;
  for (let i = 0; i < T; i++) {
    // numpy's cumprod: acc_0 = a_0 (not 1·a_0, which is the same number), then acc·a_i in order.
    acc = i === 0 ? alphas[0]! : acc * alphas[i]!;
    alphasCumprod[i] = acc;
  }
  const alphasCumprodPrev = map(alphasCumprod, (_, i) => (i === 0 ? 1 : alphasCumprod[i - 1]!));
  const alphasCumprodNext = map(alphasCumprod, (_, i) => (i === T - 1 ? 0 : alphasCumprod[i + 1]!));
  const posteriorVariance = map(betas, (b, i) => (b * (1 - alphasCumprodPrev[i]!)) / (1 - alphasCumprod[i]!));
  // With a single step there is no entry 1 to borrow; the reference leaves the table empty.
  const posteriorLogVarianceClipped =
    T > 1 ? map(posteriorVariance, (v, i) => Math.log(i === 0 ? posteriorVariance[1]! : v)) : new Float64Array(0);
  const fixedLargeVariance = map(betas, (b, i) => (i === 0 ? (T > 1 ? posteriorVariance[1]! : NaN) : b));
  return {
    betas,
    alphas,
    alphasCumprod,
    alphasCumprodPrev,
    alphasCumprodNext,
    sqrtAlphasCumprod: map(alphasCumprod, Math.sqrt),
    sqrtOneMinusAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 - a)),
    oneMinusAlphasCumprod: map(alphasCumprod, (a) => 1 - a),
    logOneMinusAlphasCumprod: map(alphasCumprod, (a) => Math.log(1 - a)),
    sqrtRecipAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 / a)),
    sqrtRecipm1AlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 / a - 1)),
    posteriorVariance,
    posteriorLogVarianceClipped,
    posteriorMeanCoef1: map(betas, (b, i) => (b * Math.sqrt(alphasCumprodPrev[i]!)) / (1 - alphasCumprod[i]!)),
    posteriorMeanCoef2: map(alphas, (a, i) => ((1 - alphasCumprodPrev[i]!) * Math.sqrt(a)) / (1 - alphasCumprod[i]!)),
    logBetas: map(betas, Math.log),
    fixedLargeVariance,
    fixedLargeLogVariance: map(fixedLargeVariance, Math.log),
  };
}
