/**
 * The DiT and diffusion golden check against PyTorch (fixtures from `tools/golden/gen_dit.py`; see
 * its docstring for the layout), runnable on any registered backend by name:
 *
 * ```ts
 * const results = await checkDitGolden('webgpu');
 * for (const r of results) if (!r.ok) console.log(r.name, r.detail);
 * ```
 *
 * Each check compares with `|got − want| ≤ tol·(floor + |want|)`: `floor` 1 (an absolute and
 * relative tolerance of `tol`), or for `scaled` checks `1e-2·max|want|` (a tolerance relative to
 * the tensor's scale, for the DDIM samples, which reach |x| ~ 1e3 with a random network, and for
 * gradients). References are float64 PyTorch results stored as float32. Used by
 * `golden.test.ts`; not part of the package's public API.
 * @module
 */
import { ArgumentError, type Tensor, findBackend, getBackend, loadSafetensors, parseSafetensors, setBackend, tidy } from '@tessera/tensor';
import { noGrad } from '@tessera/autograd';
import { type DiffusionTables, computeTables } from '../diffusion/tables.js';
import { createDiffusion } from '../diffusion/create.js';
import { getNamedBetaSchedule } from '../diffusion/schedule.js';
import { spaceTimesteps } from '../diffusion/respace.js';
import { DiT } from './model.js';
import { timestepEmbedding } from './embed.js';
import { sampleDiT } from './sample.js';

/** The outcome of one comparison. */
export interface GoldenResult {
  /** What was compared (`forward`, `ddim`, `tables/linear/betas`, …). */
  name: string;
  /** Whether every element is within tolerance. */
  ok: boolean;
  /** The largest |got − want|. */
  maxAbsDiff: number;
  /** The largest |got − want| / (floor + |want|): the tolerance the check would need. */
  worstRatio: number;
  /** The tolerance used. */
  tol: number;
  /** The first failing element, or the worst one. */
  detail: string;
}

/** Tolerances by check group (see the module comment for the form). */
export interface GoldenTolerances {
  /** forward, forwardWithCfg, label embedding (default 1e-5). */
  forward: number;
  /**
   * The 256 timestep features (default 1e-4): PyTorch's float32 `exp` is not correctly rounded
   * (15 of the 128 frequencies differ by an ulp from the correctly rounded value Tessera uses),
   * and the argument t·f multiplies that ulp by t ≤ 999, so cos/sin differ by up to ~3e-5.
   */
  timestepFeatures: number;
  /** pMeanVariance outputs (default 1e-4: x̂_0 at t = 999 cancels terms 157× larger). */
  pmv: number;
  /** Training-loss terms (default 1e-5). */
  loss: number;
  /** Gradients of the mean loss, scaled (default 1e-4). */
  grad: number;
  /** The DDIM + CFG loop's samples, scaled (default 1e-4). */
  ddim: number;
  /** Float64 diffusion tables, relative (default 1e-12). */
  tables: number;
}

/** Options of `checkDitGolden`. */
export interface CheckDitGoldenOptions {
  /** The fixture files' bytes (default: read from `src/__golden__/` with node:fs). */
  fixtures?: { model: Uint8Array; diffusion: Uint8Array };
  /** Overrides of the default tolerances (e.g. looser for a backend with approximate maths). */
  tolerances?: Partial<GoldenTolerances>;
}

/** The tolerances the cpu backend meets. */
export const DIT_GOLDEN_TOLERANCES: Readonly<GoldenTolerances> = Object.freeze({
  forward: 1e-5,
  timestepFeatures: 1e-4,
  pmv: 1e-4,
  loss: 1e-5,
  grad: 1e-4,
  ddim: 1e-4,
  tables: 1e-12,
});

/** Reads the F64 tensors of a safetensors buffer as Float64Arrays (`loadSafetensors` gives float32). */
export function readFloat64Tensors(bytes: Uint8Array): Map<string, Float64Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out = new Map<string, Float64Array>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__' || info.dtype !== 'F64') continue;
    const [b, e] = info.data_offsets;
    const arr = new Float64Array((e - b) / 8);
    for (let i = 0; i < arr.length; i++) arr[i] = view.getFloat64(8 + n + b + 8 * i, true);
    out.set(name, arr);
  }
  return out;
}

