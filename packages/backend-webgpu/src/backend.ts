/**
 * The `webgpu` Backend object. It is registered once, when the package is imported, so that
 * `setBackend('webgpu')` works at any time; until {@link initWebGPU} has made a device every use
 * throws an error saying to call it. Host dtypes map to 32-bit GPU storage: bool (one byte on the
 * host) is widened to u32 on upload and narrowed back on read. There is no `readSync`:
 * `dataSync()` therefore throws and says to use `await data()`.
 * @module
 */
import { type Backend, type DType, type Kernel, type TypedArray, allocArray, registerBackend } from '@tessera/tensor';
import type { GpuBuffer } from './pool.js';
import { current, peekContext } from './state.js';
import { kernels as elementwise } from './kernels/elementwise.wgsl.js';
import { kernels as reduce } from './kernels/reduce.wgsl.js';
import { kernels as matmul } from './kernels/matmul.wgsl.js';
import { kernels as join } from './kernels/join.wgsl.js';
import { kernels as indexing } from './kernels/indexing.wgsl.js';
import { kernels as scan } from './kernels/scan.wgsl.js';
import { kernels as conv } from './kernels/conv.wgsl.js';
import { kernels as pool } from './kernels/pool.wgsl.js';
import { kernels as interpolate } from './kernels/interpolate.wgsl.js';
import { kernels as softmax } from './kernels/softmax.wgsl.js';
import { kernels as norm } from './kernels/norm.wgsl.js';
import { kernels as attention } from './kernels/attention.wgsl.js';

const kernels: Record<string, Kernel> = {
  ...elementwise,
  ...reduce,
  ...matmul,
  ...join,
  ...indexing,
  ...scan,
  ...conv,
  ...pool,
  ...interpolate,
  ...softmax,
  ...norm,
  ...attention,
};

/** The `webgpu` backend (registered on import; usable after `await initWebGPU()`). */
export const webgpuBackend: Backend = {
  name: 'webgpu',
  upload(data: TypedArray, dtype: DType): unknown {
    const ctx = current();
    if (dtype === 'bool') return ctx.upload(Uint32Array.from(data as Uint8Array));
    return ctx.upload(data);
  },
  async read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray> {
    const ctx = current();
    const bytes = await ctx.read(buffer as GpuBuffer, size * 4);
    if (dtype === 'bool') return Uint8Array.from(new Uint32Array(bytes));
    if (dtype === 'int32') return new Int32Array(bytes);
    if (dtype === 'float32') return new Float32Array(bytes);
    return allocArray(dtype, 0);
  },
  free(buffer: unknown): void {
    const b = buffer as GpuBuffer;
    const ctx = peekContext();
    // Buffers of a destroyed or lost device went with it.
    if (ctx && !ctx.destroyed && b.owner === ctx.pool) ctx.pool.release(b);
  },
  kernels,
};

registerBackend(webgpuBackend);
