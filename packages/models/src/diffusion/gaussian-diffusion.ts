/**
 * Gaussian diffusion (Ho et al. 2020; Nichol & Dhariwal 2021's learned variances), faithful to
 * facebookresearch/DiT `diffusion/gaussian_diffusion.py`: the forward process `qSample`, the
 * posterior `qPosterior`, the model's reverse step `pMeanVariance`, the training loss (MSE plus
 * the variational-bound term for learned variances) and the samplers (in `samplers.ts`).
 *
 * Tables are float64 (`tables.ts`); a coefficient is gathered for a batch of timesteps from a
 * float32 copy of its table, which is the reference's `_extract_into_tensor` (index the float64
 * table, then `.float()`). Tensor maths follows the reference's order of float32 operations.
 *
 * A model is a function `(x_t, t) → output`; conditioning (class labels, guidance scale) goes in
 * the closure, where the reference passes `model_kwargs`.
 * @module
 */
import { ArgumentError, type Generator, ShapeError, type Tensor, cat, fmtShape, keep, randn, tensor, tidy, where } from '@tessera/tensor';
import { discretizedGaussianLogLikelihood, meanFlat, normalKl } from './losses.js';
import { type DiffusionTables, computeTables } from './tables.js';
import * as samplers from './samplers.js';

/** What the network predicts: ε (DiT's default), x_0, or x_{t−1} (training target only). */
export type ModelMeanType = 'epsilon' | 'startX' | 'previousX';
/** The reverse-step variance: learned outright, learned between σ̃² and β, or fixed. */
export type ModelVarType = 'learned' | 'learnedRange' | 'fixedLarge' | 'fixedSmall';
/** The training loss: MSE (plus the VB term with learned variances), or the bound alone. */
export type LossType = 'mse' | 'rescaledMse' | 'kl' | 'rescaledKl';

/** A denoising network: `(x_t [B, C, ...], t [B] int32) → [B, C or 2C, ...]`. */
export type DiffusionModel = (x: Tensor, t: Tensor) => Tensor;

/** Options of `GaussianDiffusion`. */
export interface GaussianDiffusionOptions {
  /** β_0 … β_{T−1}, each in (0, 1] (see `getNamedBetaSchedule`). */
  betas: ArrayLike<number>;
  /** Default 'epsilon'. */
  modelMeanType?: ModelMeanType;
  /** Default 'learnedRange'. */
  modelVarType?: ModelVarType;
  /** Default 'mse'. */
  lossType?: LossType;
}

/** Options of `pMeanVariance`. */
export interface PMeanVarianceOptions {
  /** Clamp the x_0 prediction into [−1, 1] (default true, as the reference; DiT samples with false). */
  clipDenoised?: boolean;
  /** Applied to the x_0 prediction before clipping. */
  denoisedFn?: (x0: Tensor) => Tensor;
}

/** The reverse step p(x_{t−1} | x_t) and the x_0 prediction it came from; all shaped like x. */
export interface PMeanVariance {
  /** Mean of p(x_{t−1} | x_t). */
  mean: Tensor;
  /** Its variance. */
  variance: Tensor;
  /** Its log-variance. */
  logVariance: Tensor;
  /** The x_0 prediction. */
  predXstart: Tensor;
}

/** The per-sample training terms, each `[B]`. */
export interface TrainingLosses {
  /** What to minimise (mean over the batch). */
  loss: Tensor;
  /** The MSE term (absent for the KL loss types). */
  mse?: Tensor;
  /** The variational-bound term in bits (learned variances only). */
  vb?: Tensor;
}

/** The gradient of log p(y | x_t) for classifier guidance: `(x_t, t) → ∇ₓ log p`. */
export type CondFn = (x: Tensor, t: Tensor) => Tensor;

const WRAPPED = Symbol('tessera.diffusion.wrapped');

/** The forward process q(x_t | x_0): mean, variance and log variance. */
export interface QMeanVariance {
  /** √ᾱ_t · x_0. */
  mean: Tensor;
  /** 1 − ᾱ_t. */
  variance: Tensor;
  /** log(1 − ᾱ_t). */
  logVariance: Tensor;
}

/** The posterior q(x_{t−1} | x_t, x_0). */
export interface QPosterior {
  /** Posterior mean. */
  mean: Tensor;
  /** Posterior variance. */
  variance: Tensor;
  /** Log variance, clipped at t = 0 as in the reference. */
  logVarianceClipped: Tensor;
}

