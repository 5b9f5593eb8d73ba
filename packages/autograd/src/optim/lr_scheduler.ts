/**
 * Learning-rate schedules, PyTorch's `torch.optim.lr_scheduler` (1.13) in closed form.
 *
 * A scheduler owns a counter `lastEpoch` (really: steps, if you call `step()` once per optimizer
 * step) and sets `lr` of every group of its optimizer to `lrAt(lastEpoch, baseLr)`, where `baseLr`
 * is the group's `initialLr` (set from `lr` by the first scheduler attached, as PyTorch's
 * `initial_lr`). Construction performs the first step (`lastEpoch` -1 -> 0), so the optimizer starts
 * at the schedule's value at 0; then call `scheduler.step()` after each `optimizer.step()`.
 *
 * PyTorch computes most schedules recursively from the group's current lr ("chainable form") and
 * uses these closed forms only when `step(epoch)` is given; the two agree up to floating-point
 * rounding (about 1e-16 relative) for every schedule here when each scheduler runs alone or inside
 * SequentialLR. Stacking several independent schedulers on one optimizer (PyTorch's implicit
 * multiplicative chaining) is not supported: compose with `SequentialLR` or a `LambdaLR` instead.
 * @module
 */
import { ArgumentError } from '@tessera/tensor';
import { type Optimizer } from './optimizer.js';

/** An optimizer of any kind (schedulers only touch `paramGroups[i].lr` and `initialLr`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any>;

/** A scheduler's state dict. */
export interface LRSchedulerState {
  /** The step count. */
  lastEpoch: number;
  /** Each group's base learning rate. */
  baseLrs: number[];
  /** The learning rates the last step set. */
  lastLr: number[];
}

/** Base of the schedulers: subclasses give `lrAt`. */
export abstract class LRScheduler {
  /** The step count: 0 after construction, +1 per `step()`. */
  lastEpoch: number;
  /** Each group's base learning rate (its `initialLr`). */
  baseLrs: number[];
  private lastLr: number[] = [];

  /**
   * @param optimizer the optimizer whose groups' `lr` this sets
   * @param lastEpoch the index of the last step taken, to resume (-1 to start; resuming needs
   *   `initialLr` on every group, as in PyTorch)
   */
  constructor(
    readonly optimizer: AnyOptimizer,
    lastEpoch = -1,
  ) {
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr;
      else if (g.initialLr === undefined) throw new ArgumentError(`${this.constructor.name}: initialLr is not set in paramGroups[${i}] when resuming (lastEpoch ${lastEpoch})`);
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** The learning rate at step `epoch` of a group whose base rate is `baseLr`. */
  abstract lrAt(epoch: number, baseLr: number, groupIndex: number): number;

  /** Subclasses call this at the end of their constructor: PyTorch's initial step. */
  protected initialStep(): void {
    this.step();
  }

  /** Advances one step and sets each group's `lr`. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** Sets each group's lr for the current `lastEpoch`. */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!, i)));
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates the last step set, one per group (PyTorch's `get_last_lr`). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The counter and base rates (JSON-serialisable). */
  stateDict(): LRSchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  /** Restores `stateDict()` and sets the groups' lr to the schedule's value at `lastEpoch`. */
  loadStateDict(sd: LRSchedulerState): void {
    if (sd.baseLrs.length !== this.optimizer.paramGroups.length) {
      throw new ArgumentError(`${this.constructor.name}.loadStateDict: ${sd.baseLrs.length} base rates for ${this.optimizer.paramGroups.length} groups`);
    }
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.apply();
  }
}

