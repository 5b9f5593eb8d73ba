// The conformance kit on every available software adapter — SwiftShader over Vulkan (core) and
// llvmpipe over OpenGL (compatibility) — one after the other in this file, each with its own
// device, destroyed in afterAll so that Dawn stops spinning and Node can exit. Adapters that
// cannot be created are skipped with one warning (see __tests__/adapters.ts).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runConformance } from '@tessera/tensor/testing';
import { destroyWebGPU, initWebGPU } from './index.js';
import { peekContext } from './state.js';
import { describeOn, testAdapters } from './__tests__/adapters.js';
import { TOLERANCES } from './__tests__/tolerances.js';

const adapters = await testAdapters(true); // the one suite that warns about a missing adapter
const only = process.env.TESSERA_CONFORMANCE_FILTER ? new RegExp(process.env.TESSERA_CONFORMANCE_FILTER) : null;
const filter = only ?? undefined;

for (const a of adapters) {
  describeOn(a)(`webgpu on ${a.name} (${a.adapter})`, () => {
    beforeAll(async () => {
      await initWebGPU(a.options);
      // On the compatibility adapter, hold kernels to compatibility mode's default budget of 4
      // storage buffers per stage (llvmpipe itself grants 16), as a weaker device would.
      // There also attention runs its online-softmax kernel (SwiftShader takes the materialised
      // path the CPU rasterisers use by default), so the kit checks both.
      // Likewise conv runs its direct kernel there, im2col + matmul on SwiftShader.
      if (a.name === 'llvmpipe') {
        peekContext()!.info.maxStorageBuffers = 4;
        peekContext()!.info.attentionScoreBudget = 0;
        peekContext()!.info.im2colBudget = 0;
      }
    });
    afterAll(() => destroyWebGPU());
    runConformance('webgpu', { describe, it }, { tolerances: TOLERANCES, filter });
  });
}
