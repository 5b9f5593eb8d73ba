/**
 * `@tessera/backend-wasm`: a WebAssembly SIMD backend for `@tessera/tensor`.
 *
 * **Not implemented yet.** This package is a placeholder so that the workspace builds and the
 * API docs have a page for it. Importing it does not register a backend yet. It will hold:
 *
 * - `assembly/`: AssemblyScript kernels compiled with SIMD (and relaxed SIMD where the engine has
 *   it), built by the `simd` and `relaxed` targets in the root `asconfig.json`;
 * - `src/`: memory management over a shared `WebAssembly.Memory`, threads through
 *   `worker_threads` (Node) or Web Workers (browser), single-threaded without SharedArrayBuffer,
 *   and registration of the `wasm` backend on import, so that `setBackend('wasm')` selects it.
 *
 * Today it exports nothing but {@link PACKAGE_STATUS}.
 * @packageDocumentation
 */

/** Implementation status of this package: `'planned'` means no functionality is implemented yet. */
export const PACKAGE_STATUS = 'planned' as const;
