/**
 * Respacing (Nichol & Dhariwal 2021 §4): sample with a subset of the original timesteps. The kept
 * steps form a new process whose betas make its ᾱ equal the original ᾱ at those steps; the model
 * still sees original timesteps through `timestepMap` (DiT `diffusion/respace.py`).
 * @module
 */
import { ArgumentError, type Tensor, keep, tensor } from '@tessera/tensor';
import { computeTables } from './tables.js';
import { type DiffusionModel, GaussianDiffusion, type GaussianDiffusionOptions } from './gaussian-diffusion.js';

/** Python 3's `round()` on a float: to the nearest integer, ties to even (banker's rounding). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The original timesteps to keep (ascending). `sectionCounts` is `"ddimN"` (the integer stride
 * giving exactly N steps of `range(0, T, stride)`), a comma list of counts per equal section
 * (`"250"`, `"10,15,20"`), or the counts as numbers. Within a section of `size` steps, `c` steps
 * are taken at `round(k·stride)`, where the float stride `(size−1)/(c−1)` is *accumulated* and
 * rounded ties-to-even, as Python does.
 */
export function spaceTimesteps(numTimesteps: number, sectionCounts: string | readonly number[]): number[] {
  let counts: number[];
  if (typeof sectionCounts === 'string') {
    if (sectionCounts.startsWith('ddim')) {
      const desired = parseCount(sectionCounts.slice(4), sectionCounts);
      for (let i = 1; i < numTimesteps; i++) {
        if (Math.ceil(numTimesteps / i) === desired) return Array.from({ length: desired }, (_, k) => k * i);
      }
      throw new ArgumentError(`spaceTimesteps: cannot create exactly ${numTimesteps} steps with an integer stride`);
    }
    counts = sectionCounts.split(',').map((s) => parseCount(s, sectionCounts));
  } else {
    counts = [...sectionCounts];
  }
  if (counts.length === 0) throw new ArgumentError('spaceTimesteps: no section counts given');
  const sizePer = Math.floor(numTimesteps / counts.length);
  const extra = numTimesteps % counts.length;
  let startIdx = 0;
  const steps = new Set<number>();
  counts.forEach((count, i) => {
    const size = sizePer + (i < extra ? 1 : 0);
    if (size < count) throw new ArgumentError(`spaceTimesteps: cannot divide section of ${size} steps into ${count}`);
    const fracStride = count <= 1 ? 1 : (size - 1) / (count - 1);
    let cur = 0;
    for (let k = 0; k < count; k++) {
      steps.add(startIdx + roundHalfEven(cur));
      cur += fracStride;
    }
    startIdx += size;
  });
  return [...steps].sort((a, b) => a - b);
}

function parseCount(s: string, whole: string): number {
  const t = s.trim();
  // Python's int(): optional sign, digits, underscores between digits.
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) throw new ArgumentError(`spaceTimesteps: invalid count '${s}' in '${whole}'`);
  return Number.parseInt(t.replace(/_/g, ''), 10);
}

/** Options of `SpacedDiffusion`: the base process's options plus the steps to keep. */
export interface SpacedDiffusionOptions extends GaussianDiffusionOptions {
  /** Original timesteps to keep (any order; duplicates ignored), e.g. from `spaceTimesteps`. */
  useTimesteps: Iterable<number>;
}

/**
 * A diffusion process over a subset of another's timesteps: for each kept step i (ascending),
 * `β'_k = 1 − ᾱ_i/ᾱ_last` with ᾱ_last the previous kept step's ᾱ (1 at first). All tables, the
 * learned-range bounds included, come from these betas. The model is called with
 * `timestepMap[k]`, the original timestep, at spaced index k.
 */
export class SpacedDiffusion extends GaussianDiffusion {
  /** Spaced index → original timestep. */
  readonly timestepMap: readonly number[];
  /** T of the original process. */
  readonly originalNumSteps: number;
  private readonly mapTensors = new Map<string, Tensor>();

  constructor(opts: SpacedDiffusionOptions) {
    const base = computeTables(opts.betas);
    const use = new Set(opts.useTimesteps);
    const newBetas: number[] = [];
    const timestepMap: number[] = [];
    let lastAlphaCumprod = 1;
    base.alphasCumprod.forEach((ac, i) => {
      if (use.has(i)) {
        newBetas.push(1 - ac / lastAlphaCumprod);
        lastAlphaCumprod = ac;
        timestepMap.push(i);
      }
    });
    if (timestepMap.length === 0) throw new ArgumentError(`SpacedDiffusion: none of the kept timesteps lies in 0..${base.betas.length - 1}`);
    super({ ...opts, betas: newBetas });
    this.timestepMap = Object.freeze(timestepMap);
    this.originalNumSteps = base.betas.length;
  }

  /** Original timesteps for spaced indices `t` (a gather, int32). */
  mapTimesteps(t: Tensor): Tensor {
    const idx = this.checkTimesteps('mapTimesteps', t);
    const backend = idx.backend.name;
    let m = this.mapTensors.get(backend);
    if (!m || m.isDisposed) {
      m = keep(tensor(Int32Array.from(this.timestepMap), { backend }));
      this.mapTensors.set(backend, m);
    }
    return m.indexSelect(0, idx);
  }

  /** The model called with original timesteps (the reference's `_WrappedModel`). */
  override wrapModel(model: DiffusionModel): DiffusionModel {
    if (GaussianDiffusion.isWrapped(model)) return model;
    return GaussianDiffusion.markWrapped((x, t) => {
      const mapped = this.mapTimesteps(t);
      try {
        return model(x, mapped);
      } finally {
        mapped.dispose();
      }
    });
  }

  override dispose(): void {
    super.dispose();
    for (const m of this.mapTensors.values()) m.dispose();
    this.mapTensors.clear();
  }
}
