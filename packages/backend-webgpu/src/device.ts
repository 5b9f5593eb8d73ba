/// <reference types="@webgpu/types" />
/**
 * Device setup: find a `GPU` (the browser's `navigator.gpu`, else Dawn through the `webgpu` npm
 * package), pick an adapter, request a device with the optional features and raised limits the
 * kernels use, and turn every way this can fail into an error that names the cause and the setup
 * that fixes it.
 * @module
 */
import { BackendError } from '@tessera/tensor';

/** Which software adapter preset to set up (see {@link WebGPUOptions.adapter}). */
export type SoftwareAdapter = 'swiftshader' | 'llvmpipe';

/** Which matmul kernel family to use (see {@link WebGPUOptions.matmul}). */
export type MatmulVariant = 'registers' | 'tiled';

/** Options of {@link initWebGPU}. */
export interface WebGPUOptions {
  /**
   * A ready `GPU` object to use instead of `navigator.gpu` or Dawn (for tests and embedders).
   */
  gpu?: GPU;
  /**
   * Dawn instance flags for `create()` in Node, e.g. `['backend=vulkan']` or
   * `['backend=opengl']`. Ignored where `navigator.gpu` exists.
   */
  dawnFlags?: string[];
  /**
   * A preset for the two software adapters of a machine without a GPU (Node and Dawn only):
   * `'swiftshader'`: Vulkan on SwiftShader, core WebGPU (`backend=vulkan`; sets
   * `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json` if unset and that file exists);
   * `'llvmpipe'`: OpenGL on Mesa llvmpipe at compatibility level (`backend=opengl`,
   * `featureLevel: 'compatibility'`; sets `EGL_PLATFORM=surfaceless` and `LP_NUM_THREADS` if unset).
   * Environment variables already set are left alone.
   */
  adapter?: SoftwareAdapter;
  /** `'core'` (default) or `'compatibility'` (needed for Dawn's OpenGL backend). */
  featureLevel?: 'core' | 'compatibility';
  /** Adapter power preference hint. */
  powerPreference?: GPUPowerPreference;
  /** Ask for the fallback (software) adapter. */
  forceFallbackAdapter?: boolean;
  /**
   * Matmul kernel family: `'registers'` (8x8 outputs per invocation in registers, vec4 loads,
   * no workgroup memory: fastest on CPU rasterisers) or `'tiled'` (workgroup-memory tiles: fastest
   * on real GPUs). Default: chosen by adapter; {@link webgpuInfo} says which.
   */
  matmul?: MatmulVariant;
}

/** Dawn flags and request options after applying the preset. */
export interface ResolvedSetup {
  /** Dawn flags passed to `create()`. */
  dawnFlags: string[];
  /** Feature level asked of `requestAdapter`. */
  featureLevel: 'core' | 'compatibility';
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The setup advice every "no adapter" error carries. */
export const SETUP_HINT =
  'On a machine without a GPU use a software adapter: ' +
  `SwiftShader over Vulkan (apt-get install chromium; VK_ICD_FILENAMES=${SWIFTSHADER_ICD}; ` +
  "initWebGPU({ adapter: 'swiftshader' }) or dawnFlags ['backend=vulkan']), or Mesa llvmpipe over OpenGL " +
  '(apt-get install mesa-vulkan-drivers libegl-mesa0 libgl1-mesa-dri; EGL_PLATFORM=surfaceless; ' +
  "initWebGPU({ adapter: 'llvmpipe' }) or dawnFlags ['backend=opengl'] with featureLevel 'compatibility').";

function nodeEnv(): Record<string, string | undefined> | null {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env ?? null;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    const fs = await import('node:fs');
    return fs.existsSync(path);
  } catch {
    return false;
  }
}

async function cpuCount(): Promise<number> {
  try {
    const os = await import('node:os');
    return os.cpus().length;
  } catch {
    return 2;
  }
}

