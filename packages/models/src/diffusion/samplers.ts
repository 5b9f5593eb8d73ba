/**
 * Samplers of a `GaussianDiffusion`: DDPM ancestral sampling (Ho et al. 2020, Algorithm 2) and
 * DDIM (Song et al. 2021, eq. 12), with its deterministic reverse. As in DiT's
 * `gaussian_diffusion.py`: noise is drawn at every step, including the last (where it is masked
 * out), after the model call; loops run the steps T'−1 … 0 of this (possibly respaced) process.
 *
 * Every sampler takes a seeded `Generator` and an optional progress callback. Steps run under
 * `noGrad` and free their intermediates as they go.
 * @module
 */
import { noGrad } from '@tessera/autograd';
import { ArgumentError, type Generator, ShapeError, type Tensor, fmtShape, full, randn, tidy } from '@tessera/tensor';
import type { CondFn, DiffusionModel, GaussianDiffusion, PMeanVarianceOptions } from './gaussian-diffusion.js';

/** Options of a single step. */
export interface StepOptions extends PMeanVarianceOptions {
  /** Classifier guidance: ∇ₓ log p(y | x_t). DDPM uses `conditionMean`, DDIM `conditionScore`. */
  condFn?: CondFn;
  /** Where the step's noise comes from (default: the global generator). */
  generator?: Generator;
}

/** Options of a DDIM step. */
export interface DdimStepOptions extends StepOptions {
  /** 0 (default) is deterministic DDIM; 1 matches DDPM's posterior variance. */
  eta?: number;
}

/** Options of a sampling loop. */
export interface LoopOptions extends StepOptions {
  /** The starting x_T (default: drawn from `generator`). Not disposed by the loop. */
  noise?: Tensor;
  /** Called after each step with (steps done, total steps). */
  progress?: (done: number, total: number) => void;
}

/** Options of a DDIM loop. */
export interface DdimLoopOptions extends LoopOptions {
  /** See `DdimStepOptions.eta`. */
  eta?: number;
}

/** A step's result. */
export interface StepResult {
  /** x_{t−1} (x_{t+1} for the reverse step). */
  sample: Tensor;
  /** The model's x_0 prediction at this step. */
  predXstart: Tensor;
}

/** `[B, 1, …, 1]` float mask, 0 where t = 0 (no noise on the last step). */
function nonzeroMask(t: Tensor, ndim: number): Tensor {
  return t.ne(0).cast('float32').reshape([t.shape[0]!, ...new Array<number>(ndim - 1).fill(1)]);
}

function noiseLike(x: Tensor, generator?: Generator): Tensor {
  return randn(x.shape, { generator, backend: x.backend.name });
}

/** x_t → x_{t−1}: `mean + [t≠0]·exp(½·logσ²)·z`. */
export function pSample(d: GaussianDiffusion, model: DiffusionModel, x: Tensor, t: Tensor, opts: StepOptions = {}): StepResult {
  return tidy(() => {
    const out = d.pMeanVariance(model, x, t, opts);
    const z = noiseLike(x, opts.generator);
    const mean = opts.condFn ? d.conditionMean(opts.condFn, out, x, t) : out.mean;
    const sample = mean.add(nonzeroMask(t, x.ndim).mul(out.logVariance.mul(0.5).exp()).mul(z));
    return { sample, predXstart: out.predXstart };
  });
}

/**
 * DDIM: ε re-derived from the (possibly clipped) x_0 prediction, then
 * `x_{t−1} = x̂_0·√ᾱ' + √(1 − ᾱ' − σ²)·ε + [t≠0]·σ·z` with
 * `σ = η·√((1 − ᾱ')/(1 − ᾱ))·√(1 − ᾱ/ᾱ')`, ᾱ' = ᾱ_{t−1} of this process.
 */
export function ddimSample(d: GaussianDiffusion, model: DiffusionModel, x: Tensor, t: Tensor, opts: DdimStepOptions = {}): StepResult {
  const eta = opts.eta ?? 0;
  return tidy(() => {
    let out = d.pMeanVariance(model, x, t, opts);
    if (opts.condFn) out = d.conditionScore(opts.condFn, out, x, t);
    const eps = d.predictEpsFromXstart(x, t, out.predXstart);
    const alphaBar = d.extract(d.tables.alphasCumprod, t, x.ndim);
    const alphaBarPrev = d.extract(d.tables.alphasCumprodPrev, t, x.ndim);
    const oneMinusPrev = alphaBarPrev.neg().add(1);
    const sigma = oneMinusPrev
      .div(alphaBar.neg().add(1))
      .sqrt()
      .mul(eta)
      .mul(alphaBar.div(alphaBarPrev).neg().add(1).sqrt());
    const z = noiseLike(x, opts.generator);
    const meanPred = out.predXstart.mul(alphaBarPrev.sqrt()).add(oneMinusPrev.sub(sigma.mul(sigma)).sqrt().mul(eps));
    const sample = meanPred.add(nonzeroMask(t, x.ndim).mul(sigma).mul(z));
    return { sample, predXstart: out.predXstart };
  });
}

