/**
 * `createDiffusion`: DiT's `diffusion/__init__.py` `create_diffusion`, the one entry point its
 * train.py and sample.py use.
 * @module
 */
import { type BetaScheduleName, getNamedBetaSchedule } from './schedule.js';
import { type LossType, type ModelMeanType, type ModelVarType } from './gaussian-diffusion.js';
import { SpacedDiffusion, spaceTimesteps } from './respace.js';

/** Options of `createDiffusion` (the reference's keyword arguments, camelCased, same defaults). */
export interface CreateDiffusionOptions {
  /** Default 'linear'. */
  noiseSchedule?: BetaScheduleName;
  /** Loss = the bound alone, rescaled (default false). */
  useKl?: boolean;
  /** FIXED_SMALL instead of FIXED_LARGE when the variance is not learned (default false). */
  sigmaSmall?: boolean;
  /** The model predicts x_0 instead of ε (default false). */
  predictXstart?: boolean;
  /** Learned-range variance, the model outputs 2C channels (default true). */
  learnSigma?: boolean;
  /** RESCALED_MSE: the VB term scaled by T/1000 (default false). */
  rescaleLearnedSigmas?: boolean;
  /** T of the original process (default 1000). */
  diffusionSteps?: number;
}

/**
 * A (possibly respaced) diffusion process as DiT builds it. `timestepRespacing`: `''` / null for
 * every step, `"250"`, `"ddim50"`, `"10,15,20"` or a list of counts (see `spaceTimesteps`).
 * DiT trains with `createDiffusion('')` and samples with `createDiffusion('250')`.
 */
export function createDiffusion(timestepRespacing: string | readonly number[] | null | undefined, opts: CreateDiffusionOptions = {}): SpacedDiffusion {
  const steps = opts.diffusionSteps ?? 1000;
  const betas = getNamedBetaSchedule(opts.noiseSchedule ?? 'linear', steps);
  const lossType: LossType = opts.useKl ? 'rescaledKl' : opts.rescaleLearnedSigmas ? 'rescaledMse' : 'mse';
  const respacing = timestepRespacing === null || timestepRespacing === undefined || timestepRespacing === '' ? [steps] : timestepRespacing;
  const modelMeanType: ModelMeanType = opts.predictXstart ? 'startX' : 'epsilon';
  const modelVarType: ModelVarType = (opts.learnSigma ?? true) ? 'learnedRange' : opts.sigmaSmall ? 'fixedSmall' : 'fixedLarge';
  return new SpacedDiffusion({ useTimesteps: spaceTimesteps(steps, respacing), betas, modelMeanType, modelVarType, lossType });
}
