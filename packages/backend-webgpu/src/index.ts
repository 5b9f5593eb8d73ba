/**
 * `@tessera/backend-webgpu`: a WebGPU backend for `@tessera/tensor` — Dawn (the `webgpu` npm
 * package) in Node, `navigator.gpu` in browsers.
 *
 * ```ts
 * import { setBackend, randn } from '@tessera/tensor';
 * import { initWebGPU, destroyWebGPU } from '@tessera/backend-webgpu';
 * await initWebGPU();                          // or { adapter: 'swiftshader' } on a machine without a GPU
 * setBackend('webgpu');
 * const y = randn([256, 256]).matmul(randn([256, 256]));
 * console.log(await y.data());                 // dataSync() throws here: reads are asynchronous
 * destroyWebGPU();                             // Dawn keeps a core busy until the device is destroyed
 * ```
 *
 * Ops encode their dispatches into one open compute pass and return at once; only a read
 * (`await t.data()`) submits and waits. Every catalogue kernel op has a WGSL kernel, and
 * softmax, logSoftmax, layerNorm, groupNorm and scaledDotProductAttention have fused ones.
 * @packageDocumentation
 */
import { BackendError } from '@tessera/tensor';
import { GpuContext } from './context.js';
import { type MatmulVariant, type WebGPUOptions, acquireGPU, describeAdapter, isCpuAdapter, openDevice, resolveSetup } from './device.js';
import type { PoolStats } from './pool.js';
import { current, peekContext, setContext } from './state.js';
import { webgpuBackend } from './backend.js';

export { webgpuBackend };
export type { WebGPUOptions, SoftwareAdapter, MatmulVariant } from './device.js';
export type { PoolStats } from './pool.js';

/** What {@link initWebGPU} set up. */
export interface WebGPUInfo {
  /** The adapter (vendor, architecture, description). */
  adapter: string;
  /** Whether the adapter is a CPU rasteriser (SwiftShader, llvmpipe, …). */
  cpu: boolean;
  /** `'core'` or `'compatibility'`. */
  featureLevel: string;
  /** Where the GPU came from: `navigator.gpu`, Dawn, or given in the options. */
  source: 'given' | 'navigator' | 'dawn';
  /** The matmul kernel family in use and why. */
  matmul: MatmulVariant;
  /** Optional features the device has (`subgroups`, `timestamp-query`, `shader-f16`). */
  features: string[];
}

let pending: Promise<WebGPUInfo> | null = null;

/**
 * Creates the WebGPU device and makes the `webgpu` backend usable (`setBackend('webgpu')` to
 * select it). Finds `navigator.gpu`, else loads Dawn from the `webgpu` package with
 * `options.dawnFlags`; requests the optional features the adapter has (`subgroups`,
 * `timestamp-query`, `shader-f16`) and raises the storage and workgroup limits to the adapter's
 * maxima. Calling it again replaces the device (after a device loss, this is the way back);
 * tensors of the old device cannot be used with the new one.
 *
 * Throws a BackendError naming the cause and the setup that fixes it when there is no adapter.
 */
export async function initWebGPU(options: WebGPUOptions = {}): Promise<WebGPUInfo> {
  if (pending) await pending.catch(() => undefined);
  pending = (async () => {
    const old = peekContext();
    if (old && !old.destroyed) old.destroy();
    setContext(null);
    const setup = await resolveSetup(options);
    const { gpu, source } = await acquireGPU(options, setup);
    const { adapter, device } = await openDevice(gpu, options, setup);
    const cpu = isCpuAdapter(adapter);
    // The tiled kernel needs 16x16 invocations per workgroup; a weaker device gets the other one.
    const tiledFits = device.limits.maxComputeInvocationsPerWorkgroup >= 256 && device.limits.maxComputeWorkgroupSizeX >= 16;
    const matmul: MatmulVariant = options.matmul ?? (cpu || !tiledFits ? 'registers' : 'tiled');
    if (matmul !== 'registers' && matmul !== 'tiled') {
      device.destroy();
      throw new BackendError(`initWebGPU: matmul must be 'registers' or 'tiled', got '${String(matmul)}'`);
    }
    const featureLevel = device.features.has('core-features-and-limits') ? 'core' : setup.featureLevel;
    const ctx = new GpuContext(device, {
      adapter: describeAdapter(adapter),
      cpu,
      featureLevel,
      source,
      matmul,
      features: [...device.features].map(String).sort(),
      maxStorageBuffers: device.limits.maxStorageBuffersPerShaderStage,
      // On CPU rasterisers the register-blocked matmuls beat the per-query online kernel 3-4x,
      // so up to 16M scores (64 MB) attention goes through them; GPUs always run the fused kernel.
      attentionScoreBudget: cpu ? 1 << 24 : 0,
      im2colBudget: 1 << 24,
    }, { gpu, adapter });
    setContext(ctx);
    return webgpuInfo()!;
  })();
  try {
    return await pending;
  } finally {
    pending = null;
  }
}

/**
 * Destroys the device. Dawn keeps a core busy while a device exists and Node may not exit
 * until it is destroyed: call this when done (in tests, in `afterAll`). Safe to call twice.
 */
export function destroyWebGPU(): void {
  const ctx = peekContext();
  if (!ctx) return;
  ctx.destroy();
  setContext(null);
}

/** What the live device is, or null before {@link initWebGPU}. */
export function webgpuInfo(): WebGPUInfo | null {
  const ctx = peekContext();
  if (!ctx || ctx.destroyed) return null;
  const i = ctx.info;
  return { adapter: i.adapter, cpu: i.cpu, featureLevel: i.featureLevel, source: i.source, matmul: i.matmul, features: [...i.features] };
}

/** Buffer-pool statistics plus pipeline and submit counts. */
export interface WebGPUMemory extends PoolStats {
  /** Compiled pipelines in the cache. */
  pipelines: number;
  /** Queue submits since initialisation. */
  submits: number;
}

/** Buffer pool counters of the live device: bytes handed out, pooled, buffers created and reused. */
export function webgpuMemory(): WebGPUMemory {
  const ctx = current();
  return { ...ctx.pool.stats(), pipelines: ctx.pipelineCount, submits: ctx.submits };
}

/** Submits the open batch of dispatches and waits until the GPU has run everything submitted. */
export async function syncWebGPU(): Promise<void> {
  await current().sync();
}

export { probeWebGPU, type ProbeFound, type ProbeMissing, type ProbeResult } from './probe.js';
export { SETUP_HINT } from './device.js';
