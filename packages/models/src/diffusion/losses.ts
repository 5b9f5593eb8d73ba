/**
 * The likelihood terms of the variational bound (DiT `diffusion/diffusion_utils.py`, after
 * Ho et al. 2020 §3.3 and Nichol & Dhariwal 2021 §3.1). Float32 tensor maths, in the reference's
 * order of operations.
 * @module
 */
import { type Tensor, where } from '@tessera/tensor';

/** Mean over every dim but the first (the batch): `[B, ...] → [B]`. */
export function meanFlat(x: Tensor): Tensor {
  if (x.ndim <= 1) return x;
  return x.mean(Array.from({ length: x.ndim - 1 }, (_, i) => i + 1));
}

/**
 * KL(N(μ₁, e^{logσ₁²}) ‖ N(μ₂, e^{logσ₂²})) elementwise, in nats:
 * `0.5·(−1 + logσ₂² − logσ₁² + e^{logσ₁² − logσ₂²} + (μ₁ − μ₂)²·e^{−logσ₂²})`.
 */
export function normalKl(mean1: Tensor, logvar1: Tensor, mean2: Tensor, logvar2: Tensor): Tensor {
  return logvar2
    .add(-1)
    .sub(logvar1)
    .add(logvar1.sub(logvar2).exp())
    .add(mean1.sub(mean2).square().mul(logvar2.neg().exp()))
    .mul(0.5);
}

/** A fast approximation of the standard normal CDF: `0.5·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`. */
export function approxStandardNormalCdf(x: Tensor): Tensor {
  return x
    .add(x.mul(x).mul(x).mul(0.044715)) // torch.pow(x, 3) is x·x·x
    .mul(Math.sqrt(2 / Math.PI))
    .tanh()
    .add(1)
    .mul(0.5);
}

/**
 * Log-likelihood of data `x` in [−1, 1], quantised to 256 levels (bin half-width 1/255), under a
 * Gaussian `N(means, e^{2·logScales})`: the CDF mass of the bin, with the edge bins open-ended
 * (x < −0.999 and x > 0.999). Elementwise, in nats; Ho et al. 2020 eq. 13.
 */
export function discretizedGaussianLogLikelihood(x: Tensor, means: Tensor, logScales: Tensor): Tensor {
  const centered = x.sub(means);
  const invStdv = logScales.neg().exp();
  const cdfPlus = approxStandardNormalCdf(invStdv.mul(centered.add(1 / 255)));
  const cdfMin = approxStandardNormalCdf(invStdv.mul(centered.sub(1 / 255)));
  const logCdfPlus = cdfPlus.clamp(1e-12).log();
  const logOneMinusCdfMin = cdfMin.neg().add(1).clamp(1e-12).log();
  const cdfDelta = cdfPlus.sub(cdfMin);
  return where(x.lt(-0.999), logCdfPlus, where(x.gt(0.999), logOneMinusCdfMin, cdfDelta.clamp(1e-12).log()));
}