/** The variational-bound term in bits per dim. */
export interface VbTerms {
  /** KL(q ‖ p) for t > 0, the decoder NLL at t = 0, per sample. */
  output: Tensor;
  /** The model's x_0 prediction. */
  predXstart: Tensor;
}

/** Utilities for training and sampling a diffusion model over T steps. */
export class GaussianDiffusion {
  /** What the model predicts. */
  readonly modelMeanType: ModelMeanType;
  /** How the reverse variance is obtained. */
  readonly modelVarType: ModelVarType;
  /** The training loss. */
  readonly lossType: LossType;
  /** The float64 tables. */
  readonly tables: DiffusionTables;
  /** T. */
  readonly numTimesteps: number;
  private readonly cache = new Map<Float64Array, Map<string, Tensor>>();

  constructor(opts: GaussianDiffusionOptions) {
    this.modelMeanType = opts.modelMeanType ?? 'epsilon';
    this.modelVarType = opts.modelVarType ?? 'learnedRange';
    this.lossType = opts.lossType ?? 'mse';
    this.tables = computeTables(opts.betas);
    this.numTimesteps = this.tables.betas.length;
  }

  /** β_t of this process (for a respaced process, its own betas). */
  get betas(): Float64Array {
    return this.tables.betas;
  }

  /** ᾱ_t of this process. */
  get alphasCumprod(): Float64Array {
    return this.tables.alphasCumprod;
  }

  /** Releases the float32 copies of the tables kept on backends. */
  dispose(): void {
    for (const perBackend of this.cache.values()) for (const t of perBackend.values()) t.dispose();
    this.cache.clear();
  }

  /**
   * `table[t]` as float32, shaped `[B, 1, …, 1]` (rank `ndim`) to broadcast against a batch:
   * the reference's `_extract_into_tensor` (its final `expand` is left to broadcasting).
   */
  extract(table: Float64Array, t: Tensor, ndim: number): Tensor {
    if (table.length !== this.numTimesteps) throw new ArgumentError(`extract: table has ${table.length} entries, the process ${this.numTimesteps} steps`);
    const idx = this.checkTimesteps('extract', t);
    const backend = idx.backend.name;
    let perBackend = this.cache.get(table);
    if (!perBackend) this.cache.set(table, (perBackend = new Map()));
    let f32 = perBackend.get(backend);
    if (!f32 || f32.isDisposed) {
      f32 = keep(tensor(Float32Array.from(table), { backend }));
      perBackend.set(backend, f32);
    }
    const B = idx.shape[0]!;
    return f32.indexSelect(0, idx).reshape([B, ...new Array<number>(Math.max(ndim - 1, 0)).fill(1)]);
  }

  /** `table[t]` broadcast to `shape` (a view), as the reference returns it. */
  protected extractFull(table: Float64Array, t: Tensor, shape: readonly number[]): Tensor {
    return this.extract(table, t, shape.length).expand([...shape]);
  }

  /** Validates a `[B]` timestep tensor and returns it as int32. */
  protected checkTimesteps(op: string, t: Tensor): Tensor {
    if (t.ndim !== 1) throw new ShapeError(`${op}: timesteps must be 1-D [B], got ${fmtShape(t.shape)}`);
    if (t.dtype === 'int32') return t;
    if (t.dtype === 'float32') return t.cast('int32');
    throw new ArgumentError(`${op}: timesteps must be int32 (or float32 holding integers), got ${t.dtype}`);
  }

  /** The model as this process calls it; a respaced process maps its timesteps to the original ones. */
  wrapModel(model: DiffusionModel): DiffusionModel {
    return model;
  }

  /** Marks a wrapped model so that it is not wrapped twice. @internal */
  protected static markWrapped(f: DiffusionModel): DiffusionModel {
    (f as unknown as Record<symbol, boolean>)[WRAPPED] = true;
    return f;
  }

  /** Whether `f` is already a wrapped model. @internal */
  protected static isWrapped(f: DiffusionModel): boolean {
    return (f as unknown as Record<symbol, boolean>)[WRAPPED] === true;
  }

  // ---- the forward process -------------------------------------------------------------------

  /** q(x_t | x_0) = N(√ᾱ_t·x_0, (1 − ᾱ_t)·I): `{mean, variance, logVariance}`, shaped like x_0. */
  qMeanVariance(xStart: Tensor, t: Tensor): QMeanVariance {
    const T = this.tables;
    return tidy(() => ({
      mean: this.extract(T.sqrtAlphasCumprod, t, xStart.ndim).mul(xStart),
      variance: this.extractFull(T.oneMinusAlphasCumprod, t, xStart.shape),
      logVariance: this.extractFull(T.logOneMinusAlphasCumprod, t, xStart.shape),
    }));
  }