/** Reverse DDIM x_t → x_{t+1}: `x̂_0·√ᾱ_{t+1} + √(1 − ᾱ_{t+1})·ε` (deterministic only). */
export function ddimReverseSample(d: GaussianDiffusion, model: DiffusionModel, x: Tensor, t: Tensor, opts: DdimStepOptions = {}): StepResult {
  if ((opts.eta ?? 0) !== 0) throw new ArgumentError('ddimReverseSample: the reverse ODE is deterministic only (eta must be 0)');
  return tidy(() => {
    let out = d.pMeanVariance(model, x, t, opts);
    if (opts.condFn) out = d.conditionScore(opts.condFn, out, x, t);
    const eps = d.predictEpsFromXstart(x, t, out.predXstart);
    const alphaBarNext = d.extract(d.tables.alphasCumprodNext, t, x.ndim);
    const sample = out.predXstart.mul(alphaBarNext.sqrt()).add(alphaBarNext.neg().add(1).sqrt().mul(eps));
    return { sample, predXstart: out.predXstart };
  });
}

type Step = (x: Tensor, t: Tensor) => StepResult;

/** Runs `step` over `indices`, freeing each intermediate; `start` is left to its owner. */
function loop(start: Tensor, indices: number[], step: Step, progress?: (done: number, total: number) => void): Tensor {
  const B = start.shape[0]!;
  const backend = start.backend.name;
  let img = start;
  indices.forEach((i, k) => {
    const next = noGrad(() =>
      tidy(() => {
        const t = full([B], i, { dtype: 'int32', backend });
        return step(img, t).sample;
      }),
    );
    if (img !== start) img.dispose();
    img = next;
    progress?.(k + 1, indices.length);
  });
  return img === start ? start.clone() : img;
}

function startNoise(op: string, shape: readonly number[], opts: LoopOptions): { x: Tensor; owned: boolean } {
  if (opts.noise) {
    if (opts.noise.shape.length !== shape.length || opts.noise.shape.some((n, i) => n !== shape[i])) {
      throw new ShapeError(`${op}: noise ${fmtShape(opts.noise.shape)} does not match shape ${fmtShape(shape)}`);
    }
    return { x: opts.noise, owned: false };
  }
  return { x: randn(shape, { generator: opts.generator }), owned: true };
}

function descending(T: number): number[] {
  return Array.from({ length: T }, (_, k) => T - 1 - k);
}

/** DDPM ancestral sampling over all T' steps of `d`. */
export function pSampleLoop(d: GaussianDiffusion, model: DiffusionModel, shape: readonly number[], opts: LoopOptions = {}): Tensor {
  const { x, owned } = startNoise('pSampleLoop', shape, opts);
  try {
    return loop(x, descending(d.numTimesteps), (img, t) => pSample(d, model, img, t, opts), opts.progress);
  } finally {
    if (owned) x.dispose();
  }
}

/** DDIM sampling over all T' steps of `d`. */
export function ddimSampleLoop(d: GaussianDiffusion, model: DiffusionModel, shape: readonly number[], opts: DdimLoopOptions = {}): Tensor {
  const { x, owned } = startNoise('ddimSampleLoop', shape, opts);
  try {
    return loop(x, descending(d.numTimesteps), (img, t) => ddimSample(d, model, img, t, opts), opts.progress);
  } finally {
    if (owned) x.dispose();
  }
}

/** Reverse DDIM from x at t = 0 through t = T'−1 (an addition: the reference has only the step). */
export function ddimReverseSampleLoop(d: GaussianDiffusion, model: DiffusionModel, x: Tensor, opts: DdimLoopOptions = {}): Tensor {
  const ascending = Array.from({ length: d.numTimesteps }, (_, k) => k);
  return loop(x, ascending, (img, t) => ddimReverseSample(d, model, img, t, opts), opts.progress);
}
