/**
 * Class-conditional sampling with classifier-free guidance, DiT's `sample.py` recipe: z ~ N(0, I)
 * of shape `(n, C, s, s)`, duplicated to `[z; z]`, labels `[y; null × n]`, the sampler run on
 * `forwardWithCfg` with `clipDenoised: false`, and the first n samples kept. (VAE decoding of the
 * latents is the caller's.)
 * @module
 */
import { ArgumentError, type Generator, ShapeError, type Tensor, cat, fmtShape, randn, tensor, tidy } from '@tessera/tensor';
import { type GaussianDiffusion } from '../diffusion/gaussian-diffusion.js';
import { createDiffusion } from '../diffusion/create.js';
import { type DiT } from './model.js';

/** Options of `sampleDiT`. */
export interface SampleDiTOptions {
  /** One class id per sample (0 … numClasses−1). */
  labels: readonly number[];
  /** Guidance scale (default 4.0, sample.py's). 1 runs the plain conditional model, as sample_ddp.py does. */
  cfgScale?: number;
  /** The process to sample (default `createDiffusion('250')`, disposed after use). */
  diffusion?: GaussianDiffusion;
  /** 'ddpm' (ancestral, sample.py's default) or 'ddim'. */
  sampler?: 'ddpm' | 'ddim';
  /** DDIM's eta (default 0). */
  eta?: number;
  /** The starting latents `[n, C, s, s]` (default: drawn from `generator`); not disposed. */
  noise?: Tensor;
  /** The random source for the start and every step's noise. */
  generator?: Generator;
  /** Called after each step with (steps done, total). */
  progress?: (done: number, total: number) => void;
  /** Clamp x̂_0 to [−1, 1] (default false, as DiT samples latents). */
  clipDenoised?: boolean;
  /** Channels guided by `forwardWithCfg` (default 3, the reference's). */
  guidedChannels?: number;
}

/**
 * Draws `labels.length` latents from `model` (run in eval mode; its mode is restored afterwards).
 * Returns `[n, C, s, s]`.
 */
export function sampleDiT(model: DiT, opts: SampleDiTOptions): Tensor {
  const n = opts.labels.length;
  if (n === 0) throw new ArgumentError('sampleDiT: no labels given');
  const { inputSize: s, inChannels: C, numClasses } = model.config;
  for (const y of opts.labels) {
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) throw new ArgumentError(`sampleDiT: label ${y} is not a class id in [0, ${numClasses})`);
  }
  const shape = [n, C, s, s];
  if (opts.noise && (opts.noise.ndim !== 4 || opts.noise.shape.some((d, i) => d !== shape[i]))) {
    throw new ShapeError(`sampleDiT: noise ${fmtShape(opts.noise.shape)} must be ${fmtShape(shape)}`);
  }
  const cfgScale = opts.cfgScale ?? 4.0;
  const useCfg = cfgScale !== 1;
  const diffusion = opts.diffusion ?? createDiffusion('250');
  const wasTraining = model.training;
  const backend = opts.noise?.backend.name ?? model.pos_embed.backend.name;
  const z = opts.noise ?? randn(shape, { generator: opts.generator, backend });
  const ids = useCfg ? [...opts.labels, ...new Array<number>(n).fill(numClasses)] : [...opts.labels];
  const y = tensor(Int32Array.from(ids), { backend });
  const start = useCfg ? cat([z, z], 0) : z;
  model.eval();
  try {
    const fn = useCfg
      ? (x: Tensor, t: Tensor): Tensor => model.forwardWithCfg(x, t, y, cfgScale, opts.guidedChannels ?? 3)
      : (x: Tensor, t: Tensor): Tensor => model.forward(x, t, y);
    const loopOpts = { noise: start, generator: opts.generator, progress: opts.progress, clipDenoised: opts.clipDenoised ?? false, eta: opts.eta };
    const out = opts.sampler === 'ddim' ? diffusion.ddimSampleLoop(fn, start.shape, loopOpts) : diffusion.pSampleLoop(fn, start.shape, loopOpts);
    if (!useCfg) return out;
    // sample.py: `samples, _ = samples.chunk(2, dim=0)`.
    const first = tidy(() => out.narrow(0, 0, n).contiguous());
    out.dispose();
    return first;
  } finally {
    model.train(wasTraining);
    y.dispose();
    if (start !== z) start.dispose();
    if (!opts.noise) z.dispose();
    if (!opts.diffusion) diffusion.dispose();
  }
}
