/**
 * `@tessera/backend-wasm`: a WebAssembly SIMD backend for `@tessera/tensor`, with kernels written
 * in AssemblyScript (`assembly/`) and threads over a shared memory.
 *
 * ```ts
 * import { setBackend, randn } from '@tessera/tensor';
 * import { setThreads } from '@tessera/backend-wasm';
 * setBackend('wasm');
 * setThreads(4); // default: the number of cores
 * const y = randn([1024, 1024]).matmul(randn([1024, 1024]));
 * ```
 *
 * Importing the package loads the kernel module (top-level await) and registers the `wasm`
 * backend. The relaxed-SIMD build is used where the engine validates it (Node 22+, Chrome),
 * plain SIMD elsewhere. Without SharedArrayBuffer (a browser page served without COOP/COEP) the
 * backend runs single-threaded and says so once on the console. Results are identical for any
 * number of threads.
 * @packageDocumentation
 */
import { type Backend, registerBackend } from '@tessera/tensor';
import { type AllocatorStats } from './allocator.js';
import { type WasmFlavor } from './loader.js';
import { type WasmRuntime } from './runtime.js';
import { createWasmBackend } from './backend.js';

export { WasmOutOfMemoryError, type AllocatorStats } from './allocator.js';
export { type WasmBuffer } from './kernels/common.js';
export { type WasmFlavor, hasRelaxedSimd, hasSharedMemory } from './loader.js';
export { createWasmBackend, type WasmBackendOptions, type WasmBackendHandle } from './backend.js';

const handle = await createWasmBackend();
const rt = handle.runtime;

/** The `wasm` backend object (registered on import). */
export const wasmBackend: Backend = handle.backend;

/** @internal The default backend's runtime, for this package's tests and benchmarks. */
export const runtime: WasmRuntime = rt;

/**
 * Sets the number of threads kernels may use, the calling thread included (default: the number of
 * cores). Results do not depend on it. Without SharedArrayBuffer it stays 1.
 */
export function setThreads(n: number): void {
  handle.setThreads(n);
}

/** Threads in use (the caller included). */
export function getThreads(): number {
  return rt.pool.threads;
}

/** The GEMM blocking of a build (see assembly/gemm.ts). */
export interface GemmBlocking {
  /** Rows of the register tile (4 plain SIMD, 6 relaxed SIMD). */
  MR: number;
  /** Columns of the register tile. */
  NR: number;
  /** Depth of a packed block (K per pass). */
  KC: number;
  /** Rows of a packed A block. */
  MC: number;
  /** Columns of a packed B block. */
  NC: number;
}

/** What was loaded and how memory stands. */
export interface WasmInfo {
  /** `'simd'` or `'relaxed'`. */
  flavor: WasmFlavor;
  /** Whether the memory is shared (threads possible). */
  shared: boolean;
  /** Threads in use. */
  threads: number;
  /** Worker threads started and alive. */
  readyWorkers: number;
  /** Bytes of the wasm memory. */
  memoryBytes: number;
  /** Bytes of per-thread workspace (packing buffers, im2col columns, attention tiles), included in `allocator.liveBytes`. */
  workspaceBytes: number;
  /** GEMM register and cache blocking of the loaded build. */
  gemm: GemmBlocking;
  /** Allocator counters. */
  allocator: AllocatorStats;
}

/** The default backend's state: build, threads, memory. */
export function wasmInfo(): WasmInfo {
  return {
    flavor: handle.flavor,
    shared: handle.shared,
    threads: rt.pool.threads,
    readyWorkers: rt.pool.readyWorkers,
    memoryBytes: rt.memory.buffer.byteLength,
    workspaceBytes: rt.workspaceBytes,
    gemm: {
      MR: rt.call('gemm_params', 0),
      NR: rt.call('gemm_params', 1),
      KC: rt.call('gemm_params', 2),
      MC: rt.call('gemm_params', 3),
      NC: rt.call('gemm_params', 4),
    },
    allocator: rt.stats(),
  };
}

/** Frees the per-thread workspaces (they are re-made by the next kernel that needs them). */
export function releaseWorkspaces(): void {
  rt.dropWorkspaces();
}

registerBackend(wasmBackend);
