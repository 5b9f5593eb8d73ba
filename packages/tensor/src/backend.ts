/**
 * The backend plugin interface and registry. A backend owns buffers and runs kernels by op name;
 * importing a backend package registers it, `setBackend(name)` makes it active.
 * @module
 */
import type { DType, TypedArray } from './dtype.js';
import { BackendError } from './errors.js';
import type { Shape } from './shape.js';

/** What a kernel sees of an input: a backend buffer and the strided layout over it. */
export interface TensorView {
  /** The backend's buffer handle (a typed array on `cpu`). */
  readonly buffer: unknown;
  /** Element type. */
  readonly dtype: DType;
  /** Logical shape. */
  readonly shape: Shape;
  /** Strides in elements (0 for broadcast dims, may be any positive value). */
  readonly strides: readonly number[];
  /** Offset of element [0,…,0] in the buffer, in elements. */
  readonly offset: number;
}

/** The shape and dtype of one output a kernel must produce. */
export interface OutputSpec {
  /** Output shape. */
  readonly shape: Shape;
  /** Output dtype. */
  readonly dtype: DType;
}

/**
 * A kernel: reads strided inputs, returns one contiguous buffer per output spec.
 * `attrs` is the op's validated attribute object (see the op's declaration in the catalogue).
 */
export type Kernel = (inputs: readonly TensorView[], attrs: any, outputs: readonly OutputSpec[]) => unknown[];

/** A compute backend. */
export interface Backend {
  /** Registry name: `'cpu'`, `'wasm'`, `'webgpu'`. */
  readonly name: string;
  /** Copies host data into a new buffer. */
  upload(data: TypedArray, dtype: DType): unknown;
  /** Reads `size` elements of a buffer back to the host (a fresh array the caller may keep). */
  read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray>;
  /** Synchronous read, only where it is cheap (cpu, wasm). Absent elsewhere. */
  readSync?(buffer: unknown, dtype: DType, size: number): TypedArray;
  /** Releases a buffer. */
  free(buffer: unknown): void;
  /** Kernels by op name. Ops without a kernel here fall back to their decomposition, if any. */
  readonly kernels: Readonly<Record<string, Kernel>>;
}

const registry = new Map<string, Backend>();
let active: Backend | undefined;

/** Registers a backend under its name (replacing one of the same name). The first one becomes active. */
export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
  active ??= backend;
}

/** Makes a registered backend the active one for new tensors and ops. */
export function setBackend(name: string): void {
  const b = registry.get(name);
  if (!b) {
    throw new BackendError(
      `setBackend: no backend named '${name}' is registered (registered: ${[...registry.keys()].join(', ') || 'none'}); import its package first, e.g. @tessera/backend-${name}`,
    );
  }
  active = b;
}

/** The active backend. */
export function getBackend(): Backend {
  if (!active) throw new BackendError('no backend is registered; import @tessera/tensor to get the cpu backend');
  return active;
}

/** A registered backend by name. */
export function findBackend(name: string): Backend | undefined {
  return registry.get(name);
}

/** Names of all registered backends. */
export function listBackends(): string[] {
  return [...registry.keys()];
}
