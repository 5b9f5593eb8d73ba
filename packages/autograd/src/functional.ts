/**
 * JAX-style transforms and graph utilities: `grad`, `valueAndGrad`, `noGrad`, `customVjp`,
 * `checkpoint`, `detach`, `zeroGrad`.
 * @module
 */
import { Tensor, TesseraError, fmtShape, tidy } from '@tessera/tensor';
import { type VjpRule } from './rules.js';
import { backward, isGradEnabled, recordNode, requiresGrad, setGrad, setGradEnabled, setRequiresGrad } from './tape.js';

/** Runs `fn` with recording off: nothing inside builds a graph (PyTorch's `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/** Runs `fn` with recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(true);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/** A tensor sharing `t`'s storage with no gradient history. */
export function detach(t: Tensor): Tensor {
  return Tensor.fromStorage(t.storage, t.shape, t.strides, t.offset);
}

/** Clears `.grad` of each tensor (disposing the old gradients). */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) setGrad(t, null);
}

/** Options of `grad` / `valueAndGrad`. */
export interface GradOptions {
  /** Which positional arguments to differentiate (default 0). Non-tensor arguments pass through. */
  argnums?: number | readonly number[];
}

/** Positional arguments of a function transformed by `grad` / `valueAndGrad`. */
export type TensorArgs = readonly unknown[];

function differentiate<A extends TensorArgs>(
  op: string,
  f: (...args: A) => Tensor,
  args: A,
  opts: GradOptions,
): { value: Tensor; grads: Tensor[] } {
  const argnums = opts.argnums === undefined ? [0] : typeof opts.argnums === 'number' ? [opts.argnums] : [...opts.argnums];
  const handles = [...args] as unknown[];
  const wrt: Tensor[] = argnums.map((i) => {
    const a = args[i];
    if (!(a instanceof Tensor)) throw new TesseraError(`${op}: argument ${i} must be a Tensor to differentiate it`);
    // A fresh leaf on the same storage, so the caller's tensor keeps its own grad state.
    const h = setRequiresGrad(detach(a), true);
    handles[i] = h;
    return h;
  });
  return enableGrad(() => {
    const value = f(...(handles as unknown as A));
    if (!(value instanceof Tensor) || value.size !== 1) {
      throw new TesseraError(`${op}: the function must return a scalar Tensor, got ${value instanceof Tensor ? fmtShape(value.shape) : typeof value}`);
    }
    const grads = requiresGrad(value)
      ? backward(value, null, { inputs: wrt }).map((g, i) => g ?? tidy(() => wrt[i]!.mul(0)))
      : wrt.map((w) => tidy(() => w.mul(0)));
    for (const w of wrt) w.dispose();
    return { value: detach(value), grads };
  });
}

/**
 * `grad(f)` is a function returning df/dx of a scalar-valued `f` at its arguments (JAX's `grad`):
 * one gradient for `argnums` a number, a list for a list.
 */
export function grad<A extends TensorArgs>(f: (...args: A) => Tensor, opts: GradOptions = {}): (...args: A) => Tensor | Tensor[] {
  return (...args: A) => {
    const { value, grads } = differentiate('grad', f, args, opts);
    value.dispose();
    return typeof opts.argnums === 'object' ? grads : grads[0]!;
  };
}

/** Like `grad`, but returns `[value, gradient(s)]`. */
export function valueAndGrad<A extends TensorArgs>(f: (...args: A) => Tensor, opts: GradOptions = {}): (...args: A) => [Tensor, Tensor | Tensor[]] {
  return (...args: A) => {
    const { value, grads } = differentiate('valueAndGrad', f, args, opts);
    return [value, typeof opts.argnums === 'object' ? grads : grads[0]!];
  };
}

/**
 * Gives `fn` a user-defined gradient: `vjp(inputs, output, gradOutput)` returns one gradient per
 * input (null for none). `fn` runs without recording, so its internals leave no tape.
 */
export function customVjp<A extends Tensor[]>(
  fn: (...inputs: A) => Tensor,
  vjp: (inputs: readonly Tensor[], output: Tensor, gradOutput: Tensor) => (Tensor | null)[],
  name = 'customVjp',
): (...inputs: A) => Tensor {
  const rule: VjpRule = (ctx, [g]) => (g ? vjp(ctx.inputs, ctx.outputs[0]!, g) : ctx.inputs.map(() => null));
  return (...inputs: A) => {
    const out = noGrad(() => fn(...inputs));
    if (isGradEnabled()) recordNode(name, rule, inputs, [out], {});
    return out;
  };
}

/**
 * Activation checkpointing: runs `fn` without keeping its intermediate activations, and recomputes
 * them during backward. Memory for a long stack of blocks drops to their inputs; compute grows by
 * one forward. Parameters used inside `fn` receive their gradients in `.grad` as usual.
 */
export function checkpoint<A extends Tensor[]>(fn: (...inputs: A) => Tensor): (...inputs: A) => Tensor {
  const rule: VjpRule = (ctx, [g]) => {
    if (!g) return ctx.inputs.map(() => null);
    const leaves = ctx.inputs.map((t) => (t.dtype === 'float32' ? setRequiresGrad(detach(t), true) : detach(t)));
    const grads = enableGrad(() => {
      const out = fn(...(leaves as A));
      if (!requiresGrad(out)) return leaves.map(() => null);
      const wanted = leaves.filter((l) => requiresGrad(l));
      // Inputs' gradients are returned; closure parameters accumulate into their .grad.
      backward(out, g);
      return leaves.map((l) => (wanted.includes(l) ? l.grad : null));
    });
    // Copy the gradients out before the temporary leaves (and their .grad) are released.
    const result = grads.map((x) => (x ? x.clone() : null));
    for (const l of leaves) {
      setGrad(l, null);
      l.dispose();
    }
    return result;
  };
  return (...inputs: A) => {
    const out = noGrad(() => fn(...inputs));
    if (isGradEnabled()) recordNode('checkpoint', rule, inputs, [out], {});
    return out;
  };
}
