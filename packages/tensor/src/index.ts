/**
 * `@tessera/tensor`: tensors, broadcasting, views, the op catalogue, the reference cpu backend,
 * memory scopes, a seedable RNG and safetensors I/O.
 *
 * ```ts
 * import { tensor, randn, manualSeed } from '@tessera/tensor';
 * manualSeed(0);
 * const a = randn([2, 3]);
 * const b = tensor([[1, 2], [3, 4], [5, 6]]);
 * console.log(a.matmul(b).softmax(-1).toString());
 * ```
 * @packageDocumentation
 */
export * from './errors.js';
export * from './dtype.js';
export * from './shape.js';
export * from './backend.js';
export { memory, Storage, type MemoryInfo, type BackendMemory } from './storage.js';
export { tidy, keep, type Disposable } from './scope.js';
export * from './registry.js';
export * from './dispatch.js';
export { Tensor, type TensorOrScalar, type NestedArray } from './tensor.js';
export * from './random.js';
export * from './ops/creation.js';
export * from './ops/views.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/matmul.js';
export * from './ops/nn.js';
export * from './ops/join.js';
export * from './ops/indexing.js';
export * from './ops/scan.js';
export * from './ops/conv.js';
export * from './ops/pool.js';
export * from './ops/interpolate.js';
export * from './ops/interpolate-taps.js';
export * from './ops/rearrange.js';
export * from './safetensors.js';
export { cpuBackend } from './cpu/index.js';