  /** A draw from q(x_t | x_0): `√ᾱ_t·x_0 + √(1 − ᾱ_t)·ε` (ε drawn from `generator` if not given). */
  qSample(xStart: Tensor, t: Tensor, noise?: Tensor, generator?: Generator): Tensor {
    const eps = noise ?? randn(xStart.shape, { generator, backend: xStart.backend.name });
    sameShape('qSample', 'noise', eps, xStart);
    const T = this.tables;
    const out = tidy(() =>
      this.extract(T.sqrtAlphasCumprod, t, xStart.ndim).mul(xStart).add(this.extract(T.sqrtOneMinusAlphasCumprod, t, xStart.ndim).mul(eps)),
    );
    if (!noise) eps.dispose();
    return out;
  }

  /** q(x_{t−1} | x_t, x_0): `{mean, variance, logVarianceClipped}` (Ho et al. eqs. 6–7). */
  qPosterior(xStart: Tensor, xT: Tensor, t: Tensor): QPosterior {
    sameShape('qPosterior', 'xStart', xStart, xT);
    const T = this.tables;
    return tidy(() => ({
      mean: this.extract(T.posteriorMeanCoef1, t, xT.ndim).mul(xStart).add(this.extract(T.posteriorMeanCoef2, t, xT.ndim).mul(xT)),
      variance: this.extractFull(T.posteriorVariance, t, xT.shape),
      logVarianceClipped: this.extractFull(T.posteriorLogVarianceClipped, t, xT.shape),
    }));
  }

  /** x_0 from ε: `√(1/ᾱ_t)·x_t − √(1/ᾱ_t − 1)·ε`. */
  predictXstartFromEps(xT: Tensor, t: Tensor, eps: Tensor): Tensor {
    sameShape('predictXstartFromEps', 'eps', eps, xT);
    const T = this.tables;
    return tidy(() => this.extract(T.sqrtRecipAlphasCumprod, t, xT.ndim).mul(xT).sub(this.extract(T.sqrtRecipm1AlphasCumprod, t, xT.ndim).mul(eps)));
  }

  /** ε from x_0: `(√(1/ᾱ_t)·x_t − x_0) / √(1/ᾱ_t − 1)`. */
  predictEpsFromXstart(xT: Tensor, t: Tensor, predXstart: Tensor): Tensor {
    const T = this.tables;
    return tidy(() => this.extract(T.sqrtRecipAlphasCumprod, t, xT.ndim).mul(xT).sub(predXstart).div(this.extract(T.sqrtRecipm1AlphasCumprod, t, xT.ndim)));
  }

  // ---- the reverse process -------------------------------------------------------------------

  /**
   * Runs the model and returns p(x_{t−1} | x_t) with its x_0 prediction. With learned-range
   * variances the output's second half `v` interpolates the log-variance between
   * `posteriorLogVarianceClipped` and `log β` (this process's betas): `frac = (v + 1)/2`.
   */
  pMeanVariance(model: DiffusionModel, x: Tensor, t: Tensor, opts: PMeanVarianceOptions = {}): PMeanVariance {
    const [B, C] = x.shape as [number, number];
    if (x.ndim < 2) throw new ShapeError(`pMeanVariance: x must be [B, C, ...], got ${fmtShape(x.shape)}`);
    if (t.ndim !== 1 || t.shape[0] !== B) throw new ShapeError(`pMeanVariance: t must be [${B}], got ${fmtShape(t.shape)}`);
    const wrapped = this.wrapModel(model);
    const T = this.tables;
    return tidy(() => {
      let modelOutput = wrapped(x, t);
      let variance: Tensor;
      let logVariance: Tensor;
      if (this.modelVarType === 'learned' || this.modelVarType === 'learnedRange') {
        const expected = [B, 2 * C, ...x.shape.slice(2)];
        if (!sameDims(modelOutput.shape, expected)) {
          throw new ShapeError(`pMeanVariance: a learned-variance model must output ${fmtShape(expected)}, got ${fmtShape(modelOutput.shape)}`);
        }
        const [out, varValues] = modelOutput.split(C, 1) as [Tensor, Tensor];
        modelOutput = out;
        if (this.modelVarType === 'learned') {
          logVariance = varValues;
        } else {
          const minLog = this.extract(T.posteriorLogVarianceClipped, t, x.ndim);
          const maxLog = this.extract(T.logBetas, t, x.ndim);
          // v ∈ [−1, 1] spans [min_var, max_var].
          const frac = varValues.add(1).div(2);
          logVariance = frac.mul(maxLog).add(frac.neg().add(1).mul(minLog));
        }
        variance = logVariance.exp();
      } else {
        const fixedLarge = this.modelVarType === 'fixedLarge';
        variance = this.extractFull(fixedLarge ? T.fixedLargeVariance : T.posteriorVariance, t, x.shape);
        logVariance = this.extractFull(fixedLarge ? T.fixedLargeLogVariance : T.posteriorLogVarianceClipped, t, x.shape);
      }
      const process = (x0: Tensor): Tensor => {
        const d = opts.denoisedFn ? opts.denoisedFn(x0) : x0;
        return (opts.clipDenoised ?? true) ? d.clamp(-1, 1) : d;
      };
      sameShape('pMeanVariance', 'model output', modelOutput, x);
      const predXstart = process(this.modelMeanType === 'startX' ? modelOutput : this.predictXstartFromEps(x, t, modelOutput));
      const mean = this.qPosterior(predXstart, x, t).mean;
      return { mean, variance, logVariance, predXstart };
    });
  }

