/**
 * ViViT against PyTorch 1.13, on any backend: the fixtures of `tools/golden/gen_vivit.py` (one
 * file per variant, see its docstring) are loaded on `backend`, each case's PyTorch state dict is
 * loaded strictly into the Tessera model built from the same options, and the logits (and, for
 * cases with a backward pass, the cross-entropy loss and every parameter's gradient) are compared
 * with the float64 PyTorch references.
 *
 * Tolerances: logits and loss `|a − b| <= 1e-4 + 1e-4·|b|`; gradients
 * `|a − b| <= 1e-3·(|b| + 1e-2·max|b|)` (relative, with a floor at 1% of the tensor's largest
 * entry). They leave room for float32 accumulation on the wasm and webgpu backends; the cpu
 * backend (float64 accumulation) lands far inside them, which `worst` reports.
 *
 * ```ts
 * const report = await checkViViTGolden('cpu');
 * if (!report.ok) console.log(report.failures);
 * ```
 * @module
 */
import { type Tensor, findBackend, loadSafetensors, parseSafetensors, tidy } from '@tessera/tensor';
import { ViViTFactorisedDotProduct, ViViTFactorisedSelfAttention } from './factorised-attention.js';
import { ViViT } from './factorised-encoder.js';
import { crossEntropy } from './loss.js';
import { type ViViTOptions } from './options.js';
import { ViViTSpatioTemporal } from './spatio-temporal.js';

/** The fixture files (under `packages/models/src/__golden__/`). */
export const VIVIT_GOLDEN_FILES = [
  'vivit_factorised_encoder.safetensors',
  'vivit_spatio_temporal.safetensors',
  'vivit_factorised_self_attention.safetensors',
  'vivit_factorised_dot_product.safetensors',
] as const;

/** Logits and loss: atol = rtol. */
export const VIVIT_OUTPUT_TOL = 1e-4;
/** Gradients: relative, floored at 1% of the largest entry. */
export const VIVIT_GRAD_TOL = 1e-3;

/** One compared tensor. */
export interface ViViTGoldenComparison {
  /** `<file>:<case>`. */
  case: string;
  /** `logits`, `loss`, `grad/<key>`, `keys` (state-dict order) or `error`. */
  what: string;
  /** Largest |a − b| (NaN when shapes differ or the case threw). */
  maxAbsErr: number;
  /** Largest |a − b| / tolerance over the elements: within tolerance iff <= 1. */
  worstRatio: number;
  /** Within tolerance. */
  ok: boolean;
  /** What went wrong, when not ok. */
  detail?: string;
}

/** What `checkViViTGolden` found. */
export interface ViViTGoldenReport {
  /** The backend checked. */
  backend: string;
  /** Every comparison. */
  results: ViViTGoldenComparison[];
  /** The comparisons out of tolerance. */
  failures: ViViTGoldenComparison[];
  /** No failures. */
  ok: boolean;
  /** The largest `worstRatio` per kind (`logits`, `loss`, `grad`). */
  worst: Record<string, number>;
}

/** Options of `checkViViTGolden`. */
export interface ViViTGoldenCheckOptions {
  /**
   * Reads a fixture file by name. Default: from `../__golden__/` next to this module, with
   * `node:fs` (so the default works in Node, on the sources).
   */
  read?: (file: string) => Promise<Uint8Array>;
}

type ModelName = 'ViViT' | 'ViViTSpatioTemporal' | 'ViViTFactorisedSelfAttention' | 'ViViTFactorisedDotProduct';

/** The constructor call a case's metadata holds (`gen_vivit.py`: `case()`). */
interface CaseCall {
  model: ModelName;
  opts: ViViTOptions & { attentionOrder?: 'space_time' | 'time_space' };
  backward: boolean;
  keys: string[];
}

function build(call: CaseCall, backend: string): ViViT | ViViTSpatioTemporal | ViViTFactorisedSelfAttention | ViViTFactorisedDotProduct {
  const opts = { ...call.opts, backend };
  switch (call.model) {
    case 'ViViT':
      return new ViViT(opts);
    case 'ViViTSpatioTemporal':
      return new ViViTSpatioTemporal(opts);
    case 'ViViTFactorisedSelfAttention':
      return new ViViTFactorisedSelfAttention(opts);
    case 'ViViTFactorisedDotProduct':
      return new ViViTFactorisedDotProduct(opts);
    default:
      throw new Error(`unknown model '${String(call.model)}' in the fixture`);
  }
}

async function defaultRead(file: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  return readFile(new URL(`../__golden__/${file}`, import.meta.url));
}

