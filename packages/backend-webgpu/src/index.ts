/**
 * `@tessera/backend-webgpu`: a WebGPU backend for `@tessera/tensor` (Dawn through the `webgpu`
 * npm package in Node, `navigator.gpu` in browsers).
 *
 * **Not implemented yet.** This package is a placeholder so that the workspace builds and the
 * API docs have a page for it. Importing it does not register a backend yet. It will hold:
 *
 * - WGSL kernels (`src/kernels/*.wgsl.ts`), a buffer pool and command batching: ops encode and
 *   submit without waiting, only a read (`await t.data()`) waits;
 * - device setup for Dawn (Vulkan, Metal, D3D12, or a software adapter such as SwiftShader) and
 *   for `navigator.gpu`, and registration of the `webgpu` backend on import, so that
 *   `setBackend('webgpu')` selects it.
 *
 * Today it exports nothing but {@link PACKAGE_STATUS}.
 * @packageDocumentation
 */

/** Implementation status of this package: `'planned'` means no functionality is implemented yet. */
export const PACKAGE_STATUS = 'planned' as const;
