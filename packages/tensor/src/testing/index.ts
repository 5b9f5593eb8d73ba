/**
 * `@tessera/tensor/testing`: the backend conformance kit. Any backend runs every case against the
 * reference `cpu` backend: the reference gets contiguous inputs, the backend under test gets the
 * same values in the case's layout (transposed, strided, offset views), and the outputs must agree
 * within the case's tolerances (exactly for int32 and bool).
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runConformance } from '@tessera/tensor/testing';
 * import '@tessera/backend-wasm';
 * runConformance('wasm', { describe, it });
 * ```
 * @module
 */
import { findBackend } from '../backend.js';
import { type TypedArray } from '../dtype.js';
import { TesseraError, fmtShape } from '../errors.js';
import { listOps } from '../registry.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import { type ConformanceCase, buildCases } from './cases.js';
import { Generator, drawData, materialize } from './inputs.js';

export { type ConformanceCase, buildCases } from './cases.js';
export { type IndexKind, type InputSpec, type Layout, type ValueKind, drawData, materialize } from './inputs.js';

/** A float tolerance: |got - ref| <= atol + rtol·|ref|. */
export interface Tolerance {
  /** Absolute part. */
  atol?: number;
  /** Relative part. */
  rtol?: number;
}

/** Options of `runConformance` and `checkCase`. */
export interface ConformanceOptions {
  /** Only cases whose name contains this string (or matches this regexp). */
  filter?: string | RegExp;
  /** Multiplies every float tolerance (a backend with approximate transcendental functions may need 2–10). */
  toleranceScale?: number;
  /** Per-op tolerance overrides: op name → {atol, rtol}. */
  tolerances?: Record<string, Tolerance>;
  /** Reference backend (default `cpu`). */
  reference?: string;
  /** Seed for inputs and shapes. */
  seed?: number;
}

/** The test functions the kit registers with (vitest's, jest's or mocha's `describe` / `it`). */
export interface TestApi {
  /** Groups tests. */
  describe: (name: string, fn: () => void) => void;
  /** Declares one test. */
  it: (name: string, fn: () => Promise<void> | void, timeout?: number) => void;
}

/** Catalogue ops that no case exercises (should be empty). */
export function uncoveredOps(cases: readonly ConformanceCase[] = buildCases()): string[] {
  const covered = new Set(cases.flatMap((c) => c.ops));
  return listOps().map((o) => o.name).filter((n) => !covered.has(n));
}

function toList(r: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(r) ? r : [r];
}

/** One output read back for comparison. */
export interface Snapshot {
  /** Its shape. */
  shape: readonly number[];
  /** Its dtype. */
  dtype: string;
  /** Its elements, contiguous. */
  data: TypedArray;
}

async function snapshot(ts: Tensor[]): Promise<Snapshot[]> {
  return Promise.all(ts.map(async (t) => ({ shape: t.shape, dtype: t.dtype, data: await t.data() })));
}

/** Compares one output; returns a description of the first mismatch, or null. */
export function compareOutputs(ref: Snapshot, got: Snapshot, atol: number, rtol: number): string | null {
  if (ref.shape.length !== got.shape.length || ref.shape.some((d, i) => d !== got.shape[i])) {
    return `shape ${fmtShape(got.shape)} differs from reference ${fmtShape(ref.shape)}`;
  }
  if (ref.dtype !== got.dtype) return `dtype ${got.dtype} differs from reference ${ref.dtype}`;
  const exact = ref.dtype !== 'float32';
  for (let i = 0; i < ref.data.length; i++) {
    const a = ref.data[i]!;
    const b = got.data[i]!;
    if (exact) {
      if (a !== b) return `element ${i}: ${b} != reference ${a}`;
      continue;
    }
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return `element ${i}: ${b} vs reference ${a} (NaN mismatch)`;
      continue;
    }
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (a !== b) return `element ${i}: ${b} vs reference ${a}`;
      continue;
    }
    if (Math.abs(a - b) > atol + rtol * Math.abs(a)) {
      return `element ${i}: ${b} vs reference ${a} (|diff| ${Math.abs(a - b).toExponential(2)} > atol ${atol} + rtol ${rtol}·|ref|)`;
    }
  }
  return null;
}

/** Runs one case on the reference and on `backend`; throws an error describing any mismatch. */
export async function checkCase(c: ConformanceCase, backend: string, opts: ConformanceOptions = {}): Promise<void> {
  const refName = opts.reference ?? 'cpu';
  for (const b of [backend, refName]) {
    if (!findBackend(b)) throw new TesseraError(`conformance: backend '${b}' is not registered; import its package first`);
  }
  const g = new Generator((opts.seed ?? 7) ^ hash(c.name));
  const data = c.inputs.map((spec) => drawData(spec, g));
  const refOut = tidy(() => toList(c.run(c.inputs.map((s, i) => materialize(s, data[i]!, refName, true)))));
  const gotOut = tidy(() => toList(c.run(c.inputs.map((s, i) => materialize(s, data[i]!, backend, false)))));
  try {
    const [ref, got] = await Promise.all([snapshot(refOut), snapshot(gotOut)]);
    if (ref.length !== got.length) throw new TesseraError(`${c.name}: ${got.length} outputs, reference has ${ref.length}`);
    const scale = opts.toleranceScale ?? 1;
    const over = c.ops.map((o) => opts.tolerances?.[o]).find((t) => t !== undefined);
    const atol = (over?.atol ?? c.atol ?? 1e-5) * scale;
    const rtol = (over?.rtol ?? c.rtol ?? 1e-5) * scale;
    ref.forEach((r, i) => {
      const msg = compareOutputs(r, got[i]!, atol, rtol);
      if (msg) throw new TesseraError(`${c.name} on ${backend}: output ${i}: ${msg}`);
    });
  } finally {
    for (const t of [...refOut, ...gotOut]) t.dispose();
  }
}

/** Registers one test per case (grouped by op) with the given test API. */
export function runConformance(backend: string, t: TestApi, opts: ConformanceOptions = {}): void {
  const cases = buildCases(opts.seed ?? 1234).filter((c) =>
    opts.filter === undefined ? true : typeof opts.filter === 'string' ? c.name.includes(opts.filter) : opts.filter.test(c.name),
  );
  t.describe(`conformance: ${backend} vs ${opts.reference ?? 'cpu'}`, () => {
    t.it('every catalogue op has a case', () => {
      const missing = uncoveredOps();
      if (missing.length) throw new TesseraError(`conformance: no case exercises ${missing.join(', ')}`);
    });
    for (const c of cases) t.it(c.name, () => checkCase(c, backend, opts));
  });
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
export { cpu64Backend, fromFloat64, useCpu64 } from './cpu64.js';
