/**
 * A training loop for video classifiers (any ViViT variant): AdamW, a linear warm-up then cosine
 * decay of the learning rate (`optim.warmupCosine`), cross-entropy on a fresh batch per step, and
 * held-out accuracy. Each step runs in a `tidy` scope, so the batch, the graph and the gradients'
 * temporaries are freed when it ends.
 * @module
 */
import { ArgumentError, type Tensor, tidy } from '@tessera/tensor';
import { nn, noGrad, optim } from '@tessera/autograd';
import { accuracy, crossEntropy } from './loss.js';

/** A model that maps videos `[B, T, C, H, W]` to logits `[B, classes]`. */
export type VideoClassifier = nn.Module & {
  /** Videos `[B, T, C, H, W]` → logits `[B, classes]`. */
  forward(video: Tensor): Tensor;
};

/** One training batch. */
export interface VideoBatch {
  /** Videos `[B, T, C, H, W]`. */
  x: Tensor;
  /** int32 class labels `[B]`. */
  y: Tensor;
}

/** Options of `trainClassifier`. */
export interface TrainClassifierOptions {
  /** Number of optimizer steps. */
  steps: number;
  /**
   * The batch of step `step`: videos and int32 labels. Called inside the step's `tidy` scope, so
   * what it creates is freed after the step.
   */
  batch: (step: number) => VideoBatch;
  /** Peak learning rate (default 2e-3). */
  lr?: number;
  /** Steps of linear warm-up from 0 before the cosine decay to 0 (default 5% of `steps`). */
  warmupSteps?: number;
  /** AdamW's decoupled weight decay (default 0). */
  weightDecay?: number;
  /**
   * Called after each step with its index and the loss; the loss tensor lives only during the
   * call (read it with `item()` there, e.g. every few steps).
   */
  onStep?: (step: number, loss: Tensor) => void;
}

/** Trains `model` in place (it is left in training mode). */
export function trainClassifier(model: VideoClassifier, opts: TrainClassifierOptions): void {
  const steps = opts.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new ArgumentError(`trainClassifier: steps must be an integer >= 1, got ${String(steps)}`);
  const opt = new optim.AdamW(model.parameters(), { lr: opts.lr ?? 2e-3, weightDecay: opts.weightDecay ?? 0 });
  const warmup = Math.min(opts.warmupSteps ?? Math.round(0.05 * steps), steps - 1);
  const schedule = steps > 1 ? optim.warmupCosine(opt, { warmupSteps: warmup, totalSteps: steps }) : null;
  model.train();
  try {
    for (let step = 0; step < steps; step++) {
      tidy(() => {
        const { x, y } = opts.batch(step);
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        opts.onStep?.(step, loss);
      });
      schedule?.step();
    }
  } finally {
    opt.zeroGrad();
    opt.disposeState();
  }
}

/** Accuracy of `model` on videos `x` with labels `y`, in eval mode and batches of `batchSize`; restores the mode. */
export function evaluateClassifier(model: VideoClassifier, x: Tensor, y: Tensor, batchSize = 64): number {
  const n = x.shape[0] ?? 0;
  if (n === 0) return 0;
  const wasTraining = model.training;
  model.eval();
  try {
    let hits = 0;
    for (let i = 0; i < n; i += batchSize) {
      const m = Math.min(batchSize, n - i);
      hits += tidy(() => noGrad(() => accuracy(model.forward(x.narrow(0, i, m)), y.narrow(0, i, m)))) * m;
    }
    return hits / n;
  } finally {
    model.train(wasTraining);
  }
}
