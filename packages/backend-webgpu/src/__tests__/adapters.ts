/**
 * Test helper: which adapters the suites run on. `TESSERA_WEBGPU_ADAPTERS` lists them
 * (`swiftshader`, `llvmpipe`, `default` = no preset; default `swiftshader,llvmpipe`, falling back
 * to `default`). An adapter that cannot be created is skipped with one loud warning, unless
 * `TESSERA_WEBGPU_REQUIRED=1` (CI), which turns a missing adapter into a failure.
 * @module
 */
import { it } from 'vitest';
import { type SoftwareAdapter, type WebGPUOptions, SETUP_HINT, probeWebGPU } from '../index.js';

/** One adapter a suite runs on. */
export interface TestAdapter {
  /** Name used in suite titles. */
  name: string;
  /** Options for initWebGPU. */
  options: WebGPUOptions;
  /** The adapter's description. */
  adapter: string;
}

/**
 * Probes the configured adapters. A missing one is reported in one `console.warn` line (only by
 * the suite that passes `warn`, so a run prints it once) or, when required, thrown.
 */
export async function testAdapters(warn = false): Promise<TestAdapter[]> {
  const env = process.env;
  const listed = (env.TESSERA_WEBGPU_ADAPTERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const names = listed.length ? listed : ['swiftshader', 'llvmpipe'];
  const required = env.TESSERA_WEBGPU_REQUIRED === '1' || env.TESSERA_WEBGPU_REQUIRED === 'true';
  const found: TestAdapter[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const options: WebGPUOptions = name === 'default' ? {} : { adapter: name as SoftwareAdapter };
    const r = await probeWebGPU(options);
    if (r.ok) found.push({ name, options, adapter: r.adapter });
    else missing.push(`${name}: ${r.reason}`);
  }
  if (found.length === 0 && listed.length === 0) {
    const r = await probeWebGPU({});
    if (r.ok) found.push({ name: 'default', options: {}, adapter: r.adapter });
  }
  if (missing.length) {
    if (required) throw new Error(`@tessera/backend-webgpu: no WebGPU adapter (TESSERA_WEBGPU_REQUIRED is set): ${missing.join('; ')}. ${SETUP_HINT}`);
    if (warn) console.warn(`@tessera/backend-webgpu: SKIPPING WebGPU tests on ${missing.join('; ')}. ${SETUP_HINT}`);
  }
  return found;
}

/**
 * With no adapter, records the suite as one skipped test whose title says why: WebGPU needs an
 * adapter, and issue 5 asks for the suites to skip (with the warning above) where none can be
 * created. Not a silent skip in CI: there TESSERA_WEBGPU_REQUIRED=1 makes testAdapters throw.
 */
export function skipWithoutAdapter(suite: string, adapters: readonly TestAdapter[]): void {
  if (adapters.length > 0) return;
  it.skip(`${suite}: skipped, no WebGPU adapter on this machine (the warning above says how to install one); CI sets TESSERA_WEBGPU_REQUIRED=1 and fails instead`, () => {});
}