async function defaultFixtures(): Promise<{ model: Uint8Array; diffusion: Uint8Array }> {
  const { readFile } = await import('node:fs/promises');
  const dir = new URL('../__golden__/', import.meta.url);
  const [model, diffusion] = await Promise.all([readFile(new URL('dit_model.safetensors', dir)), readFile(new URL('dit_diffusion.safetensors', dir))]);
  return { model, diffusion };
}

function compareArrays(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, scaled = false): GoldenResult {
  if (got.length !== want.length) {
    return { name, ok: false, maxAbsDiff: Infinity, worstRatio: Infinity, tol, detail: `length ${got.length}, expected ${want.length}` };
  }
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]!));
  const floor = scaled ? 1e-2 * maxAbs : 1;
  let maxAbsDiff = 0;
  let worstRatio = 0;
  let detail = '';
  let firstBad = '';
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    const ratio = Number.isNaN(d) ? Infinity : d / (floor + Math.abs(want[i]!));
    maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? Infinity : d);
    if (ratio > worstRatio || (i === 0 && !detail)) {
      worstRatio = ratio;
      detail = `element ${i}: ${got[i]} vs ${want[i]}`;
    }
    if (!(ratio <= tol) && !firstBad) firstBad = `element ${i}: ${got[i]} vs ${want[i]} (|diff| ${d.toExponential(2)})`;
  }
  return { name, ok: !firstBad, maxAbsDiff, worstRatio, tol, detail: firstBad || detail };
}

async function compare(name: string, got: Tensor, want: Tensor, tol: number, scaled = false): Promise<GoldenResult> {
  if (got.ndim !== want.ndim || got.shape.some((d, i) => d !== want.shape[i])) {
    return { name, ok: false, maxAbsDiff: Infinity, worstRatio: Infinity, tol, detail: `shape [${got.shape}] vs [${want.shape}]` };
  }
  return compareArrays(name, await got.data(), await want.data(), tol, scaled);
}

const TABLE_NAMES: Record<string, keyof DiffusionTables> = {
  betas: 'betas',
  alphas_cumprod: 'alphasCumprod',
  alphas_cumprod_prev: 'alphasCumprodPrev',
  alphas_cumprod_next: 'alphasCumprodNext',
  sqrt_alphas_cumprod: 'sqrtAlphasCumprod',
  sqrt_one_minus_alphas_cumprod: 'sqrtOneMinusAlphasCumprod',
  log_one_minus_alphas_cumprod: 'logOneMinusAlphasCumprod',
  sqrt_recip_alphas_cumprod: 'sqrtRecipAlphasCumprod',
  sqrt_recipm1_alphas_cumprod: 'sqrtRecipm1AlphasCumprod',
  posterior_variance: 'posteriorVariance',
  posterior_log_variance_clipped: 'posteriorLogVarianceClipped',
  posterior_mean_coef1: 'posteriorMeanCoef1',
  posterior_mean_coef2: 'posteriorMeanCoef2',
};

/** Relative comparison of float64 tables: |a − b| ≤ tol·|b| (exact zeros must match). */
function compareTables(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): GoldenResult {
  let worst = 0;
  let maxAbsDiff = 0;
  let detail = '';
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    const r = d === 0 ? 0 : d / Math.abs(want[i]!);
    maxAbsDiff = Math.max(maxAbsDiff, d);
    if (!(r <= worst)) {
      worst = Number.isNaN(r) ? Infinity : r;
      detail = `element ${i}: ${got[i]} vs ${want[i]}`;
    }
  }
  return { name, ok: got.length === want.length && worst <= tol, maxAbsDiff, worstRatio: worst, tol, detail: detail || 'exact' };
}

/**
 * Runs every DiT / diffusion golden comparison on backend `backendName` (which must be
 * registered) and returns one result per comparison. The backend is made active while the check
 * runs and the previous one restored.
 */