/** Compares `actual` with `expected`: per-element tolerance from `tol(b, max|b|)`. */
async function compare(name: string, what: string, actual: Tensor | null, expected: Tensor, tol: (b: number, scale: number) => number): Promise<ViViTGoldenComparison> {
  const base = { case: name, what };
  if (!actual) return { ...base, maxAbsErr: NaN, worstRatio: Infinity, ok: false, detail: 'no tensor (no gradient reached it?)' };
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return { ...base, maxAbsErr: NaN, worstRatio: Infinity, ok: false, detail: `shape [${actual.shape.join(',')}] vs [${expected.shape.join(',')}]` };
  }
  const a = await actual.data();
  const b = await expected.data();
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let maxAbsErr = 0;
  let worstRatio = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const err = Math.abs(a[i]! - b[i]!);
    const ratio = err / tol(b[i]!, scale);
    if (!(err <= maxAbsErr)) maxAbsErr = Number.isNaN(err) ? Infinity : err;
    if (!(ratio <= worstRatio)) {
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      at = i;
    }
  }
  const ok = worstRatio <= 1;
  return ok ? { ...base, maxAbsErr, worstRatio, ok } : { ...base, maxAbsErr, worstRatio, ok, detail: `element ${at} is ${a[at]}, expected ${b[at]}` };
}

const outTol = (b: number): number => VIVIT_OUTPUT_TOL + VIVIT_OUTPUT_TOL * Math.abs(b);
const gradTol = (b: number, scale: number): number => VIVIT_GRAD_TOL * (Math.abs(b) + 1e-2 * scale);

async function checkCase(name: string, call: CaseCall, t: Record<string, Tensor>, prefix: string, backend: string): Promise<ViViTGoldenComparison[]> {
  const get = (k: string): Tensor => {
    const v = t[prefix + k];
    if (!v) throw new Error(`fixture has no tensor '${prefix + k}'`);
    return v;
  };
  const state: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith(`${prefix}state/`)) state[k.slice(prefix.length + 6)] = v;
  const model = build(call, backend);
  try {
    const out: ViViTGoldenComparison[] = [];
    const keys = Object.keys(model.stateDict());
    const sameOrder = keys.length === call.keys.length && keys.every((k, i) => k === call.keys[i]);
    out.push({
      case: name,
      what: 'keys',
      maxAbsErr: 0,
      worstRatio: sameOrder ? 0 : Infinity,
      ok: sameOrder,
      ...(sameOrder ? {} : { detail: `state-dict keys [${keys.join(', ')}], PyTorch's [${call.keys.join(', ')}]` }),
    });
    model.loadStateDict(state); // strict: throws on any missing, unexpected or mis-shaped key
    model.eval();
    model.zeroGrad();
    const { logits, loss } = tidy(() => {
      const logits = model.forward(get('input'));
      const loss = call.backward ? crossEntropy(logits, get('labels')) : null;
      loss?.backward();
      return { logits, loss };
    });
    out.push(await compare(name, 'logits', logits, get('logits'), outTol));
    if (loss) {
      out.push(await compare(name, 'loss', loss, get('loss'), outTol));
      for (const [k, p] of model.namedParameters()) out.push(await compare(name, `grad/${k}`, p.grad, get(`grad/${k}`), gradTol));
      loss.dispose();
    }
    logits.dispose();
    return out;
  } finally {
    model.dispose();
  }
}

/**
 * Runs every ViViT golden case on `backend` (a registered backend name: 'cpu', 'wasm', 'webgpu')
 * and reports each comparison. It throws only when the backend is not registered or a fixture
 * cannot be read; a case that throws (e.g. a strict-load error) is reported as a failure.
 */
export async function checkViViTGolden(backend: string, opts: ViViTGoldenCheckOptions = {}): Promise<ViViTGoldenReport> {
  const be = findBackend(backend);
  if (!be) throw new Error(`checkViViTGolden: no backend named '${backend}' is registered`);
  const read = opts.read ?? defaultRead;
  const results: ViViTGoldenComparison[] = [];
  for (const file of VIVIT_GOLDEN_FILES) {
    const bytes = await read(file);
    const { metadata } = parseSafetensors(bytes, { source: file });
    const tensors = loadSafetensors(bytes, { source: file, backend: be });
    try {
      for (const [caseName, json] of Object.entries(metadata)) {
        if (caseName === '__golden__') continue;
        const name = `${file.replace(/\.safetensors$/, '')}:${caseName}`;
        try {
          results.push(...(await checkCase(name, JSON.parse(json) as CaseCall, tensors, `${caseName}/`, backend)));
        } catch (e) {
          results.push({ case: name, what: 'error', maxAbsErr: NaN, worstRatio: Infinity, ok: false, detail: String(e) });
        }
      }
    } finally {
      for (const v of Object.values(tensors)) v.dispose();
    }
  }
  const failures = results.filter((r) => !r.ok);
  const worst: Record<string, number> = {};
  for (const r of results) {
    const kind = r.what.startsWith('grad/') ? 'grad' : r.what;
    if (kind === 'logits' || kind === 'loss' || kind === 'grad') worst[kind] = Math.max(worst[kind] ?? 0, r.worstRatio);
  }
  return { backend, results, failures, ok: failures.length === 0, worst };
}
