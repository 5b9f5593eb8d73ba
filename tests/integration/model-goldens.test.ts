// The PyTorch goldens of DiT (with the diffusion loop) and ViViT (all variants, with gradients) on
// every backend: the models are written once on the public API, so their goldens must hold on
// wasm and webgpu with the same tolerances as on cpu. This lives outside the packages because it
// ties models to backends, which depend on each other only here.
import { afterAll, describe, expect, it } from 'vitest';
import '@tessera/backend-wasm';
import { destroyWebGPU, initWebGPU, probeWebGPU } from '@tessera/backend-webgpu';
import { checkDitGolden } from '../../packages/models/src/dit/golden.js';
import { checkViViTGolden } from '../../packages/models/src/vivit/golden.js';

const required = process.env.TESSERA_WEBGPU_REQUIRED === '1';
const probe = await probeWebGPU({ adapter: 'llvmpipe' });
if (!probe.ok && !required) console.warn(`model goldens on webgpu: SKIPPED, no llvmpipe adapter (${probe.reason})`);

async function expectDit(backend: string): Promise<void> {
  const results = await checkDitGolden(backend);
  const bad = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail} (ratio ${r.worstRatio} > ${r.tol})`);
  expect(bad).toEqual([]);
  expect(results.length).toBeGreaterThan(10);
}

async function expectViViT(backend: string): Promise<void> {
  const report = await checkViViTGolden(backend);
  expect(report.failures.map((f) => JSON.stringify(f))).toEqual([]);
  expect(report.results.length).toBeGreaterThan(50);
}

describe('model goldens on wasm', () => {
  it('DiT and diffusion', () => expectDit('wasm'), 120_000);
  it('ViViT', () => expectViViT('wasm'), 120_000);
});

describe.runIf(probe.ok || required)('model goldens on webgpu (llvmpipe)', () => {
  afterAll(() => destroyWebGPU());
  it('DiT and diffusion', async () => {
    await initWebGPU({ adapter: 'llvmpipe' });
    await expectDit('webgpu');
  }, 300_000);
  it('ViViT', () => expectViViT('webgpu'), 300_000);
});
