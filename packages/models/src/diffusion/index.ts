/**
 * Gaussian diffusion, faithful to facebookresearch/DiT's `diffusion/` package: beta schedules,
 * float64 tables, the forward process and posterior, learned / fixed variances, the training
 * loss, DDPM and DDIM samplers, respacing and timestep samplers.
 *
 * ```ts
 * const diffusion = createDiffusion('ddim50');
 * const x = diffusion.ddimSampleLoop((x, t) => model.forward(x, t, y), [4, 4, 32, 32], { generator, clipDenoised: false });
 * ```
 * @module
 */
export * from './schedule.js';
export { type DiffusionTables, computeTables } from './tables.js';
export { approxStandardNormalCdf, discretizedGaussianLogLikelihood, meanFlat, normalKl } from './losses.js';
export {
  type CondFn,
  type DiffusionModel,
  GaussianDiffusion,
  type GaussianDiffusionOptions,
  type LossType,
  type ModelMeanType,
  type ModelVarType,
  type PMeanVariance,
  type PMeanVarianceOptions,
  type QMeanVariance,
  type QPosterior,
  type TrainingLosses,
  type VbTerms,
} from './gaussian-diffusion.js';
export {
  type DdimLoopOptions,
  type DdimStepOptions,
  type LoopOptions,
  type StepOptions,
  type StepResult,
  ddimReverseSample,
  ddimReverseSampleLoop,
  ddimSample,
  ddimSampleLoop,
  pSample,
  pSampleLoop,
} from './samplers.js';
export { SpacedDiffusion, type SpacedDiffusionOptions, roundHalfEven, spaceTimesteps } from './respace.js';
export {
  type HasNumTimesteps,
  LossSecondMomentResampler,
  type SampleTimestepsOptions,
  type TimestepSample,
  ScheduleSampler,
  UniformSampler,
  createNamedScheduleSampler,
} from './timestep-sampler.js';
export { type CreateDiffusionOptions, createDiffusion } from './create.js';