  /** Sohl-Dickstein et al. 2015 guidance: the mean shifted by `variance · condFn(x, t)`. */
  conditionMean(condFn: CondFn, out: PMeanVariance, x: Tensor, t: Tensor): Tensor {
    const fn = this.wrapCondFn(condFn);
    return tidy(() => out.mean.add(out.variance.mul(fn(x, t))));
  }

  /** Song et al. 2020 guidance: ε shifted by `−√(1 − ᾱ_t)·condFn(x, t)`, x_0 and the mean recomputed. */
  conditionScore(condFn: CondFn, out: PMeanVariance, x: Tensor, t: Tensor): PMeanVariance {
    const fn = this.wrapCondFn(condFn);
    return tidy(() => {
      const alphaBar = this.extract(this.tables.alphasCumprod, t, x.ndim);
      const eps = this.predictEpsFromXstart(x, t, out.predXstart).sub(alphaBar.neg().add(1).sqrt().mul(fn(x, t)));
      const predXstart = this.predictXstartFromEps(x, t, eps);
      return { ...out, predXstart, mean: this.qPosterior(predXstart, x, t).mean };
    });
  }

  /** The guidance function as this process calls it (timesteps mapped when respaced). */
  protected wrapCondFn(condFn: CondFn): CondFn {
    return this.wrapModel(condFn);
  }

  // ---- training ------------------------------------------------------------------------------

  /**
   * One term of the variational bound, in bits per dim: KL(q(x_{t−1}|x_t,x_0) ‖ p(x_{t−1}|x_t)),
   * or at t = 0 the discretized Gaussian decoder NLL. `output` is `[B]`.
   */
  vbTermsBpd(model: DiffusionModel, xStart: Tensor, xT: Tensor, t: Tensor, clipDenoised = true): VbTerms {
    return tidy(() => {
      const trueP = this.qPosterior(xStart, xT, t);
      const out = this.pMeanVariance(model, xT, t, { clipDenoised });
      const kl = meanFlat(normalKl(trueP.mean, trueP.logVarianceClipped, out.mean, out.logVariance)).div(Math.LN2);
      const decoderNll = meanFlat(discretizedGaussianLogLikelihood(xStart, out.mean, out.logVariance.mul(0.5)).neg()).div(Math.LN2);
      const output = where(this.checkTimesteps('vbTermsBpd', t).eq(0), decoderNll, kl);
      return { output, predXstart: out.predXstart };
    });
  }