/** `lr = baseLr · lrLambda(epoch)` (one function, or one per group). */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];

  /**
   * @param optimizer the optimizer
   * @param lrLambda the multiplicative factor as a function of the step, or one per group
   * @param lastEpoch see `LRScheduler`
   */
  constructor(optimizer: AnyOptimizer, lrLambda: ((epoch: number) => number) | readonly ((epoch: number) => number)[], lastEpoch = -1) {
    super(optimizer, lastEpoch);
    const n = optimizer.paramGroups.length;
    if (typeof lrLambda === 'function') this.lambdas = Array.from({ length: n }, () => lrLambda);
    else if (lrLambda.length !== n) throw new ArgumentError(`LambdaLR: expected ${n} lrLambdas, but got ${lrLambda.length}`);
    else this.lambdas = [...lrLambda];
    this.initialStep();
  }

  lrAt(epoch: number, baseLr: number, groupIndex: number): number {
    return baseLr * this.lambdas[groupIndex]!(epoch);
  }
}

/**
 * Linear warm-up (or decay) of the factor from `startFactor` to `endFactor` over `totalIters` steps,
 * then constant: `baseLr · (s + (e - s)·min(t, T)/T)`. PyTorch defaults: 1/3, 1, 5.
 */
export class LinearLR extends LRScheduler {
  /** The factor at step 0. */
  readonly startFactor: number;
  /** The factor from step `totalIters` on. */
  readonly endFactor: number;
  /** Length of the ramp, in steps. */
  readonly totalIters: number;

  /**
   * @param optimizer the optimizer
   * @param opts `startFactor` (default 1/3), `endFactor` (default 1), `totalIters` (default 5), `lastEpoch`
   */
  constructor(optimizer: AnyOptimizer, opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    this.totalIters = opts.totalIters ?? 5;
    if (!(this.startFactor >= 0 && this.startFactor <= 1)) throw new ArgumentError('LinearLR: starting multiplicative factor expected to be between 0 and 1');
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new ArgumentError('LinearLR: ending multiplicative factor expected to be between 0 and 1');
    if (!(Number.isInteger(this.totalIters) && this.totalIters > 0)) throw new ArgumentError(`LinearLR: totalIters must be a positive integer, got ${this.totalIters}`);
    this.initialStep();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters);
  }
}

/** Decays by `gamma` every `stepSize` steps: `baseLr · gamma^⌊t / stepSize⌋`. */
export class StepLR extends LRScheduler {
  /** Steps between decays. */
  readonly stepSize: number;
  /** The decay factor. */
  readonly gamma: number;

