// @ts-check
/**
 * WebGPU in Node through Dawn (the `webgpu` package), on a software adapter when the machine has
 * no GPU (see DESIGN.md, "Backends on a machine with no GPU"):
 * - `llvmpipe`: OpenGL on Mesa llvmpipe, compatibility feature level only (the faster of the two
 *   for compute here);
 * - `swiftshader`: Vulkan on SwiftShader (shipped with Debian's chromium), full core WebGPU;
 * - `default`: whatever Dawn picks (a real GPU, where there is one).
 * Sets `globalThis.navigator.gpu` (and `userAgent`), which tfjs-backend-webgpu needs at import
 * time and jax-js reads at init, plus Dawn's `GPU*` globals.
 * @module
 */
import os from 'node:os';
import { setNavigator } from './shims/web-worker.mjs';

/**
 * llvmpipe sometimes runs compute on one thread unless told how many to use; every WebGPU
 * configuration gets the same number, the one Tessera's backend picks (cores + 1, at least 2).
 */
export const lpNumThreads = () => String(Math.max(2, os.cpus().length + 1));

/** @typedef {'llvmpipe' | 'swiftshader' | 'default'} AdapterKind */

/**
 * @param {AdapterKind} kind
 * @returns {Promise<{ gpu: any, adapterInfo: string }>}
 */
export async function setupDawn(kind) {
  /** @type {string[]} */
  let flags = [];
  if (kind === 'llvmpipe') {
    process.env.EGL_PLATFORM ??= 'surfaceless';
    process.env.LP_NUM_THREADS ??= lpNumThreads();
    flags = ['backend=opengl'];
  } else if (kind === 'swiftshader') {
    process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    flags = ['backend=vulkan'];
  }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create(flags);
  if (kind === 'llvmpipe') {
    const requestAdapter = gpu.requestAdapter.bind(gpu);
    gpu.requestAdapter = (/** @type {any} */ opts = {}) => requestAdapter({ ...opts, featureLevel: 'compatibility' });
  }
  setNavigator({ gpu });
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error(`no WebGPU adapter (${kind}); see bench/README.md for the packages it needs`);
  const info = adapter.info ?? {};
  const adapterInfo = [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' / ');
  return { gpu, adapterInfo: `${kind === 'default' ? 'Dawn default' : kind} (${adapterInfo || 'unknown adapter'})` };
}