  /**
   * The training loss for timesteps `t` (DiT `training_losses`). MSE: `mean((target − ε̂)²)`; with
   * learned variances plus the VB term, computed from `[stopgrad(ε̂), v]` so that only the variance
   * channels learn from it. Returns per-sample `[B]` terms; the trainer takes the batch mean.
   */
  trainingLosses(model: DiffusionModel, xStart: Tensor, t: Tensor, opts: { noise?: Tensor; generator?: Generator } = {}): TrainingLosses {
    const wrapped = this.wrapModel(model);
    const noise = opts.noise ?? randn(xStart.shape, { generator: opts.generator, backend: xStart.backend.name });
    sameShape('trainingLosses', 'noise', noise, xStart);
    const result = tidy((): TrainingLosses => {
      const xT = this.qSample(xStart, t, noise);
      if (this.lossType === 'kl' || this.lossType === 'rescaledKl') {
        const vb = this.vbTermsBpd(wrapped, xStart, xT, t, false).output;
        return { loss: this.lossType === 'rescaledKl' ? vb.mul(this.numTimesteps) : vb };
      }
      let modelOutput = wrapped(xT, t);
      let vb: Tensor | undefined;
      if (this.modelVarType === 'learned' || this.modelVarType === 'learnedRange') {
        const [B, C] = xT.shape as [number, number];
        const expected = [B, 2 * C, ...xT.shape.slice(2)];
        if (!sameDims(modelOutput.shape, expected)) {
          throw new ShapeError(`trainingLosses: a learned-variance model must output ${fmtShape(expected)}, got ${fmtShape(modelOutput.shape)}`);
        }
        const [eps, varValues] = modelOutput.split(C, 1) as [Tensor, Tensor];
        modelOutput = eps;
        // Learn the variance from the bound without letting it move the mean prediction.
        const frozen = cat([eps.detach(), varValues], 1);
        vb = this.vbTermsBpd(() => frozen, xStart, xT, t, false).output;
        if (this.lossType === 'rescaledMse') vb = vb.mul(this.numTimesteps / 1000);
      }
      const target =
        this.modelMeanType === 'epsilon' ? noise : this.modelMeanType === 'startX' ? xStart : this.qPosterior(xStart, xT, t).mean;
      sameShape('trainingLosses', 'model output', modelOutput, target);
      const mse = meanFlat(target.sub(modelOutput).square());
      return vb ? { loss: mse.add(vb), mse, vb } : { loss: mse, mse };
    });
    if (!opts.noise) noise.dispose();
    return result;
  }

  /** KL(q(x_{T−1} | x_0) ‖ N(0, I)) in bits per dim, `[B]`: the prior term of the bound. */
  priorBpd(xStart: Tensor): Tensor {
    return tidy(() => {
      const B = xStart.shape[0]!;
      const t = tensor(new Int32Array(B).fill(this.numTimesteps - 1), { backend: xStart.backend.name });
      const q = this.qMeanVariance(xStart, t);
      const zero = q.mean.mul(0);
      return meanFlat(normalKl(q.mean, q.logVariance, zero, zero)).div(Math.LN2);
    });
  }

  // ---- sampling (samplers.ts) ----------------------------------------------------------------

  /** One ancestral step x_t → x_{t−1}: `mean + [t≠0]·exp(½·logσ²)·z`. */
  pSample(model: DiffusionModel, x: Tensor, t: Tensor, opts: samplers.StepOptions = {}): samplers.StepResult {
    return samplers.pSample(this, model, x, t, opts);
  }

  /** The DDPM ancestral loop over every step of this process, from `noise` (or a fresh draw). */
  pSampleLoop(model: DiffusionModel, shape: readonly number[], opts: samplers.LoopOptions = {}): Tensor {
    return samplers.pSampleLoop(this, model, shape, opts);
  }

  /** One DDIM step (Song et al. 2021 eq. 12) with stochasticity `eta` (0 = deterministic). */
  ddimSample(model: DiffusionModel, x: Tensor, t: Tensor, opts: samplers.DdimStepOptions = {}): samplers.StepResult {
    return samplers.ddimSample(this, model, x, t, opts);
  }

  /** One reverse-DDIM step x_t → x_{t+1} (deterministic; eta must be 0). */
  ddimReverseSample(model: DiffusionModel, x: Tensor, t: Tensor, opts: samplers.DdimStepOptions = {}): samplers.StepResult {
    return samplers.ddimReverseSample(this, model, x, t, opts);
  }

  /** The DDIM loop over every step of this process. */
  ddimSampleLoop(model: DiffusionModel, shape: readonly number[], opts: samplers.DdimLoopOptions = {}): Tensor {
    return samplers.ddimSampleLoop(this, model, shape, opts);
  }

  /** Reverse DDIM from data `x` at t = 0 up to the last step (DDIM inversion); not in the reference. */
  ddimReverseSampleLoop(model: DiffusionModel, x: Tensor, opts: samplers.DdimLoopOptions = {}): Tensor {
    return samplers.ddimReverseSampleLoop(this, model, x, opts);
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function sameShape(op: string, what: string, a: Tensor, b: Tensor): void {
  if (!sameDims(a.shape, b.shape)) throw new ShapeError(`${op}: ${what} ${fmtShape(a.shape)} must match x ${fmtShape(b.shape)}`);
}