  /**
   * @param optimizer the optimizer
   * @param opts `stepSize`, `gamma` (default 0.1), `lastEpoch`
   */
  constructor(optimizer: AnyOptimizer, opts: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    if (!(Number.isInteger(opts.stepSize) && opts.stepSize > 0)) throw new ArgumentError(`StepLR: stepSize must be a positive integer, got ${opts.stepSize}`);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** Decays by `gamma` at each milestone: `baseLr · gamma^(number of milestones ≤ t)`. */
export class MultiStepLR extends LRScheduler {
  /** The steps at which the lr decays, sorted. */
  readonly milestones: number[];
  /** The decay factor. */
  readonly gamma: number;

  /**
   * @param optimizer the optimizer
   * @param opts `milestones` (repeats decay twice), `gamma` (default 0.1), `lastEpoch`
   */
  constructor(optimizer: AnyOptimizer, opts: { milestones: readonly number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** bisectRight(this.milestones, epoch);
  }
}

/** `baseLr · gamma^t`. */
export class ExponentialLR extends LRScheduler {
  /** The decay factor per step. */
  readonly gamma: number;

  /**
   * @param optimizer the optimizer
   * @param opts `gamma`, `lastEpoch`
   */
  constructor(optimizer: AnyOptimizer, opts: { gamma: number; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    this.gamma = opts.gamma;
    this.initialStep();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** epoch;
  }
}

/**
 * Cosine annealing (Loshchilov & Hutter, SGDR, eq. 5, without restarts):
 * `etaMin + (baseLr - etaMin)·(1 + cos(π·t / tMax))/2`. Past `tMax` it keeps following the cosine
 * (back up towards baseLr), as PyTorch's does.
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Steps from the base lr down to `etaMin` (half a period). */
  readonly tMax: number;
  /** The minimum lr. */
  readonly etaMin: number;

  /**
   * @param optimizer the optimizer
   * @param opts `tMax`, `etaMin` (default 0), `lastEpoch`
   */
  constructor(optimizer: AnyOptimizer, opts: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    if (!(opts.tMax > 0)) throw new ArgumentError(`CosineAnnealingLR: tMax must be positive, got ${opts.tMax}`);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    this.initialStep();
  }

  lrAt(epoch: number, baseLr: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/**
 * Runs `schedulers` one after another, switching at `milestones` (one fewer than schedulers); each
 * scheduler sees the step count since its own start, as PyTorch's SequentialLR (which restarts the
 * next scheduler with `step(0)` at its milestone).
 *
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: 100 });
 * const cosine = new CosineAnnealingLR(opt, { tMax: 900, etaMin: 1e-5 });
 * const sched = new SequentialLR(opt, [warmup, cosine], [100]);
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** The schedulers, in order. */
  readonly schedulers: LRScheduler[];
  /** The steps at which the next scheduler takes over. */
  readonly milestones: number[];

  /**
   * @param optimizer the optimizer (every scheduler must belong to it)
   * @param schedulers the schedules to run one after another
   * @param milestones the step at which each next scheduler starts (one fewer than schedulers)
   * @param lastEpoch see `LRScheduler`
   */
  constructor(optimizer: AnyOptimizer, schedulers: readonly LRScheduler[], milestones: readonly number[], lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (schedulers.length === 0) throw new ArgumentError('SequentialLR: expected at least one scheduler');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new ArgumentError(`SequentialLR: expects all schedulers to belong to the same optimizer, but scheduler ${i} has another`);
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(`SequentialLR: expects one milestone fewer than schedulers, got ${schedulers.length} schedulers and ${milestones.length} milestones`);
    }
    if (milestones.some((m, i) => i > 0 && m < milestones[i - 1]!)) throw new ArgumentError(`SequentialLR: milestones must be increasing, got ${milestones.join(', ')}`);
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.initialStep();
  }

  lrAt(epoch: number, baseLr: number, groupIndex: number): number {
    const idx = bisectRight(this.milestones, epoch);
    const start = idx > 0 ? this.milestones[idx - 1]! : 0;
    const s = this.schedulers[idx]!;
    s.lastEpoch = epoch - start;
    return s.lrAt(epoch - start, baseLr, groupIndex);
  }
}

/**
 * Linear warm-up from `startFactor·lr` to `lr` over `warmupSteps`, then cosine annealing to `etaMin`
 * at `totalSteps`: `SequentialLR([LinearLR, CosineAnnealingLR], [warmupSteps])`.
 */
export function warmupCosine(
  optimizer: AnyOptimizer,
  opts: { warmupSteps: number; totalSteps: number; startFactor?: number; etaMin?: number },
): SequentialLR {
  if (!(opts.totalSteps > opts.warmupSteps)) throw new ArgumentError(`warmupCosine: totalSteps (${opts.totalSteps}) must exceed warmupSteps (${opts.warmupSteps})`);
  const tail = new CosineAnnealingLR(optimizer, { tMax: opts.totalSteps - opts.warmupSteps, etaMin: opts.etaMin ?? 0 });
  if (opts.warmupSteps <= 0) return new SequentialLR(optimizer, [tail], []);
  const warm = new LinearLR(optimizer, { startFactor: opts.startFactor ?? 0, endFactor: 1, totalIters: opts.warmupSteps });
  return new SequentialLR(optimizer, [warm, tail], [opts.warmupSteps]);
}

/** The number of elements of sorted `xs` that are ≤ x (Python's `bisect_right`). */
function bisectRight(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < xs[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
