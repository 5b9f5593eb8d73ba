/**
 * Two spirals with an MLP: `nn.Linear` + `tanh`, trained full-batch with Adam and cross-entropy
 * on the cpu backend, until every training point is classified correctly.
 *
 *     npx tsx --tsconfig tsconfig.test.json examples/spirals.ts [--points 100] [--steps 3000]
 *
 * (`--tsconfig tsconfig.test.json` maps `@tessera/*` to the TypeScript sources, so no build is
 * needed; after `npm run build`, `npx tsx examples/spirals.ts` works as well.)
 *
 * `train(opts)` is what `examples/examples.test.ts` runs, at a size that takes a few seconds.
 * @module
 */
import { pathToFileURL } from 'node:url';
import { type Tensor, manualSeed, oneHot, setBackend, tidy } from '@tessera/tensor';
import { nn, noGrad, optim } from '@tessera/autograd';
import { Progress } from '@tessera/autograd/node';
import { type Dataset, twoSpirals } from './data.js';

/** Options of `train`. */
export interface SpiralsOptions {
  /** Points per spiral (default 100). */
  pointsPerClass?: number;
  /** Turns of each spiral (default 2). */
  turns?: number;
  /** Hidden width of the two hidden layers (default 64). */
  hidden?: number;
  /** Maximum number of Adam steps (default 3000). */
  steps?: number;
  /** Peak learning rate (default 0.01), annealed by a cosine over `steps`. */
  lr?: number;
  /** Stop as soon as the training accuracy reaches 100% (checked every 25 steps; default true). */
  earlyStop?: boolean;
  /** Seed of the data and of the initialisation (default 0). */
  seed?: number;
  /** Show a progress bar (default: when stderr is a TTY and CI is unset). */
  progress?: boolean;
}

/** What `train` returns. */
export interface SpiralsResult {
  /** Fraction of training points classified correctly at the end. */
  trainAccuracy: number;
  /** Cross-entropy at the last step. */
  finalLoss: number;
  /** Steps taken. */
  steps: number;
  /** Wall time of the training loop, seconds. */
  seconds: number;
}

/** The classifier: 2 → hidden → hidden → 2, tanh between. */
export function makeModel(hidden: number): nn.Sequential {
  return new nn.Sequential(new nn.Linear(2, hidden), new nn.Tanh(), new nn.Linear(hidden, hidden), new nn.Tanh(), new nn.Linear(hidden, 2));
}

/** Mean cross-entropy of `logits` [n, c] against one-hot `targets` [n, c]. */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  return logits.logSoftmax(-1).mul(targets).sum(-1).mean().neg();
}

/** Fraction of rows whose argmax is the label. */
export function accuracy(model: nn.Sequential | { forward(x: Tensor): Tensor }, data: Dataset): number {
  return noGrad(() => tidy(() => model.forward(data.x).argmax(-1).eq(data.y).cast('float32').mean().item()));
}

/** Trains the MLP on two spirals; returns the training accuracy. */
export function train(opts: SpiralsOptions = {}): SpiralsResult {
  setBackend('cpu');
  const seed = opts.seed ?? 0;
  const steps = opts.steps ?? 3000;
  manualSeed(seed);
  const data = twoSpirals({ pointsPerClass: opts.pointsPerClass ?? 100, turns: opts.turns ?? 2, seed });
  const targets = tidy(() => oneHot(data.y, 2).cast('float32'));
  const model = makeModel(opts.hidden ?? 64);
  const opt = new optim.Adam(model.parameters(), { lr: opts.lr ?? 0.01 });
  const sched = new optim.CosineAnnealingLR(opt, { tMax: steps, etaMin: 0 });
  const bar = new Progress({ total: steps, label: 'spirals', unit: 'step', enabled: opts.progress });
  const t0 = performance.now();
  let loss = NaN;
  let step = 0;
  let acc = 0;
  while (step < steps) {
    loss = tidy(() => {
      const l = crossEntropy(model.forward(data.x), targets);
      l.backward();
      return l.item();
    });
    opt.step();
    opt.zeroGrad();
    sched.step();
    step++;
    if (step % 25 === 0 || step === steps) {
      acc = accuracy(model, data);
      bar.update(step, { loss, acc });
      if ((opts.earlyStop ?? true) && acc === 1) break;
    }
  }
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  acc = accuracy(model, data);
  opt.disposeState();
  model.dispose();
  targets.dispose();
  data.x.dispose();
  data.y.dispose();
  return { trainAccuracy: acc, finalLoss: loss, steps: step, seconds };
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = train({ pointsPerClass: arg('points', 100), steps: arg('steps', 3000), hidden: arg('hidden', 64), seed: arg('seed', 0) });
  console.log(`two spirals: training accuracy ${(100 * r.trainAccuracy).toFixed(1)}% after ${r.steps} steps ` + `(loss ${r.finalLoss.toFixed(4)}, ${r.seconds.toFixed(1)} s)`);
}
