/**
 * The live device context, shared by the backend object and every kernel module. `initWebGPU`
 * sets it; kernels reach it through {@link current}, which says what to do when there is none.
 * @module
 */
import { BackendError } from '@tessera/tensor';
import type { GpuContext } from './context.js';

let ctx: GpuContext | null = null;

/** Installs (or with `null` clears) the live context. */
export function setContext(c: GpuContext | null): void {
  ctx = c;
}

/** The live context, or null. */
export function peekContext(): GpuContext | null {
  return ctx;
}

/** The live context; throws a BackendError naming the fix when there is none or it is unusable. */
export function current(): GpuContext {
  if (!ctx) throw new BackendError("webgpu: the backend is not initialised; call 'await initWebGPU()' first (see @tessera/backend-webgpu)");
  ctx.check();
  return ctx;
}
