/**
 * A small class-conditional DiT trained on synthetic 16×16 shapes (one coloured shape per class:
 * red circles, green squares, blue triangles, yellow crosses, …) with DiT's recipe: the diffusion
 * loss (ε-MSE plus the variational bound for the learned variance, T = 1000, linear schedule),
 * uniform timesteps, label dropout 0.1 for classifier-free guidance, AdamW with weight decay 0 and
 * an EMA of the weights. It then draws samples for every class from the EMA weights with
 * classifier-free guidance (sample.py's recipe: 250 respaced DDPM steps; DDIM on request) and
 * writes them as a PNG grid, one row per class.
 *
 *     npx tsx --tsconfig tsconfig.test.json examples/dit-train.ts [--steps 3000] [--batch 32]
 *         [--patch 2] [--hidden 64] [--depth 3] [--heads 4] [--lr 1e-3] [--ema 0.995] [--cfg 3]
 *         [--sampler ddpm|ddim] [--sample-steps 250] [--per-class 8] [--classes 4] [--seed 0]
 *         [--backend auto|cpu|wasm|webgpu] [--out dit-samples.png] [--save dit-ema.safetensors]
 *
 * `--backend auto` (the default) uses `@tessera/backend-wasm` when it loads: about 0.15 s a step
 * for the default model on two cores, ~7 minutes in all, ending near loss 0.025 with samples of
 * the right colour and rough shape in every row (1500 steps give coloured blobs). Otherwise it
 * runs on the reference cpu backend, ~20× slower: pass e.g. `--patch 4 --hidden 48 --depth 2
 * --batch 16 --steps 300` there. DiT's own settings
 * (lr 1e-4, EMA 0.9999, 250 DDPM steps, cfg 4) are meant for 400k steps on ImageNet; this
 * example's are scaled down. The model needs a width above the patch vector's size (p·p·3) to
 * learn ε ≈ x_t at high noise, hence patch 2.
 *
 * Sampling clamps the x_0 predictions to [−1, 1] (`clipDenoised`), as pixel-space diffusion does
 * (ADM); DiT itself samples VAE latents, which have no such range, with `clip_denoised=False`.
 *
 * `train(opts)` and `sampleGrid(opts)` can be called from a test at a size that takes seconds.
 * @module
 */
