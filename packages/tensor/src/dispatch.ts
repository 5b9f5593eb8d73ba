/**
 * The op registry and the one dispatcher every op runs through. An op is declared once with
 * `defineOp`; `runOp` validates it, then runs the active backend's kernel (or the op's view rule, or
 * its decomposition), then tells the dispatch hook (autograd installs one) what happened.
 * @module
 */
import { type Backend, type OutputSpec, type TensorView, getBackend } from './backend.js';
import { allocArray } from './dtype.js';
import { BackendError, DisposedError, TesseraError } from './errors.js';
import { sizeOf } from './shape.js';
import { Tensor } from './tensor.js';
import { tidy } from './scope.js';
import { type OpDef, getOp } from './registry.js';

/** What the dispatch hook is told after each op runs. */
export interface OpRecord {
  /** The op's declaration. */
  readonly op: OpDef;
  /** Its inputs. */
  readonly inputs: readonly Tensor[];
  /** Its validated attributes. */
  readonly attrs: unknown;
  /** Its outputs. */
  readonly outputs: readonly Tensor[];
}

/** Called after every op that runs as a kernel or a view (composites report their parts). */
export type DispatchHook = (record: OpRecord) => void;

let hook: DispatchHook | null = null;

/** Decides whether a composite op must run as its decomposition even where a fused kernel exists. */
export type CompositePolicy = (op: OpDef, inputs: readonly Tensor[]) => boolean;

let compositePolicy: CompositePolicy | null = null;

/**
 * Installs (or with `null` removes) the composite policy. Autograd uses it to decompose a composite
 * whose inputs need gradients when it has no VJP rule of its own for it. Returns the previous one.
 */
export function setCompositePolicy(p: CompositePolicy | null): CompositePolicy | null {
  const prev = compositePolicy;
  compositePolicy = p;
  return prev;
}

/** Installs (or with `null` removes) the dispatch hook. Returns the previous one. */
export function setDispatchHook(h: DispatchHook | null): DispatchHook | null {
  const prev = hook;
  hook = h;
  return prev;
}

function viewOf(t: Tensor): TensorView {
  return { buffer: t.storage.buffer, dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset };
}

function backendOf(name: string, inputs: readonly Tensor[]): Backend {
  let backend: Backend | undefined;
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TesseraError(`${name}: input ${i} is not a Tensor`);
    if (t.isDisposed) throw new DisposedError(`${name}: input ${i} (shape [${t.shape.join(',')}]) was disposed`);
    const b = t.storage.backend;
    if (backend && b !== backend) {
      throw new BackendError(`${name}: inputs live on different backends (${backend.name} and ${b.name}); move one with .to()`);
    }
    backend = b;
  });
  return backend ?? getBackend();
}

/** Runs a kernel on a backend directly, bypassing validation (for backends and transfers). */
export function runKernel(backend: Backend, name: string, inputs: readonly Tensor[], attrs: unknown, specs: readonly OutputSpec[]): Tensor[] {
  if (specs.every((s) => sizeOf(s.shape) === 0)) {
    return specs.map((s) => Tensor.fromBuffer(backend, backend.upload(allocArray(s.dtype, 0), s.dtype), s.shape, s.dtype));
  }
  const kernel = backend.kernels[name];
  if (!kernel) throw new BackendError(`${name}: backend '${backend.name}' has no kernel for this op`);
  const buffers = kernel(inputs.map(viewOf), attrs, specs);
  return specs.map((s, i) => Tensor.fromBuffer(backend, buffers[i], s.shape, s.dtype));
}

/** Runs a catalogue op on the inputs' backend and returns its outputs. */
export function runOp(name: string, inputs: readonly Tensor[], attrs: unknown = {}): Tensor[] {
  const op = getOp(name);
  if (!op) throw new TesseraError(`runOp: no op named '${name}' in the catalogue`);
  const backend = backendOf(name, inputs);
  let outputs: Tensor[];
  if (op.kind === 'view') {
    const src = inputs[0]!;
    const l = op.view!(src, attrs);
    outputs = [Tensor.fromStorage(src.storage, l.shape, l.strides, l.offset)];
  } else {
    const specs = op.infer!(inputs, attrs);
    if (op.kind === 'composite' && (!backend.kernels[name] || compositePolicy?.(op, inputs))) {
      // The parts report to the hook themselves; the composite does not.
      // Under tidy, so the decomposition's intermediates are freed (the tape keeps its own handles).
      return tidy(() => op.decompose!(inputs, attrs));
    }
    outputs = runKernel(backend, name, inputs, attrs, specs);
  }
  hook?.({ op, inputs, attrs, outputs });
  return outputs;
}

/** `runOp` for single-output ops. */
export function run1(name: string, inputs: readonly Tensor[], attrs: unknown = {}): Tensor {
  return runOp(name, inputs, attrs)[0]!;
}

