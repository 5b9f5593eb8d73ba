/**
 * Timestep samplers for training (DiT `diffusion/timestep_sampler.py`, from improved-diffusion):
 * draw t with probabilities p_t ∝ w_t and return importance weights 1/(T·p_t), so that the
 * weighted loss is an unbiased estimate of the uniform-t loss. DiT's train.py itself draws t
 * uniformly with `randint` and does not use a sampler.
 * @module
 */
import { ArgumentError, type Generator, type Tensor, defaultGenerator, tensor } from '@tessera/tensor';

/** What a sampler needs of the process. */
export interface HasNumTimesteps {
  /** Number of diffusion steps T. */
  readonly numTimesteps: number;
}

/** Sampled timesteps with their importance weights. */
export interface TimestepSample {
  /** int32 timesteps, one per sample. */
  timesteps: Tensor;
  /** Weights that make the loss an unbiased estimate (all 1 for uniform sampling). */
  weights: Tensor;
}

/** Options of `ScheduleSampler.sample`. */
export interface SampleTimestepsOptions {
  /** Random source (default: the global generator). */
  generator?: Generator;
  /** Backend for the returned tensors (default: the active one). */
  backend?: string;
}

/** A distribution over timesteps. */
export abstract class ScheduleSampler {
  /** Unnormalised, non-negative weights, one per timestep. */
  abstract weights(): Float64Array;

  /**
   * Draws `batchSize` timesteps: `timesteps` int32 `[B]` and importance `weights` float32 `[B]`
   * (`1/(T·p_t)`; all 1 for the uniform sampler).
   */
  sample(batchSize: number, opts: SampleTimestepsOptions = {}): TimestepSample {
    const w = this.weights();
    let total = 0;
    for (const v of w) total += v;
    if (!(total > 0)) throw new ArgumentError('ScheduleSampler: the weights sum to zero');
    const p = w.map((v) => v / total);
    const cdf = new Float64Array(p.length);
    let acc = 0;
    p.forEach((v, i) => (cdf[i] = acc += v));
    const g = opts.generator ?? defaultGenerator;
    const idx = new Int32Array(batchSize);
    const iw = new Float32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      const u = g.uniform() * acc;
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      idx[b] = lo;
      iw[b] = 1 / (p.length * p[lo]!);
    }
    const backend = opts.backend;
    return { timesteps: tensor(idx, { backend }), weights: tensor(iw, { backend }) };
  }
}

/** p_t = 1/T. */
export class UniformSampler extends ScheduleSampler {
  private readonly w: Float64Array;

  constructor(diffusion: HasNumTimesteps) {
    super();
    this.w = new Float64Array(diffusion.numTimesteps).fill(1);
  }

  weights(): Float64Array {
    return this.w;
  }
}

/**
 * Importance sampling by the loss's second moment (Nichol & Dhariwal 2021 §3.3): uniform until
 * every step has `history` recorded losses, then `w_t = √mean(loss_t²)` normalised and mixed with
 * `uniformProb` of the uniform distribution.
 */
export class LossSecondMomentResampler extends ScheduleSampler {
  private readonly T: number;
  private readonly history: Float64Array[];
  private readonly counts: Int32Array;

  constructor(
    diffusion: HasNumTimesteps,
    /** Losses remembered per timestep before importance sampling starts. */
    readonly historyPerTerm = 10,
    /** Probability mass mixed in from the uniform distribution. */
    readonly uniformProb = 0.001,
  ) {
    super();
    this.T = diffusion.numTimesteps;
    this.history = Array.from({ length: this.T }, () => new Float64Array(historyPerTerm));
    this.counts = new Int32Array(this.T);
  }

  /** Whether every timestep has a full history. */
  warmedUp(): boolean {
    return this.counts.every((c) => c === this.historyPerTerm);
  }

  weights(): Float64Array {
    if (!this.warmedUp()) return new Float64Array(this.T).fill(1);
    const w = this.history.map((h) => Math.sqrt(h.reduce((s, v) => s + v * v, 0) / h.length));
    const total = w.reduce((s, v) => s + v, 0);
    return Float64Array.from(w, (v) => (v / total) * (1 - this.uniformProb) + this.uniformProb / this.T);
  }

  /** Records per-sample losses for their timesteps (the reference's `update_with_all_losses`). */
  updateWithAllLosses(timesteps: ArrayLike<number>, losses: ArrayLike<number>): void {
    for (let i = 0; i < timesteps.length; i++) {
      const t = timesteps[i]!;
      const h = this.history[t]!;
      if (this.counts[t] === this.historyPerTerm) {
        h.copyWithin(0, 1);
        h[h.length - 1] = losses[i]!;
      } else {
        h[this.counts[t]!] = losses[i]!;
        this.counts[t]!++;
      }
    }
  }
}

/** The reference's `create_named_schedule_sampler`: `'uniform'` or `'loss-second-moment'`. */
export function createNamedScheduleSampler(name: 'uniform' | 'loss-second-moment', diffusion: HasNumTimesteps): ScheduleSampler {
  if (name === 'uniform') return new UniformSampler(diffusion);
  if (name === 'loss-second-moment') return new LossSecondMomentResampler(diffusion);
  throw new ArgumentError(`createNamedScheduleSampler: unknown sampler '${String(name)}'`);
}