import { rename, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { Generator, type Tensor, getBackend, manualSeed, setBackend, tensor, tidy } from '@tessera/tensor';
import { writeSafetensorsFile } from '@tessera/tensor/node';
import { noGrad, optim } from '@tessera/autograd';
import { Progress } from '@tessera/autograd/node';
import { DiT, createDiffusion, sampleDiT, shapeClassNames, shapesBatch } from '@tessera/models';

/** Options of `train`. */
export interface DitTrainOptions {
  /** Optimizer steps (default 3000). */
  steps?: number;
  /** Images per step (default 32). */
  batch?: number;
  /** Classes of shapes, 1 … 8 (default 4). */
  classes?: number;
  /** DiT width (default 64). */
  hidden?: number;
  /** DiT blocks (default 3). */
  depth?: number;
  /** Attention heads (default 4). */
  heads?: number;
  /** Patch size on the 16×16 images (default 2: 64 tokens). */
  patch?: number;
  /** AdamW learning rate (default 1e-3; DiT uses 1e-4 for far longer runs). */
  lr?: number;
  /** EMA decay (default 0.995; DiT's 0.9999 needs ~10⁴+ steps to forget the initialisation). */
  emaDecay?: number;
  /** Seed of data, initialisation, timesteps, noise and label dropout (default 0). */
  seed?: number;
  /** Show a progress bar (default: when stderr is a TTY and CI is unset). */
  progress?: boolean;
}

/** What `train` returns (the caller disposes the models). */
export interface DitTrainResult {
  /** The trained model. */
  model: DiT;
  /** A model of the same architecture holding the EMA weights, in eval mode. */
  emaModel: DiT;
  /** The loss of every step. */
  losses: number[];
  /** Wall time of the training loop, seconds. */
  seconds: number;
}

function makeModel(o: Required<Pick<DitTrainOptions, 'classes' | 'hidden' | 'depth' | 'heads' | 'patch'>>, generator: Generator): DiT {
  return new DiT({ inputSize: 16, patchSize: o.patch, inChannels: 3, hiddenSize: o.hidden, depth: o.depth, numHeads: o.heads, numClasses: o.classes, learnSigma: true, classDropoutProb: 0.1, generator });
}

/** Trains the DiT on shapes; returns the model, its EMA copy and the losses. */
export function train(opts: DitTrainOptions = {}): DitTrainResult {
  const o = { steps: 3000, batch: 32, classes: 4, hidden: 64, depth: 3, heads: 4, patch: 2, lr: 1e-3, emaDecay: 0.995, seed: 0, ...opts };
  manualSeed(o.seed);
  const g = new Generator(o.seed);
  const model = makeModel(o, g);
  model.train();
  const diffusion = createDiffusion(''); // train.py: all 1000 steps
  const params = model.trainableParameters();
  const opt = new optim.AdamW(params, { lr: o.lr, weightDecay: 0 });
  const ema = new optim.EMA(model, { decay: o.emaDecay });
  const bar = new Progress({ total: o.steps, label: 'dit', unit: 'step', enabled: o.progress });
  const losses: number[] = [];
  const t0 = performance.now();
  for (let step = 0; step < o.steps; step++) {
    const { images, labels } = shapesBatch(o.batch, { numClasses: o.classes, generator: g });
    // train.py: t ~ U{0, …, T−1}, plain randint.
    const t = tensor(Int32Array.from({ length: o.batch }, () => g.integer(0, diffusion.numTimesteps)));
    const loss = tidy(() => {
      const terms = diffusion.trainingLosses((x, tt) => model.forward(x, tt, labels), images, t, { generator: g });
      const l = terms.loss.mean();
      l.backward();
      return l.item();
    });
    opt.step();
    opt.zeroGrad();
    ema.update();
    losses.push(loss);
    images.dispose();
    labels.dispose();
    t.dispose();
    const recent = losses.slice(-20);
    bar.update(step + 1, { loss: recent.reduce((a, b) => a + b, 0) / recent.length });
  }
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const emaModel = makeModel(o, new Generator(o.seed));
  ema.copyTo(emaModel);
  emaModel.eval();
  ema.dispose();
  opt.disposeState();
  diffusion.dispose();
  return { model, emaModel, losses, seconds };
}

/** Options of `sampleGrid`. */
export interface SampleGridOptions {
  /** Samples per class (default 8). */
  perClass?: number;
  /** Guidance scale (default 3). */
  cfgScale?: number;
  /** 'ddpm' (ancestral, sample.py's, default) or 'ddim' (eta 0). */
  sampler?: 'ddpm' | 'ddim';
  /** Respacing of the sampler (default '250', sample.py's; e.g. 'ddim50' for DDIM). */
  respacing?: string;
  /** Clamp x̂_0 to [−1, 1] (default true: these are pixels in [−1, 1]). */
  clipDenoised?: boolean;
  /** Seed of the starting noise (default 0). */
  seed?: number;
  /** Show a progress bar. */
  progress?: boolean;
}

/** Samples of every class: `[classes·perClass, 3, 16, 16]` in [−1, 1], class-major. */
export function sampleGrid(model: DiT, opts: SampleGridOptions = {}): Tensor {
  const perClass = opts.perClass ?? 8;
  const K = model.config.numClasses;
  const labels = Array.from({ length: K * perClass }, (_, i) => Math.floor(i / perClass));
  const diffusion = createDiffusion(opts.respacing ?? '250');
  const bar = new Progress({ total: diffusion.numTimesteps, label: 'sample', unit: 'step', enabled: opts.progress });
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

/** RGBA pixels of a grid of `[n, 3, h, w]` images in [−1, 1], `cols` per row, each scaled ×`zoom`. */
export function toRgbaGrid(images: Float32Array | ArrayLike<number>, shape: readonly number[], cols: number, zoom = 4, pad = 2): { rgba: Uint8Array; width: number; height: number } {
  const [n, , h, w] = shape as [number, number, number, number];
  const rows = Math.ceil(n / cols);
  const cw = w * zoom + pad;
  const ch = h * zoom + pad;
  const width = cols * cw + pad;
  const height = rows * ch + pad;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  for (let i = 0; i < n; i++) {
    const ox = pad + (i % cols) * cw;
    const oy = pad + Math.floor(i / cols) * ch;
    for (let y = 0; y < h * zoom; y++) {
      for (let x = 0; x < w * zoom; x++) {
        const p = ((oy + y) * width + ox + x) * 4;
        for (let c = 0; c < 3; c++) {
          const v = images[((i * 3 + c) * h + Math.floor(y / zoom)) * w + Math.floor(x / zoom)]!;
          rgba[p + c] = Math.round(255 * Math.min(1, Math.max(0, (v + 1) / 2)));
        }
      }
    }
  }
  return { rgba, width, height };
}

/** PNG bytes of RGBA pixels (pngjs). */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data.set(rgba);
  return PNG.sync.write(png);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function num(name: string, dflt: number): number {
  const v = arg(name);
  return v === undefined ? dflt : Number(v);
}

async function main(): Promise<void> {
  let backend = arg('backend') ?? 'auto';
  if (backend === 'auto') {
    backend = await import('@tessera/backend-wasm').then(
      () => 'wasm',
      () => 'cpu',
    );
  } else if (backend !== 'cpu') {
    await import(`@tessera/backend-${backend}`);
  }
  setBackend(backend);
  if (backend === 'cpu') console.log('running on the reference cpu backend: expect ~7 s a step at the default size (smaller flags are in the header of this file)');
  const classes = num('classes', 4);
  const r = train({
    steps: num('steps', 3000),
    batch: num('batch', 32),
    classes,
    hidden: num('hidden', 64),
    depth: num('depth', 3),
    heads: num('heads', 4),
    patch: num('patch', 2),
    lr: num('lr', 1e-3),
    emaDecay: num('ema', 0.995),
    seed: num('seed', 0),
  });
  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(a.length, 1);
  const k = Math.min(50, Math.floor(r.losses.length / 2));
  console.log(
    `trained ${r.losses.length} steps on ${getBackend().name} in ${r.seconds.toFixed(1)} s: ` +
      `loss ${mean(r.losses.slice(0, k)).toFixed(4)} (first ${k}) → ${mean(r.losses.slice(-k)).toFixed(4)} (last ${k})`,
  );
  const save = arg('save');
  if (save) {
    await writeSafetensorsFile(save, r.emaModel.stateDict(), { model: 'DiT', config: JSON.stringify(r.emaModel.config) });
    console.log(`wrote the EMA weights to ${save}`);
  }
  const perClass = num('per-class', 8);
  const samples = sampleGrid(r.emaModel, { perClass, cfgScale: num('cfg', 3), sampler: arg('sampler') === 'ddim' ? 'ddim' : 'ddpm', respacing: arg('sample-steps') ?? '250', seed: num('seed', 0) });
  const { rgba, width, height } = toRgbaGrid(await samples.data(), samples.shape, perClass);
  const out = arg('out') ?? 'dit-samples.png';
  // Temp file + rename: an interrupted run never leaves a truncated image behind.
  const tmp = `${out}.tmp-${process.pid}`;
  await writeFile(tmp, encodePng(rgba, width, height));
  await rename(tmp, out);
  console.log(`wrote ${out}: ${classes} rows (${shapeClassNames(classes).join(', ')}) × ${perClass} samples`);
  samples.dispose();
  r.model.dispose();
  r.emaModel.dispose();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
