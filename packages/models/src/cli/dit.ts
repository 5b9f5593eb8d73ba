/**
 * `tessera dit train` and `tessera dit sample`: a small class-conditional DiT on the 16×16
 * coloured shapes (one shape and colour per class), with DiT's recipe scaled down: the diffusion
 * loss (ε-MSE plus the variational bound for the learned variance, T = 1000, linear schedule),
 * uniform timesteps, label dropout 0.1 for classifier-free guidance, AdamW with weight decay 0 and
 * an EMA of the weights, which is what the checkpoint holds. Sampling follows sample.py with
 * classifier-free guidance and writes a PNG grid, one row per class.
 *
 * Sampling clamps the x̂_0 predictions to [−1, 1] (`clipDenoised`), as pixel-space diffusion does
 * (ADM); DiT itself samples VAE latents, which have no such range, with `clip_denoised=False`.
 *
 * `trainDiT` and `sampleGrid` are the loops; `examples/dit-train.ts` calls them too.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Generator, type Tensor, getBackend, manualSeed, tensor, tidy } from '@tessera/tensor';
import { noGrad, optim } from '@tessera/autograd';
import { Progress, loadModuleFile, saveModuleFile } from '@tessera/autograd/node';
import { DiT } from '../dit/model.js';
import { DIT_NAMES, type DiTConfig, type DiTName, ditConfig } from '../dit/configs.js';
import { sampleDiT } from '../dit/sample.js';
import { createDiffusion } from '../diffusion/create.js';
import { shapeClassNames, shapesBatch } from '../data/shapes.js';
import { type CommandSpec, HELP, UsageError, formatHelp, parseOptions } from './args.js';
import { BACKEND_OPTIONS, readScalar, useBackend } from './backend.js';
import { type CommandContext, formatSeconds } from './context.js';
import { readModelConfig } from './checkpoint.js';
import { encodePng, toRgbaGrid, writeFileAtomic } from './png.js';

/** Options of `trainDiT`. */
export interface DitTrainOptions {
  /** Optimizer steps (default 3000). */
  steps?: number;
  /** Images per step (default 32). */
  batch?: number;
  /** Classes of shapes, 1 … 8 (default 4). */
  classes?: number;
  /** `'small'` (default: width 64, 3 blocks, 4 heads, patch 2) or a DiT name such as `'DiT-S/2'`, at 16×16 RGB. */
  config?: 'small' | DiTName;
  /** Width, overriding the config's. */
  hidden?: number;
  /** Blocks, overriding the config's. */
  depth?: number;
  /** Attention heads, overriding the config's. */
  heads?: number;
  /** Patch size on the 16×16 images, overriding the config's. */
  patch?: number;
  /** AdamW learning rate (default 1e-3; DiT uses 1e-4 for far longer runs). */
  lr?: number;
  /** EMA decay (default 0.995; DiT's 0.9999 needs ~10⁴+ steps to forget the initialisation). */
  emaDecay?: number;
  /** Seed of data, initialisation, timesteps, noise and label dropout (default 0). */
  seed?: number;
  /** Draw a progress bar (default: when the stream is a TTY and CI is unset). */
  progress?: boolean;
  /** Where the bar draws (default stderr). */
  progressStream?: NodeJS.WriteStream;
  /** Called with a log line about ten times a run when no bar draws. */
  log?: (line: string) => void;
}

/** What `trainDiT` returns (the caller disposes the models). */
export interface DitTrainResult {
  /** The trained model. */
  model: DiT;
  /** A model of the same architecture holding the EMA weights, in eval mode. */
  emaModel: DiT;
  /** The losses read: every step on cpu and wasm, every 10th step where reads wait (webgpu). */
  losses: number[];
  /** Wall time of the training loop, seconds. */
  seconds: number;
}

/** The architecture `trainDiT` builds for `opts`: 16×16 RGB, learned sigma, label dropout 0.1. */
export function ditTrainConfig(opts: DitTrainOptions = {}): DiTConfig {
  const base = { inputSize: 16, inChannels: 3, numClasses: opts.classes ?? 4, learnSigma: true, classDropoutProb: 0.1 };
  const named = opts.config && opts.config !== 'small' ? ditConfig(opts.config, base) : { ...ditConfig('DiT-S/2', base), hiddenSize: 64, depth: 3, numHeads: 4, patchSize: 2 };
  return {
    ...named,
    ...(opts.hidden !== undefined ? { hiddenSize: opts.hidden } : {}),
    ...(opts.depth !== undefined ? { depth: opts.depth } : {}),
    ...(opts.heads !== undefined ? { numHeads: opts.heads } : {}),
    ...(opts.patch !== undefined ? { patchSize: opts.patch } : {}),
  };
}

