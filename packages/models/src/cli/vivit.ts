/**
 * `tessera vivit train` and `tessera vivit eval`: ViViT's factorised encoder (rishikksh20's model,
 * here with tubelet embedding) learns in which of 8 directions a square moves, on synthetic clips
 * of 8 frames of 32×32 (`motionVideos`: random start, size, brightness and speed, a static
 * distractor square, Gaussian noise). Every step draws a fresh batch; accuracy is measured on
 * held-out clips from a seed the training stream never uses (1; the input statistics come from
 * seed 2, the training stream from 1 000 000 up). The default run reaches >= 95%.
 *
 * The checkpoint's metadata holds the model's options and the input statistics, so `vivit eval`
 * rebuilds the model and standardises its clips exactly as training did.
 *
 * `trainMotion` is the loop; `examples/vivit-train.ts` calls it too.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Generator, type Tensor, getBackend, tidy } from '@tessera/tensor';
import { noGrad } from '@tessera/autograd';
import { Progress, loadModuleFile, saveModuleFile } from '@tessera/autograd/node';
import { ViViT } from '../vivit/factorised-encoder.js';
import { type ViViTOptions } from '../vivit/options.js';
import { trainClassifier } from '../vivit/train.js';
import { motionStats, motionVideos } from '../data/motion.js';
import { type CommandSpec, HELP, UsageError, formatHelp, parseOptions } from './args.js';
import { BACKEND_OPTIONS, useBackend } from './backend.js';
import { type CommandContext } from './context.js';
import { readModelConfig } from './checkpoint.js';

/** Options of `trainMotion`. */
export interface MotionTrainOptions {
  /** Optimizer steps (default 1500). */
  steps?: number;
  /** Fresh clips per step (default 32). */
  batch?: number;
  /** Peak learning rate of AdamW, after a linear warm-up, cosine-decayed to 0 (default 2e-3). */
  lr?: number;
  /** Frames per tubelet; 0 for per-frame patches (default 2). */
  tubelet?: number;
  /** Token width (default 32). */
  dim?: number;
  /** Layers of each of the two transformers (default 1). */
  depth?: number;
  /** Held-out clips (default 1024). */
  test?: number;
  /** Seed of the weights and of the training stream (default 0). */
  seed?: number;
  /** Frames per clip (default 8). */
  frames?: number;
  /** Frame height and width (default 32). */
  size?: number;
  /** Draw a progress bar and log lines (default true). */
  verbose?: boolean;
  /** Where log lines go when verbose (default `console.log`). */
  log?: (line: string) => void;
  /** Where the bar draws (default stderr; it draws only on a TTY with CI unset). */
  progressStream?: NodeJS.WriteStream;
  /** Write the trained weights here (safetensors, atomically, with what `vivit eval` needs). */
  save?: string;
}

/** What a ViViT checkpoint's metadata records besides the weights. */
export interface MotionCheckpointConfig {
  /** The model's constructor options. */
  model: Omit<ViViTOptions, 'generator' | 'backend'>;
  /** The standardisation of the inputs: `(x − mean) / std`. */
  mean: number;
  /** See `mean`. */
  std: number;
}

/**
 * Accuracy of a classifier on `x` with labels `labels`, in eval mode and batches of `batchSize`,
 * on any backend: logits are read with `await data()`, so reads that wait (webgpu) work too.
 */
