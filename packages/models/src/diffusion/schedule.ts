/**
 * Beta schedules, in float64 (JS numbers), as DiT's `gaussian_diffusion.py` builds them
 * (`get_named_beta_schedule`, `get_beta_schedule`, `betas_for_alpha_bar`).
 * @module
 */
import { ArgumentError } from '@tessera/tensor';

/** A schedule by name: `linear` (Ho et al. 2020) or `squaredcos_cap_v2` (Nichol & Dhariwal 2021). */
export type BetaScheduleName = 'linear' | 'squaredcos_cap_v2';

/** The schedules of `getBetaSchedule` (ADM's `get_beta_schedule`). */
export type BetaScheduleKind = 'quad' | 'linear' | 'warmup10' | 'warmup50' | 'const' | 'jsd';

function checkSteps(fn: string, T: number): void {
  if (!Number.isInteger(T) || T < 1) throw new ArgumentError(`${fn}: the number of diffusion steps must be an integer >= 1, got ${T}`);
}

/**
 * `numpy.linspace(start, stop, num)` bit for bit: `y_i = i·step + start` with
 * `step = (stop - start)/(num - 1)`, and the last entry set to `stop` exactly.
 */
export function linspace64(start: number, stop: number, num: number): Float64Array {
  const y = new Float64Array(num);
  if (num === 0) return y;
  const div = num - 1;
  const delta = stop - start;
  const step = div > 0 ? delta / div : NaN;
  for (let i = 0; i < num; i++) {
    // numpy divides by `div` then multiplies by `delta` only when step is 0 (underflow).
    y[i] = (step === 0 ? (i / div) * delta : i * step) + start;
  }
  if (num > 1) y[num - 1] = stop;
  return y;
}

/** The fraction of the warmup schedules: a linear ramp over the first part, `end` afterwards. */
function warmupBeta(start: number, end: number, T: number, frac: number): Float64Array {
  const betas = new Float64Array(T).fill(end);
  const warmup = Math.trunc(T * frac);
  betas.set(linspace64(start, end, warmup));
  return betas;
}

/** ADM's `get_beta_schedule(kind, beta_start, beta_end, T)`, float64. */
export function getBetaSchedule(kind: BetaScheduleKind, betaStart: number, betaEnd: number, T: number): Float64Array {
  checkSteps('getBetaSchedule', T);
  switch (kind) {
    case 'quad':
      return linspace64(betaStart ** 0.5, betaEnd ** 0.5, T).map((b) => b * b);
    case 'linear':
      return linspace64(betaStart, betaEnd, T);
    case 'warmup10':
      return warmupBeta(betaStart, betaEnd, T, 0.1);
    case 'warmup50':
      return warmupBeta(betaStart, betaEnd, T, 0.5);
    case 'const':
      return new Float64Array(T).fill(betaEnd);
    case 'jsd': // 1/T, 1/(T-1), …, 1
      return linspace64(T, 1, T).map((v) => 1 / v);
    default:
      throw new ArgumentError(`getBetaSchedule: unknown schedule '${String(kind)}'`);
  }
}

/**
 * Betas from a cumulative ᾱ(s), s ∈ [0, 1]: `β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), maxBeta)`
 * (Nichol & Dhariwal 2021, eq. 17).
 */
export function betasForAlphaBar(T: number, alphaBar: (s: number) => number, maxBeta = 0.999): Float64Array {
  checkSteps('betasForAlphaBar', T);
  const betas = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    const t1 = i / T;
    const t2 = (i + 1) / T;
    betas[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta);
  }
  return betas;
}

/**
 * DiT's named schedules. `linear` scales Ho et al.'s 1e-4…0.02 by `1000/T` so that any T keeps the
 * same total noise; `squaredcos_cap_v2` is ᾱ(s) = cos²((s + 0.008)/1.008 · π/2), β capped at 0.999.
 */
export function getNamedBetaSchedule(name: BetaScheduleName, T: number): Float64Array {
  checkSteps('getNamedBetaSchedule', T);
  if (name === 'linear') {
    const scale = 1000 / T;
    return getBetaSchedule('linear', scale * 0.0001, scale * 0.02, T);
  }
  if (name === 'squaredcos_cap_v2') {
    return betasForAlphaBar(T, (s) => {
      const c = Math.cos((((s + 0.008) / 1.008) * Math.PI) / 2);
      return c * c;
    });
  }
  throw new ArgumentError(`getNamedBetaSchedule: unknown schedule '${String(name)}' (expected 'linear' or 'squaredcos_cap_v2')`);
}