export async function checkDitGolden(backendName: string, opts: CheckDitGoldenOptions = {}): Promise<GoldenResult[]> {
  const backend = findBackend(backendName);
  if (!backend) throw new ArgumentError(`checkDitGolden: backend '${backendName}' is not registered`);
  const tol: GoldenTolerances = { ...DIT_GOLDEN_TOLERANCES, ...opts.tolerances };
  const fx = opts.fixtures ?? (await defaultFixtures());
  const previous = getBackend().name;
  setBackend(backendName);
  const m = loadSafetensors(fx.model, { backend, source: 'dit_model.safetensors' });
  const d = loadSafetensors(fx.diffusion, { backend, source: 'dit_diffusion.safetensors' });
  const mMeta = parseSafetensors(fx.model).metadata;
  const dMeta = parseSafetensors(fx.diffusion).metadata;
  const f64 = readFloat64Tensors(fx.diffusion);
  const get = (t: Record<string, Tensor>, k: string): Tensor => {
    const v = t[k];
    if (!v) throw new ArgumentError(`checkDitGolden: the fixture has no tensor '${k}'`);
    return v;
  };
  const results: GoldenResult[] = [];
  const cfg = JSON.parse(mMeta.config!) as Record<string, number | boolean>;
  const model = new DiT({
    inputSize: cfg.input_size as number,
    patchSize: cfg.patch_size as number,
    inChannels: cfg.in_channels as number,
    hiddenSize: cfg.hidden_size as number,
    depth: cfg.depth as number,
    numHeads: cfg.num_heads as number,
    numClasses: cfg.num_classes as number,
    learnSigma: cfg.learn_sigma as boolean,
    backend: backendName,
  });
  try {
    // The table Tessera computes at initialisation against the reference's.
    const state = Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('state/')).map(([k, v]) => [k.slice(6), v]));
    results.push(await compare('pos_embed (initialisation)', model.pos_embed, get(state, 'pos_embed'), 1e-7));
    model.loadStateDict(state); // strict
    model.eval();

    const x = get(m, 'x');
    const t = get(m, 't');
    const y = get(m, 'y');
    const outs = noGrad(() => ({
      forward: model.forward(x, t, y),
      forwardWithCfg: model.forwardWithCfg(x, t, get(m, 'cfg/y'), Number(mMeta.cfg_scale)),
      timestepEmbedding: timestepEmbedding(get(m, 'temb/t'), 256),
      forced: model.y_embedder.forward(get(m, 'forced/y'), false, get(m, 'forced/drop')),
    }));
    results.push(await compare('forward', outs.forward, get(m, 'forward'), tol.forward));
    results.push(await compare('forwardWithCfg', outs.forwardWithCfg, get(m, 'cfg/out'), tol.forward));
    results.push(await compare('timestepEmbedding', outs.timestepEmbedding, get(m, 'temb/out'), tol.timestepFeatures));
    results.push(await compare('y_embedder forceDropIds', outs.forced, get(m, 'forced/out'), tol.forward));
    for (const v of Object.values(outs)) v.dispose();

    const ddimMeta = JSON.parse(mMeta.ddim!) as { respacing: string; eta: number; cfg_scale: number; clip_denoised: boolean };
    const labels = Array.from(await get(m, 'ddim/labels').data());
    const samples = sampleDiT(model, {
      labels,
      noise: get(m, 'ddim/noise'),
      diffusion: createDiffusion(ddimMeta.respacing),
      sampler: 'ddim',
      eta: ddimMeta.eta,
      cfgScale: ddimMeta.cfg_scale,
      clipDenoised: ddimMeta.clip_denoised,
    });
    results.push(await compare('DDIM loop with CFG (sampleDiT)', samples, get(m, 'ddim/out'), tol.ddim, true));
    samples.dispose();

    // Diffusion tables (host float64).
    const index = Array.from(await get(d, 'tables/index').data());
    for (const sched of ['linear', 'squaredcos_cap_v2'] as const) {
      const tables = computeTables(getNamedBetaSchedule(sched, 1000));
      for (const [py, ts] of Object.entries(TABLE_NAMES)) {
        const want = f64.get(`tables/${sched}/${py}`)!;
        const got = index.map((i) => tables[ts][i]!);
        results.push(compareTables(`tables/${sched}/${py}`, got, want, tol.tables));
      }
    }
    const strings = JSON.parse(dMeta.respace!) as string[];
    for (const [i, s] of strings.entries()) {
      const want = Array.from(await get(d, `respace/${i}`).data());
      const got = spaceTimesteps(1000, s);
      const same = got.length === want.length && got.every((v, k) => v === want[k]);
      results.push({ name: `spaceTimesteps '${s}'`, ok: same, maxAbsDiff: same ? 0 : Infinity, worstRatio: same ? 0 : Infinity, tol: 0, detail: same ? `${got.length} steps` : `got [${got.slice(0, 12)}…], want [${want.slice(0, 12)}…]` });
    }
    for (const s of ['250', '10']) {
      const diff = createDiffusion(s);
      results.push(compareTables(`respaced betas '${s}'`, diff.betas, f64.get(`respace_betas/${s}`)!, tol.tables));
      diff.dispose();
    }

    // pMeanVariance.
    const pmvMeta = JSON.parse(dMeta.pmv!) as Record<string, { respacing: string; learn_sigma?: boolean; predict_xstart?: boolean; sigma_small?: boolean; clip_denoised: boolean }>;
    for (const [name, c] of Object.entries(pmvMeta)) {
      const diff = createDiffusion(c.respacing, { learnSigma: c.learn_sigma ?? true, predictXstart: c.predict_xstart ?? false, sigmaSmall: c.sigma_small ?? false });
      const yy = get(d, `pmv/${name}/y`);
      const learned = c.learn_sigma ?? true;
      const fn = (xx: Tensor, tt: Tensor): Tensor => (learned ? model.forward(xx, tt, yy) : tidy(() => model.forward(xx, tt, yy).narrow(1, 0, 4)));
      const out = noGrad(() => diff.pMeanVariance(fn, get(d, `pmv/${name}/x`), get(d, `pmv/${name}/t`), { clipDenoised: c.clip_denoised }));
      const pairs: [string, Tensor][] = [['mean', out.mean], ['variance', out.variance], ['log_variance', out.logVariance], ['pred_xstart', out.predXstart]];
      for (const [k, v] of pairs) results.push(await compare(`pMeanVariance ${name} ${k}`, v, get(d, `pmv/${name}/${k}`), tol.pmv));
      for (const [, v] of pairs) v.dispose();
      diff.dispose();
    }

    // Training loss, and the gradient of its batch mean (stop-gradient on ε in the VB term).
    const lossMeta = JSON.parse(dMeta.loss!) as { grads: string[] };
    const diff = createDiffusion('');
    const ly = get(d, 'loss/y');
    model.zeroGrad();
    const terms = diff.trainingLosses((xx, tt) => model.forward(xx, tt, ly), get(d, 'loss/x0'), get(d, 'loss/t'), { noise: get(d, 'loss/noise') });
    for (const k of ['loss', 'mse', 'vb'] as const) results.push(await compare(`trainingLosses ${k}`, terms[k]!, get(d, `loss/${k}`), tol.loss));
    const mean = terms.loss.mean();
    mean.backward();
    const params = new Map(model.namedParameters());
    for (const k of lossMeta.grads) {
      const g = params.get(k)?.grad;
      if (!g) results.push({ name: `grad ${k}`, ok: false, maxAbsDiff: Infinity, worstRatio: Infinity, tol: tol.grad, detail: 'no gradient' });
      else results.push(await compare(`grad ${k}`, g, get(d, `loss/grad/${k}`), tol.grad, true));
    }
    mean.dispose();
    for (const v of new Set([terms.loss, terms.mse, terms.vb])) v?.dispose();
    model.zeroGrad();
    diff.dispose();
  } finally {
    model.dispose();
    for (const v of [...Object.values(m), ...Object.values(d)]) v.dispose();
    setBackend(previous);
  }
  return results;
}
