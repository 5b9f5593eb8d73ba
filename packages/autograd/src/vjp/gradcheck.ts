/**
 * Finite-difference checks of VJP rules, in float64 on the `cpu64` backend.
 *
 * `checkVjp(op, inputs, run)` runs `run(inputs)` (which must call `op`, possibly on views of the
 * inputs), captures the op's call through the dispatch hook, draws a random cotangent g for each
 * float output, asks the op's rule for the input gradients, and compares each against central
 * differences of ⟨g, op(x)⟩ = Σ g·op(x) with respect to every element of that input (or a random
 * subset of a large one): |fd - vjp| <= atol + rtol·max(|fd|, |vjp|).
 *
 * Composites report no call of their own (their parts do), so for them `opts.attrs` is required
 * and `run(inputs)` must be the op applied to `inputs` with exactly those attributes.
 * @module
 */
import {
  type OpRecord,
  Generator,
  Tensor,
  TesseraError,
  fmtShape,
  getBackend,
  getOp,
  keep,
  runOp,
  setBackend,
  setDispatchHook,
  slice,
  stack,
  tidy,
  transpose,
  clone,
  reshape,
} from '@tessera/tensor';
import { fromFloat64, useCpu64 } from '@tessera/tensor/testing';
import { type VjpContext, getVjp } from '../rules.js';
import { rulesOf } from './util.js';

/** Options of `checkVjp` / `evalVjp`. */
export interface GradcheckOptions {
  /** The op's attributes, for composites (which the dispatch hook does not report). */
  attrs?: unknown;
  /** Central-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Inputs up to this size are checked at every element (default 64) … */
  maxElements?: number;
  /** … larger ones at this many random elements (default 24). */
  samples?: number;
  /** Seed of the cotangents and the sampled elements. */
  seed?: number;
  /** Cotangents to use instead of random ones (one per output, null for none). */
  gradOutputs?: (Tensor | null)[];
}

/** What `evalVjp` returns: the captured call, the cotangents and the rule's gradients. */
export interface VjpEvaluation {
  /** The op's call as the rule saw it. */
  ctx: VjpContext;
  /** The cotangents handed to the rule. */
  gradOutputs: (Tensor | null)[];
  /** The rule's input gradients. */
  grads: (Tensor | null)[];
}

const checked = new Set<string>();

/** Names of the ops whose rule passed a `checkVjp` in this process. */
export function checkedOps(): string[] {
  return [...checked];
}

const toList = (r: Tensor | Tensor[]): Tensor[] => (Array.isArray(r) ? r : [r]);

/** Runs `fn` with backend `name` active, restoring the previous one after. */
function withBackend<T>(name: string, fn: () => T): T {
  useCpu64();
  const prev = getBackend().name;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(prev);
  }
}

/**
 * Forwards and finite differences run with `cpu64` active, so that whatever an op's decomposition
 * creates lands next to its inputs.
 */
const onCpu64 = <T>(fn: () => T): T => withBackend('cpu64', fn);

function normals(g: Generator, n: number): number[] {
  return Array.from({ length: n }, () => g.normal());
}

/** Runs the forward, captures the op's call and evaluates its rule on random (or given) cotangents. */
export function evalVjp(opName: string, inputs: Tensor[], run: (xs: Tensor[]) => Tensor | Tensor[], opts: GradcheckOptions = {}): VjpEvaluation {
  const { ctx, gradOutputs } = onCpu64(() => {
    const def = getOp(opName);
    if (!def) throw new TesseraError(`gradcheck: no op named '${opName}'`);
    inputs.forEach((t, i) => {
      if (t.backend.name !== 'cpu64') throw new TesseraError(`gradcheck ${opName}: input ${i} is on '${t.backend.name}', expected cpu64`);
    });
    // Keep our own handles on the call's tensors, as a tape does: free functions may dispose the
    // ones they made (withBatch's unsqueezed input, maxPool's unrequested indices).
    // keep(): the hook may fire inside a tidy scope of the free function, which would dispose them.
    const alias = (t: Tensor): Tensor => keep(Tensor.fromStorage(t.storage, t.shape, t.strides, t.offset));
    let rec: OpRecord | null = null;
    const prev = setDispatchHook((r) => {
      if (r.op.name === opName) rec = { ...r, inputs: r.inputs.map(alias), outputs: r.outputs.map(alias) };
      prev?.(r);
    });
    let outs: Tensor[];
    try {
      outs = toList(run(inputs));
    } finally {
      setDispatchHook(prev);
    }
    let ctx: VjpContext;
    const captured = rec as OpRecord | null;
    if (captured) ctx = { inputs: captured.inputs, outputs: captured.outputs, attrs: captured.attrs };
    else if (def.kind === 'composite' && opts.attrs !== undefined) ctx = { inputs, outputs: outs, attrs: opts.attrs };
    else throw new TesseraError(`gradcheck: run() did not call '${opName}'${def.kind === 'composite' ? ' (a composite needs opts.attrs)' : ''}`);
    const gen = new Generator(opts.seed ?? 1);
    const gradOutputs = opts.gradOutputs ?? ctx.outputs.map((o) => (o.dtype === 'float32' ? fromFloat64(normals(gen, o.size), o.shape) : null));
    return { ctx, gradOutputs };
  });
  const rule = getVjp(opName);
  if (!rule) throw new TesseraError(`gradcheck: op '${opName}' has no VJP rule`);
  // The rule runs with plain 'cpu' active: a rule that made a tensor on the active backend rather
  // than next to its inputs would mix backends and throw here.
  const grads = withBackend('cpu', () => rule(ctx, gradOutputs));
  if (grads.length !== ctx.inputs.length) {
    throw new TesseraError(`gradcheck ${opName}: the rule returned ${grads.length} gradients for ${ctx.inputs.length} inputs`);
  }
  return { ctx, gradOutputs, grads };
}

