/**
 * Builds a wasm backend: loads the kernel module, creates its runtime (memory, allocator, thread
 * pool) and the `Backend` object with every kernel. `index.ts` makes the default one (`'wasm'`);
 * tests make others (an unshared, single-threaded one, say) under other names.
 * @module
 */
import { type Backend, type DType, type Kernel, type TypedArray, BackendError } from '@tessera/tensor';
import { type WasmFlavor, isNode, loadModule } from './loader.js';
import { WasmRuntime } from './runtime.js';
import { type WasmBuffer } from './kernels/common.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { reduceKernels } from './kernels/reduce.js';
import { linearKernel, matmulKernels } from './kernels/matmul.js';
import { convKernels } from './kernels/conv.js';
import { indexingKernels } from './kernels/indexing.js';
import { nnKernels } from './kernels/nn.js';

/** Options of `createWasmBackend`. */
export interface WasmBackendOptions {
  /** Registry name (default `'wasm'`). */
  name?: string;
  /** Force a build (default: relaxed where the engine validates it). */
  flavor?: WasmFlavor;
  /** Force shared (threads) or unshared memory (default: shared where SharedArrayBuffer exists). */
  shared?: boolean;
  /** Threads, the caller included (default: the number of cores; 1 without shared memory). */
  threads?: number;
  /** A threaded task with no progress for this long throws instead of hanging (default 60 s). */
  stallTimeoutMs?: number;
}

/** A backend with its runtime and thread control. */
export interface WasmBackendHandle {
  /** The backend object, ready for `registerBackend`. */
  backend: Backend;
  /** @internal Memory, allocator, threads. */
  runtime: WasmRuntime;
  /** The build that was loaded. */
  flavor: WasmFlavor;
  /** Whether the memory is shared (threads possible). */
  shared: boolean;
  /** Sets the number of threads of this backend (the caller counts as one). */
  setThreads(n: number): void;
}

/** The number of cores (Node: availableParallelism; browsers: hardwareConcurrency). */
export async function defaultThreads(): Promise<number> {
  if (isNode) {
    const os = await import('node:os');
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

function bytesOf(dtype: DType, size: number): number {
  return dtype === 'bool' ? size : size * 4;
}

/**
 * Node's `Buffer`, where there is one: its `allocUnsafeSlow` gives memory without the zero fill,
 * in an ArrayBuffer of its own and of exactly the size asked (no pool).
 */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(bytes: number): { buffer: ArrayBuffer; byteOffset: number } } }).Buffer;
/**
 * Readbacks at least this large skip the zero fill of the host array, which the copy overwrites
 * at once: for a 4 MB result that fill took ~0.2 ms of the readback's ~0.4 ms on the 2-core dev
 * VM (as much as the copy itself), a seventh of a 2-thread softmax 1024².
 */
const UNFILLED_MIN_BYTES = 1 << 16;

/** A host array for a readback of `size` elements; its contents are garbage until overwritten. */
function hostArray(dtype: DType, size: number): TypedArray {
  const bytes = bytesOf(dtype, size);
  if (NodeBuffer && bytes >= UNFILLED_MIN_BYTES) {
    const b = NodeBuffer.allocUnsafeSlow(bytes);
    if (b.byteOffset === 0 && b.buffer.byteLength === bytes) {
      return dtype === 'float32' ? new Float32Array(b.buffer) : dtype === 'int32' ? new Int32Array(b.buffer) : new Uint8Array(b.buffer);
    }
  }
  return dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
}

/** Loads the module and builds a backend (not registered). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackendHandle> {
  const loaded = await loadModule({ flavor: opts.flavor, shared: opts.shared });
  const rt = new WasmRuntime(loaded);
  rt.pool.stallTimeoutMs = opts.stallTimeoutMs ?? rt.pool.stallTimeoutMs;
  await rt.pool.init();
  let warned = false;

  const setThreads = (n: number): void => {
    if (!Number.isInteger(n) || n < 1) throw new BackendError(`setThreads: n must be a positive integer, got ${String(n)}`);
    if (!loaded.shared) {
      if (!warned && n > 1) {
        console.warn('@tessera/backend-wasm: SharedArrayBuffer is unavailable (serve the page with COOP/COEP headers for threads); running single-threaded');
        warned = true;
      }
      return;
    }
    rt.pool.resize(n);
    rt.pool.broken = false;
    rt.dropWorkspaces();
  };

  const readSync = (buffer: unknown, dtype: DType, size: number): TypedArray => {
    const b = buffer as WasmBuffer;
    const out = hostArray(dtype, size);
    const bytes = bytesOf(dtype, size);
    if (bytes > 0) new Uint8Array(out.buffer).set(new Uint8Array(rt.memory.buffer, b.ptr, bytes));
    return out;
  };

  const kernels: Record<string, Kernel> = {
    ...elementwiseKernels(rt),
    ...reduceKernels(rt),
    ...matmulKernels(rt),
    ...convKernels(rt),
    ...indexingKernels(rt),
    ...nnKernels(rt),
  };
  // The fused linear falls back on the other kernels for dtypes its GEMM epilogue does not take.
  kernels.linear = linearKernel(rt, kernels);

  const backend: Backend = {
    name: opts.name ?? 'wasm',
    upload(data: TypedArray, dtype: DType): WasmBuffer {
      const bytes = bytesOf(dtype, data.length);
      if (bytes === 0) return { ptr: 0, bytes: 0 };
      const ptr = rt.alloc(bytes, `a ${dtype} tensor of ${data.length} elements`);
      new Uint8Array(rt.memory.buffer, ptr, bytes).set(new Uint8Array(data.buffer, data.byteOffset, bytes));
      return { ptr, bytes };
    },
    read: async (buffer, dtype, size) => readSync(buffer, dtype, size),
    readSync,
    free(buffer: unknown): void {
      const b = buffer as WasmBuffer & { freed?: boolean };
      if (b.freed) throw new BackendError('wasm backend: buffer freed twice');
      b.freed = true;
      if (b.ptr) rt.free(b.ptr);
    },
    kernels,
  };
  if (!loaded.shared) setThreads(2); // prints the one console line
  else setThreads(opts.threads ?? (await defaultThreads()));
  return { backend, runtime: rt, flavor: loaded.flavor, shared: loaded.shared, setThreads };
}