const mean = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(a.length, 1);

/** Trains the DiT on shapes; returns the model, its EMA copy and the losses. */
export async function trainDiT(opts: DitTrainOptions = {}): Promise<DitTrainResult> {
  const o = { steps: 3000, batch: 32, classes: 4, lr: 1e-3, emaDecay: 0.995, seed: 0, ...opts };
  const config = ditTrainConfig(o);
  manualSeed(o.seed);
  const g = new Generator(o.seed);
  const model = new DiT({ ...config, generator: g });
  model.train();
  const diffusion = createDiffusion(''); // train.py: all 1000 steps
  const opt = new optim.AdamW(model.trainableParameters(), { lr: o.lr, weightDecay: 0 });
  const ema = new optim.EMA(model, { decay: o.emaDecay });
  const bar = new Progress({ total: o.steps, label: 'dit train', unit: 'step', enabled: o.progress, stream: o.progressStream });
  const syncReads = getBackend().readSync !== undefined;
  const logEvery = Math.max(1, Math.round(o.steps / 10));
  const losses: number[] = [];
  const t0 = performance.now();
  try {
    for (let step = 0; step < o.steps; step++) {
      const { images, labels } = shapesBatch(o.batch, { numClasses: o.classes, generator: g });
      // train.py: t ~ U{0, …, T−1}, plain randint.
      const t = tensor(Int32Array.from({ length: o.batch }, () => g.integer(0, diffusion.numTimesteps)));
      const loss = tidy(() => {
        const l = diffusion.trainingLosses((x, tt) => model.forward(x, tt, labels), images, t, { generator: g }).loss.mean();
        l.backward();
        return l;
      });
      opt.step();
      opt.zeroGrad();
      ema.update();
      for (const x of [images, labels, t]) x.dispose();
      const last = step === o.steps - 1;
      // A read waits for the step to finish: every step where that is free, every 10th elsewhere.
      if (syncReads || step % 10 === 0 || last) losses.push(await readScalar(loss));
      loss.dispose();
      const recent = mean(losses.slice(-20));
      bar.update(step + 1, losses.length ? { loss: recent } : undefined);
      if (!bar.enabled && o.log && ((step + 1) % logEvery === 0 || last)) {
        const rate = bar.rate();
        o.log(`step ${step + 1}/${o.steps}  loss ${recent.toFixed(4)}  ${rate.toFixed(2)} steps/s  ETA ${formatSeconds((o.steps - step - 1) / rate)}`);
      }
    }
  } catch (e) {
    model.dispose();
    ema.dispose();
    throw e;
  } finally {
    bar.stop();
    opt.disposeState();
    diffusion.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const emaModel = new DiT({ ...config, generator: new Generator(o.seed) });
  ema.copyTo(emaModel);
  emaModel.eval();
  ema.dispose();
  return { model, emaModel, losses, seconds };
}

/** Options of `sampleGrid`. */
export interface SampleGridOptions {
  /** Samples per class (default 8). */
  perClass?: number;
  /** Guidance scale (default 3; 1 turns guidance off). */
  cfgScale?: number;
  /** 'ddpm' (ancestral, sample.py's, default) or 'ddim' (eta 0). */
  sampler?: 'ddpm' | 'ddim';
  /** Respacing of the sampler (default '250', sample.py's; e.g. 'ddim50' for DDIM). */
  respacing?: string;
  /** Clamp x̂_0 to [−1, 1] (default true: these are pixels in [−1, 1]). */
  clipDenoised?: boolean;
  /** Seed of the starting noise (default 0). */
  seed?: number;
  /** Draw a progress bar (default: when the stream is a TTY and CI is unset). */
  progress?: boolean;
  /** Where the bar draws (default stderr). */
  progressStream?: NodeJS.WriteStream;
}

/** Samples of every class: `[classes·perClass, C, s, s]` in [−1, 1], class-major. */
export function sampleGrid(model: DiT, opts: SampleGridOptions = {}): Tensor {
  const perClass = opts.perClass ?? 8;
  const K = model.config.numClasses;
  const labels = Array.from({ length: K * perClass }, (_, i) => Math.floor(i / perClass));
  const diffusion = createDiffusion(opts.respacing ?? '250');
  const bar = new Progress({ total: diffusion.numTimesteps, label: 'dit sample', unit: 'step', enabled: opts.progress, stream: opts.progressStream });
  try {
    return noGrad(() =>
      sampleDiT(model, {
        labels,
        cfgScale: opts.cfgScale ?? 3,
        diffusion,
        sampler: opts.sampler ?? 'ddpm',
        clipDenoised: opts.clipDenoised ?? true,
        generator: new Generator(opts.seed ?? 0),
        progress: (done) => bar.update(done),
      }),
    );
  } finally {
    bar.stop();
    diffusion.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The commands

/** `tessera dit train`. */
export const DIT_TRAIN = {
  name: 'dit train',
  summary: 'Train a small class-conditional DiT on 16x16 coloured shapes; save the EMA weights.',
  description:
    'AdamW + EMA on the diffusion loss with label dropout 0.1 (for classifier-free guidance).\n' +
    'The default model takes ~7 minutes on wasm with two cores; on cpu, try\n' +
    '--patch 4 --hidden 48 --depth 2 --batch 16 --steps 300. Sample with: tessera dit sample --ckpt FILE',
  options: {
    steps: { type: 'int', min: 1, default: 3000, help: 'optimizer steps' },
    batch: { type: 'int', min: 1, default: 32, help: 'images per step' },
    lr: { type: 'number', min: 0, default: 1e-3, help: 'AdamW learning rate' },
    ema: { type: 'number', min: 0, max: 1, default: 0.995, help: 'EMA decay' },
    seed: { type: 'int', min: 0, default: 0, help: 'seed of data, weights and noise' },
    config: { type: 'string', choices: ['small', ...DIT_NAMES], default: 'small', metavar: 'small|DiT-S/2|…', help: 'small: width 64, 3 blocks, 4 heads, patch 2; or a DiT name' },
    classes: { type: 'int', min: 1, max: 8, default: 4, help: 'shape classes' },
    hidden: { type: 'int', min: 1, help: "width (overrides the config's)" },
    depth: { type: 'int', min: 1, help: "blocks (overrides the config's)" },
    heads: { type: 'int', min: 1, help: "attention heads (overrides the config's)" },
    patch: { type: 'int', min: 1, help: "patch size: 1, 2, 4, 8 or 16 (overrides the config's)" },
    out: { type: 'string', default: 'dit-ema.safetensors', metavar: 'PATH', help: 'checkpoint of the EMA weights, written atomically' },
    ...BACKEND_OPTIONS,
    quiet: { type: 'boolean', help: 'no progress bar or log lines' },
  },
} as const satisfies CommandSpec;

/** `tessera dit sample`. */
export const DIT_SAMPLE = {
  name: 'dit sample',
  summary: 'Sample every class from a DiT checkpoint with classifier-free guidance; write a PNG grid.',
  description: 'One row per class. DDIM (eta 0) with 50 steps by default; --sampler ddpm runs 250 ancestral steps, sample.py\'s.',
  options: {
    ckpt: { type: 'string', required: true, metavar: 'PATH', help: "checkpoint written by 'tessera dit train'" },
    sampler: { type: 'string', choices: ['ddim', 'ddpm'], default: 'ddim', help: 'sampler' },
    steps: { type: 'int', min: 1, max: 1000, metavar: 'N', help: 'sampling steps (default 50 for ddim, 250 for ddpm)' },
    cfg: { type: 'number', min: 0, default: 3, help: 'guidance scale (1: no guidance)' },
    'per-class': { type: 'int', min: 1, default: 8, help: 'samples per class (columns)' },
    seed: { type: 'int', min: 0, default: 0, help: 'seed of the noise' },
    zoom: { type: 'int', min: 1, max: 32, default: 4, help: 'pixels per image pixel in the PNG' },
    out: { type: 'string', default: 'dit-samples.png', metavar: 'PATH', help: 'the PNG grid, written atomically' },
    ...BACKEND_OPTIONS,
    quiet: { type: 'boolean', help: 'no progress bar' },
  },
} as const satisfies CommandSpec;

function checkArchitecture(c: DiTConfig): void {
  const cmd = 'dit train';
  const fail = (msg: string): UsageError => new UsageError(`tessera ${cmd}: ${msg} (see 'tessera ${cmd} --help')`, cmd);
  if (16 % c.patchSize !== 0) throw fail(`--patch must divide the image size 16, got ${c.patchSize}`);
  if (c.hiddenSize % c.numHeads !== 0) throw fail(`the width (${c.hiddenSize}) must be a multiple of the heads (${c.numHeads}): set --hidden or --heads`);
  if (c.hiddenSize % 4 !== 0) throw fail(`--hidden must be a multiple of 4 (the 2-D sin-cos position table), got ${c.hiddenSize}`);
}

/** Runs `tessera dit train`; returns the exit status. */
export async function ditTrainCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const a = parseOptions(DIT_TRAIN, argv);
  if (a === HELP) return help(ctx, DIT_TRAIN);
  const opts: DitTrainOptions = {
    steps: a.steps,
    batch: a.batch,
    lr: a.lr,
    emaDecay: a.ema,
    seed: a.seed,
    classes: a.classes,
    config: a.config,
    ...(a.hidden !== undefined ? { hidden: a.hidden } : {}),
    ...(a.depth !== undefined ? { depth: a.depth } : {}),
    ...(a.heads !== undefined ? { heads: a.heads } : {}),
    ...(a.patch !== undefined ? { patch: a.patch } : {}),
  };
  const config = ditTrainConfig(opts);
  checkArchitecture(config);
  const out = a.out;
  await mkdir(dirname(out), { recursive: true }); // fail now, not after training
  const backend = await useBackend(a.backend, { threads: a.threads, adapter: a.adapter, log: ctx.log });
  const quiet = a.quiet || ctx.quiet;
  try {
    if (!quiet) ctx.log(`dit train on ${backend.detail}: ${a.config} (width ${config.hiddenSize}, ${config.depth} block${config.depth === 1 ? '' : 's'}, ${config.numHeads} head${config.numHeads === 1 ? '' : 's'}, patch ${config.patchSize}), ${config.numClasses} classes, ${opts.steps} steps of ${opts.batch}`);
    const r = await trainDiT({ ...opts, ...(quiet ? { progress: false } : { log: ctx.log }), progressStream: ctx.progressStream });
    try {
      const k = Math.max(1, Math.min(50, Math.floor(r.losses.length / 2)));
      ctx.out(
        `trained ${opts.steps} steps on ${backend.name} in ${r.seconds.toFixed(1)} s: ` +
          `loss ${mean(r.losses.slice(0, k)).toFixed(4)} (first ${k} read) → ${mean(r.losses.slice(-k)).toFixed(4)} (last ${k})`,
      );
      await saveModuleFile(r.emaModel, out, { model: 'DiT', config: JSON.stringify(r.emaModel.config), data: 'shapes16', classes: shapeClassNames(config.numClasses).join(','), steps: String(opts.steps) });
      ctx.out(`wrote the EMA weights to ${out}`);
    } finally {
      r.model.dispose();
      r.emaModel.dispose();
    }
  } finally {
    backend.release();
  }
  return 0;
}

/** Runs `tessera dit sample`; returns the exit status. */
export async function ditSampleCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const a = parseOptions(DIT_SAMPLE, argv);
  if (a === HELP) return help(ctx, DIT_SAMPLE);
  const fail = (msg: string): UsageError => new UsageError(`tessera dit sample: ${msg} (see 'tessera dit sample --help')`, 'dit sample');
  const sampler = a.sampler;
  const steps = a.steps ?? (sampler === 'ddim' ? 50 : 250);
  const respacing = sampler === 'ddim' ? `ddim${steps}` : String(steps);
  try {
    createDiffusion(respacing).dispose();
  } catch (e) {
    throw fail(`--steps ${steps} does not space the 1000 training steps for ${sampler}: ${(e as Error).message}`);
  }
  const ckpt = a.ckpt;
  const { config } = await readModelConfig<DiTConfig>(ckpt, 'DiT', 'tessera dit train');
  if (config.inChannels !== 3) throw new Error(`'${ckpt}' holds a DiT of ${config.inChannels} channels; 'dit sample' writes RGB images of 3`);
  const cfg = a.cfg;
  if (cfg !== 1 && !(config.classDropoutProb > 0)) throw fail(`--cfg ${cfg} needs a model trained with label dropout (it has no null class); use --cfg 1`);
  const perClass = a['per-class'];
  const backend = await useBackend(a.backend, { threads: a.threads, adapter: a.adapter, log: ctx.log });
  const model = new DiT({ ...config, generator: new Generator(0) });
  try {
    await loadModuleFile(model, ckpt, { strict: true });
    model.eval();
    const quiet = a.quiet || ctx.quiet;
    const samples = sampleGrid(model, { perClass, cfgScale: cfg, sampler, respacing, seed: a.seed, progressStream: ctx.progressStream, ...(quiet ? { progress: false } : {}) });
    const pixels = await samples.data();
    const shape = samples.shape;
    samples.dispose();
    const { rgba, width, height } = toRgbaGrid(pixels, shape, perClass, a.zoom);
    const out = a.out;
    await writeFileAtomic(out, encodePng(rgba, width, height));
    const K = config.numClasses;
    const names = K <= 8 ? ` (${shapeClassNames(K).join(', ')})` : '';
    ctx.out(`wrote ${out}: ${width}x${height}, ${K} rows${names} x ${perClass} samples; ${sampler} ${steps} steps, cfg ${cfg}, on ${backend.name}`);
  } finally {
    model.dispose();
    backend.release();
  }
  return 0;
}

function help(ctx: CommandContext, spec: CommandSpec): number {
  ctx.out(formatHelp(spec));
  return 0;
}