/** Picks the element indices to check: all of a small input, a random subset of a large one. */
function pick(size: number, gen: Generator, maxElements: number, samples: number): number[] {
  if (size <= maxElements) return Array.from({ length: size }, (_, i) => i);
  const set = new Set<number>();
  while (set.size < Math.min(samples, size)) set.add(gen.integer(0, size));
  return [...set].sort((a, b) => a - b);
}

/**
 * Checks the op's VJP rule against central finite differences (see the module comment). Throws
 * an error naming the op, the input, the element and both values on the first mismatches.
 */
export function checkVjp(opName: string, inputs: Tensor[], run: (xs: Tensor[]) => Tensor | Tensor[], opts: GradcheckOptions = {}): void {
  const { ctx, gradOutputs, grads } = evalVjp(opName, inputs, run, opts);
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const gen = new Generator((opts.seed ?? 1) + 7919);
  onCpu64(() => {
    const cot = gradOutputs.map((g) => g?.dataSync() ?? null);
    const base = ctx.inputs.map((t) => (t.dtype === 'float32' ? Float64Array.from(t.dataSync()) : null));
    /** ⟨g, op(xs)⟩ with input `i` replaced by `data`. */
    const objective = (i: number, data: Float64Array): number =>
      tidy(() => {
        const xs = ctx.inputs.map((t, j) => (j === i ? fromFloat64(data, t.shape) : t));
        const outs = runOp(opName, xs, ctx.attrs);
        let acc = 0;
        outs.forEach((o, k) => {
          const c = cot[k];
          if (!c) return;
          const y = o.dataSync();
          for (let e = 0; e < y.length; e++) acc += c[e]! * y[e]!;
        });
        return acc;
      });
    const failures: string[] = [];
    ctx.inputs.forEach((x, i) => {
      const gr = grads[i];
      const b = base[i];
      if (!b) {
        if (gr) failures.push(`input ${i} (${x.dtype}) must get a null gradient`);
        return;
      }
      if (!gr) {
        failures.push(`input ${i} ${fmtShape(x.shape)} got no gradient`);
        return;
      }
      if (gr.dtype !== 'float32' || gr.shape.length !== x.shape.length || gr.shape.some((d, k) => d !== x.shape[k]) || gr.backend !== x.backend) {
        failures.push(`input ${i}: gradient ${fmtShape(gr.shape)} ${gr.dtype} on ${gr.backend.name}, expected ${fmtShape(x.shape)} float32 on ${x.backend.name}`);
        return;
      }
      const an = gr.dataSync();
      for (const e of pick(b.length, gen, opts.maxElements ?? 64, opts.samples ?? 24)) {
        const p = Float64Array.from(b);
        p[e] = b[e]! + eps;
        const fp = objective(i, p);
        p[e] = b[e]! - eps;
        const fd = (fp - objective(i, p)) / (2 * eps);
        const v = an[e]!;
        if (!(Math.abs(fd - v) <= atol + rtol * Math.max(Math.abs(fd), Math.abs(v)))) {
          failures.push(`input ${i} ${fmtShape(x.shape)} element ${e}: vjp ${v} vs finite difference ${fd}`);
        }
      }
    });
    if (failures.length) {
      const more = failures.length > 6 ? ` (and ${failures.length - 6} more)` : '';
      throw new TesseraError(`gradcheck ${opName}: ${failures.slice(0, 6).join('; ')}${more}`);
    }
  });
  checked.add(opName);
}

/** Float64 data drawn from `gen` for a shape: standard normals, or `fn` per element. */
export function draw(gen: Generator, shape: readonly number[], fn: (g: Generator) => number = (g) => g.normal()): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return fromFloat64(Array.from({ length: n }, () => fn(gen)), shape);
}

/**
 * The same values as `x` in a non-contiguous layout: `transposed` (stored with the last two dims
 * swapped, then transposed back) or `strided` (every other element of a wider buffer, offset by one).
 */
export function relayout(x: Tensor, kind: 'transposed' | 'strided'): Tensor {
  if (kind === 'transposed' && x.ndim >= 2) return transpose(clone(transpose(x, -1, -2)), -1, -2);
  if (x.ndim === 0) return x;
  const n = x.shape[x.ndim - 1]!;
  const wide = reshape(stack([x, x], -1), [...x.shape.slice(0, -1), 2 * n]);
  return slice(wide, -1, 1, undefined, 2);
}

/** Rules of a family (see `vjpFamily`) that no `checkVjp` has passed in this process. */
export function uncheckedRules(family: string): string[] {
  return rulesOf(family).filter((op) => !checked.has(op));
}