/** Applies the adapter preset: Dawn flags, feature level and (unset) environment variables. */
export async function resolveSetup(opts: WebGPUOptions): Promise<ResolvedSetup> {
  const flags = [...(opts.dawnFlags ?? [])];
  let featureLevel = opts.featureLevel ?? 'core';
  const env = nodeEnv();
  if (opts.adapter === 'swiftshader') {
    if (!flags.some((f) => f.startsWith('backend='))) flags.push('backend=vulkan');
    if (env && !env.VK_ICD_FILENAMES && (await fileExists(SWIFTSHADER_ICD))) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  } else if (opts.adapter === 'llvmpipe') {
    if (!flags.some((f) => f.startsWith('backend='))) flags.push('backend=opengl');
    featureLevel = opts.featureLevel ?? 'compatibility';
    if (env) {
      env.EGL_PLATFORM ??= 'surfaceless';
      // llvmpipe sometimes runs compute on one thread unless told how many to use.
      env.LP_NUM_THREADS ??= String(Math.max(2, (await cpuCount()) + 1));
    }
  } else if (opts.adapter !== undefined) {
    throw new BackendError(`initWebGPU: adapter must be 'swiftshader' or 'llvmpipe', got '${String(opts.adapter)}'`);
  }
  if (flags.includes('backend=opengl') && opts.featureLevel === undefined) featureLevel = 'compatibility';
  return { dawnFlags: flags, featureLevel };
}

/** Finds a `GPU`: the one given, `navigator.gpu`, or a Dawn instance from the `webgpu` package. */
export async function acquireGPU(opts: WebGPUOptions, setup: ResolvedSetup): Promise<{ gpu: GPU; source: 'given' | 'navigator' | 'dawn' }> {
  if (opts.gpu) return { gpu: opts.gpu, source: 'given' };
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator' };
  let dawn: { create: (flags: string[]) => GPU };
  try {
    dawn = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU };
  } catch (e) {
    throw new BackendError(
      `initWebGPU: there is no navigator.gpu here and the 'webgpu' npm package (Dawn) could not be loaded (${(e as Error).message}); ` +
        `install it with 'npm install webgpu'. ${SETUP_HINT}`,
    );
  }
  return { gpu: dawn.create(setup.dawnFlags), source: 'dawn' };
}

/** The limits raised to the adapter's maxima: kernels bind several storage buffers and big tensors. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxUniformBufferBindingSize',
] as const;

/** Optional features requested when the adapter has them. */
const OPTIONAL_FEATURES: GPUFeatureName[] = ['subgroups', 'timestamp-query', 'shader-f16'];

/** Requests the adapter and device; throws a {@link BackendError} that says how to fix the setup. */
export async function openDevice(gpu: GPU, opts: WebGPUOptions, setup: ResolvedSetup): Promise<{ adapter: GPUAdapter; device: GPUDevice }> {
  const req: GPURequestAdapterOptions = { featureLevel: setup.featureLevel };
  if (opts.powerPreference) req.powerPreference = opts.powerPreference;
  if (opts.forceFallbackAdapter) req.forceFallbackAdapter = true;
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(req);
  } catch (e) {
    throw new BackendError(`initWebGPU: requestAdapter failed (${(e as Error).message}). ${SETUP_HINT}`);
  }
  if (!adapter) {
    const env = nodeEnv();
    const envNote = env
      ? ` (VK_ICD_FILENAMES=${env.VK_ICD_FILENAMES ?? 'unset'}, EGL_PLATFORM=${env.EGL_PLATFORM ?? 'unset'})`
      : '';
    throw new BackendError(
      `initWebGPU: no WebGPU adapter (Dawn flags [${setup.dawnFlags.join(', ')}], featureLevel '${setup.featureLevel}'${envNote}). ${SETUP_HINT}`,
    );
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (e) {
    throw new BackendError(`initWebGPU: requestDevice failed on adapter '${describeAdapter(adapter)}' (${(e as Error).message}). ${SETUP_HINT}`);
  }
  return { adapter, device };
}

/** A one-line description of an adapter (vendor, architecture, description). */
export function describeAdapter(adapter: GPUAdapter): string {
  const i = adapter.info;
  return [i.vendor, i.architecture, i.device, i.description].filter((s) => s).join(' ').trim() || 'unknown adapter';
}

/** Whether the adapter is a CPU rasteriser (SwiftShader, llvmpipe, lavapipe, WARP, fallback). */
export function isCpuAdapter(adapter: GPUAdapter): boolean {
  const i = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  if (i.isFallbackAdapter) return true;
  const s = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/.test(s);
}
