/**
 * Memory scopes: `tidy(fn)` disposes every tensor created inside `fn` except those it returns.
 * @module
 */
import { TesseraError } from './errors.js';

/** What a scope needs of a tensor (kept structural to avoid an import cycle with tensor.ts). */
export interface Disposable {
  /** Releases the resource. */
  dispose(): void;
  /** Whether `dispose()` has been called. */
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];
const tensorBrand = Symbol.for('tessera.tensor');

/** Called by every new tensor: the innermost open scope takes ownership. */
export function track(t: Disposable): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Removes a tensor from every open scope so that `tidy` will not dispose it. Returns it. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Disposable>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ((value as Record<symbol, unknown>)[tensorBrand]) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

/**
 * Runs `fn` in a scope: tensors created inside and not returned are disposed when it ends.
 * Tensors in the result (a tensor, or arrays / plain objects / Maps of them) move to the enclosing
 * scope. `fn` must be synchronous: scopes cannot follow an `await`.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t.isDisposed) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) if (!t.isDisposed) t.dispose();
    throw new TesseraError('tidy: the function returned a Promise; tidy only scopes synchronous code');
  }
  const kept = new Set<Disposable>();
  collect(result, kept, new Set());
  for (const t of scope) {
    if (kept.has(t)) track(t);
    else if (!t.isDisposed) t.dispose();
  }
  return result;
}

/** The brand that marks a tensor for `tidy`'s result walk. */
export const TENSOR_BRAND: unique symbol = tensorBrand as never;