export async function heldOutAccuracy(model: ViViT, x: Tensor, labels: ArrayLike<number>, batchSize = 64): Promise<number> {
  const n = labels.length;
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  try {
    for (let i = 0; i < n; i += batchSize) {
      const b = Math.min(batchSize, n - i);
      const logits = noGrad(() => tidy(() => model.forward(x.narrow(0, i, b))));
      const v = await logits.data();
      logits.dispose();
      const k = v.length / b;
      for (let r = 0; r < b; r++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (v[r * k + c]! > v[r * k + best]!) best = c;
        if (best === labels[i + r]) correct++;
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return n ? correct / n : 0;
}

/** What `trainMotion` returns. */
export interface MotionTrainResult {
  /** Held-out accuracy in [0, 1]. */
  accuracy: number;
  /** Wall time of the training loop, seconds. */
  seconds: number;
  /** Parameters of the model. */
  parameters: number;
}

/** Trains and evaluates; returns the held-out accuracy and the training time. */
export async function trainMotion(opts: MotionTrainOptions = {}): Promise<MotionTrainResult> {
  const steps = opts.steps ?? 1500;
  const batchSize = opts.batch ?? 32;
  const tubelet = opts.tubelet ?? 2;
  const seed = opts.seed ?? 0;
  const verbose = opts.verbose ?? true;
  const log = verbose ? (opts.log ?? console.log) : () => {};
  const data = { frames: opts.frames ?? 8, size: opts.size ?? 32, channels: 1 };

  // Inputs are standardised with statistics of a separate sample (as one would with a real set),
  // computed on the cpu backend (it reads the pixels synchronously).
  const { mean, std } = motionStats({ ...data, seed: 2, backend: 'cpu' }, 256);
  const held = motionVideos({ ...data, n: opts.test ?? 1024, seed: 1 });
  const testX = held.x.sub(mean).div(std);
  const config: MotionCheckpointConfig['model'] = {
    imageSize: data.size,
    patchSize: 8,
    numFrames: data.frames,
    numClasses: held.numClasses,
    inChannels: 1,
    dim: opts.dim ?? 32,
    depth: opts.depth ?? 1,
    heads: 2,
    dimHead: 16,
    scaleDim: 2,
    ...(tubelet > 0 ? { tubeletSize: tubelet } : {}),
  };
  const model = new ViViT({ ...config, generator: new Generator(seed) });
  const embedding = tubelet > 0 ? `tubelets ${tubelet}x8x8` : '8x8 patches per frame';
  log(`ViViT factorised encoder (${embedding}), ${model.numParameters()} parameters`);
  log(`training: ${steps} steps of ${batchSize} fresh clips, AdamW lr ${opts.lr ?? 2e-3} (warm-up, cosine); held-out: ${held.labels.length} clips`);

  const bar = new Progress({ total: steps, label: 'vivit train', unit: 'step', stream: opts.progressStream, ...(verbose ? {} : { enabled: false }) });
  const logEvery = Math.max(1, Math.round(steps / 6));
  // Reading the loss waits for the step: every 10 steps only, and only where reads are synchronous
  // (trainClassifier's loop is synchronous; on webgpu the bar shows no loss).
  const syncReads = getBackend().readSync !== undefined;
  const start = performance.now();
  try {
    trainClassifier(model, {
      steps,
      lr: opts.lr ?? 2e-3,
      batch: (step) => {
        // Seeds from 1_000_000 up: the stream never meets the held-out seed (1) or the stats seed (2).
        const b = motionVideos({ ...data, n: batchSize, seed: 1_000_000 + seed * steps + step });
        return { x: b.x.sub(mean).div(std), y: b.y };
      },
      onStep: (step, loss) => {
        const value = syncReads && (step % 10 === 0 || step === steps - 1) ? loss.item() : undefined;
        bar.increment(1, value === undefined ? undefined : { loss: value });
        if (verbose && !bar.enabled && ((step + 1) % logEvery === 0 || step === steps - 1)) {
          log(`step ${step + 1}/${steps}${value === undefined && !syncReads ? '' : `  loss ${(value ?? loss.item()).toFixed(4)}`}  ${bar.rate().toFixed(1)} steps/s`);
        }
      },
    });
    bar.stop();
    const seconds = (performance.now() - start) / 1000;
    const accuracy = await heldOutAccuracy(model, testX, held.labels);
    log(`held-out accuracy: ${(100 * accuracy).toFixed(2)}% on ${held.labels.length} clips, ${seconds.toFixed(1)} s of training (${(steps / seconds).toFixed(1)} steps/s)`);
    if (opts.save) {
      await saveModuleFile(model, opts.save, { model: 'ViViT', config: JSON.stringify({ model: config, mean, std } satisfies MotionCheckpointConfig), embedding, accuracy: accuracy.toFixed(4) });
      log(`saved ${opts.save}`);
    }
    return { accuracy, seconds, parameters: model.numParameters() };
  } finally {
    bar.stop();
    model.dispose();
    for (const t of [held.x, held.y, testX]) t.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The commands

/** `tessera vivit train`. */
export const VIVIT_TRAIN = {
  name: 'vivit train',
  summary: 'Train ViViT (factorised encoder) to tell in which of 8 directions a square moves; print the held-out accuracy.',
  description: 'About 1 minute on wasm with two cores at the defaults; the reference cpu backend is ~50x slower.',
  options: {
    steps: { type: 'int', min: 1, default: 1500, help: 'optimizer steps' },
    batch: { type: 'int', min: 1, default: 32, help: 'fresh clips per step' },
    lr: { type: 'number', min: 0, default: 2e-3, help: 'peak AdamW learning rate (warm-up, cosine decay)' },
    tubelet: { type: 'int', min: 0, max: 8, default: 2, help: 'frames per tubelet; 0: per-frame 8x8 patches' },
    dim: { type: 'int', min: 1, default: 32, help: 'token width' },
    depth: { type: 'int', min: 1, default: 1, help: 'layers of each transformer' },
    test: { type: 'int', min: 1, default: 1024, help: 'held-out clips' },
    seed: { type: 'int', min: 0, default: 0, help: 'seed of the weights and the training stream' },
    'min-accuracy': { type: 'number', min: 0, max: 1, metavar: 'X', help: 'exit with status 1 when the held-out accuracy is below X' },
    out: { type: 'string', default: 'vivit.safetensors', metavar: 'PATH', help: 'checkpoint, written atomically' },
    ...BACKEND_OPTIONS,
    quiet: { type: 'boolean', help: 'no progress bar or log lines' },
  },
} as const satisfies CommandSpec;

/** `tessera vivit eval`. */
export const VIVIT_EVAL = {
  name: 'vivit eval',
  summary: 'Evaluate a ViViT checkpoint on held-out motion clips; print the accuracy.',
  description: 'Seed 1 (the default) gives the held-out set that training reports on.',
  options: {
    ckpt: { type: 'string', required: true, metavar: 'PATH', help: "checkpoint written by 'tessera vivit train'" },
    test: { type: 'int', min: 1, default: 1024, help: 'clips' },
    seed: { type: 'int', min: 0, default: 1, help: 'seed of the clips' },
    batch: { type: 'int', min: 1, default: 64, help: 'clips per forward pass' },
    ...BACKEND_OPTIONS,
  },
} as const satisfies CommandSpec;

/** Runs `tessera vivit train`; returns the exit status. */
export async function vivitTrainCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const a = parseOptions(VIVIT_TRAIN, argv);
  if (a === HELP) {
    ctx.out(formatHelp(VIVIT_TRAIN));
    return 0;
  }
  if (a.tubelet > 0 && 8 % a.tubelet !== 0) throw new UsageError(`tessera vivit train: --tubelet must divide the 8 frames (1, 2, 4 or 8) or be 0, got ${a.tubelet} (see 'tessera vivit train --help')`, 'vivit train');
  await mkdir(dirname(a.out), { recursive: true }); // fail now, not after training
  const backend = await useBackend(a.backend, { threads: a.threads, adapter: a.adapter, log: ctx.log });
  const quiet = a.quiet || ctx.quiet;
  try {
    if (!quiet) ctx.log(`vivit train on ${backend.detail}`);
    const r = await trainMotion({ steps: a.steps, batch: a.batch, lr: a.lr, tubelet: a.tubelet, dim: a.dim, depth: a.depth, test: a.test, seed: a.seed, verbose: !quiet, log: ctx.log, progressStream: ctx.progressStream, save: a.out });
    ctx.out(`held-out accuracy ${(100 * r.accuracy).toFixed(2)}% (${a.test} clips), ${r.parameters} parameters, ${r.seconds.toFixed(1)} s on ${backend.name}`);
    ctx.out(`wrote ${a.out}`);
    const min = a['min-accuracy'];
    if (min !== undefined && r.accuracy < min) {
      ctx.out(`below --min-accuracy ${min}`);
      return 1;
    }
  } finally {
    backend.release();
  }
  return 0;
}

/** Runs `tessera vivit eval`; returns the exit status. */
export async function vivitEvalCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const a = parseOptions(VIVIT_EVAL, argv);
  if (a === HELP) {
    ctx.out(formatHelp(VIVIT_EVAL));
    return 0;
  }
  const { config } = await readModelConfig<MotionCheckpointConfig>(a.ckpt, 'ViViT', 'tessera vivit train');
  const backend = await useBackend(a.backend, { threads: a.threads, adapter: a.adapter, log: ctx.log });
  const model = new ViViT({ ...config.model, generator: new Generator(0) });
  const held = motionVideos({ frames: config.model.numFrames, size: config.model.imageSize, channels: config.model.inChannels ?? 1, n: a.test, seed: a.seed });
  const x = held.x.sub(config.mean).div(config.std);
  try {
    await loadModuleFile(model, a.ckpt, { strict: true });
    const accuracy = await heldOutAccuracy(model, x, held.labels, a.batch);
    ctx.out(`accuracy ${(100 * accuracy).toFixed(2)}% on ${a.test} held-out clips (seed ${a.seed}) on ${backend.name}`);
  } finally {
    for (const t of [held.x, held.y, x]) t.dispose();
    model.dispose();
    backend.release();
  }
  return 0;
}
