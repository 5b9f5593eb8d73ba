// The backend's life cycle and plumbing: use before init, device info, async-only reads, the
// errors for a missing adapter, an oversized buffer and a lost device (and recovery), command
// batching, and a leak test — on every available adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '@tessera/tensor';
import { destroyWebGPU, initWebGPU, probeWebGPU, syncWebGPU, webgpuInfo, webgpuMemory } from './index.js';
import { peekContext } from './state.js';
import { describeOn, testAdapters } from './__tests__/adapters.js';

const adapters = await testAdapters();

describe('webgpu before initWebGPU', () => {
  it('is registered on import, and says to call initWebGPU when used', () => {
    expect(T.listBackends()).toContain('webgpu');
    expect(webgpuInfo()).toBeNull();
    expect(() => T.zeros([2], { backend: 'webgpu' })).toThrow(/initWebGPU/);
  });

  it('names the cause and the fix when there is no adapter', async () => {
    const r = await probeWebGPU({ dawnFlags: ['backend=d3d12'] });
    expect(r.ok).toBe(false);
    await expect(initWebGPU({ dawnFlags: ['backend=d3d12'] })).rejects.toThrow(/no WebGPU adapter.*apt-get install chromium.*VK_ICD_FILENAMES.*EGL_PLATFORM=surfaceless/s);
  });
});

for (const a of adapters) {
  describeOn(a)(`webgpu backend on ${a.name}`, () => {
    beforeAll(async () => {
      await initWebGPU(a.options);
    });
    afterAll(() => destroyWebGPU());

    it('reports the adapter, feature level and matmul variant', () => {
      const info = webgpuInfo()!;
      expect(info.adapter).toBe(a.adapter);
      expect(info.cpu).toBe(true);
      expect(info.matmul).toBe('registers');
      expect(info.featureLevel).toBe(a.name === 'llvmpipe' ? 'compatibility' : 'core');
    });

    it('reads asynchronously only: dataSync says to use data()', async () => {
      // Tensors made here are disposed (tidy), so that the leak test below starts clean.
      const [x, b, y, nb, ib] = T.tidy(() => {
        const x = T.tensor([[1, 2], [3, 4]], { backend: 'webgpu' });
        const b = T.tensor([true, false, true], { backend: 'webgpu' });
        return [x, b, x.add(1), T.logicalNot(b), T.cast(b, 'int32')];
      });
      expect(() => x!.dataSync()).toThrow(/await tensor.data\(\)/);
      expect(Array.from(await y!.data())).toEqual([2, 3, 4, 5]);
      expect(Array.from(await nb!.data())).toEqual([0, 1, 0]);
      expect(await ib!.data()).toBeInstanceOf(Int32Array);
      for (const t of [x, b, y, nb, ib]) t!.dispose();
    });

    it('batches dispatches: one submit for many ops, flushed by a read', async () => {
      const x = T.ones([8], { backend: 'webgpu' });
      await syncWebGPU();
      const before = webgpuMemory().submits;
      let y = x;
      for (let i = 0; i < 300; i++) {
        const z = y.mul(1.001);
        if (y !== x) y.dispose();
        y = z;
      }
      expect(webgpuMemory().submits).toBe(before);
      const d = await y.data();
      expect(webgpuMemory().submits).toBe(before + 1);
      expect(d[0]).toBeCloseTo(1.001 ** 300, 3);
      x.dispose();
      y.dispose();
    });

    it('leaks nothing: 1,000 iterations inside tidy leave live bytes where they started', async () => {
      const x = T.randn([32, 32], { backend: 'webgpu' });
      const w = T.randn([32], { backend: 'webgpu' });
      await x.data();
      const start = webgpuMemory();
      const startTensors = T.memory().backends.webgpu!;
      for (let i = 0; i < 1000; i++) {
        T.tidy(() => {
          const h = T.layerNorm(T.matmul(x, x).add(w), 32);
          T.sum(T.softmax(T.gelu(h), -1), 0);
        });
      }
      // Tensor counts are read before any await: tidy disposes synchronously, and during an await
      // the FinalizationRegistry may release tensors that earlier tests never disposed.
      const endTensors = T.memory().backends.webgpu;
      await syncWebGPU();
      const end = webgpuMemory();
      expect(endTensors).toEqual(startTensors);
      // The pool is read after the GPU finished (in-flight buffers return then); for the same
      // reason as above it may only have shrunk.
      expect(end.liveBytes).toBeLessThanOrEqual(start.liveBytes);
      expect(end.liveBuffers).toBeLessThanOrEqual(start.liveBuffers);
      // Buffers are recycled by size class, not created per op: the loop runs ~10,000 kernels.
      // (How many are created depends on how many batches are still in flight when a buffer is
      // wanted, which varies with machine load, so the bound is generous.)
      expect(end.created - start.created).toBeLessThan(1000);
      x.dispose();
      w.dispose();
    });

    it('refuses a buffer past the device limits with the limit in the message', () => {
      const one = T.zeros([1], { backend: 'webgpu' });
      const big = T.expand(one, [300_000_000]);
      expect(() => T.contiguous(big)).toThrow(/exceeds this device's maxStorageBufferBindingSize/);
      one.dispose();
      big.dispose();
    });

    it('after a device loss says so, and initWebGPU recovers', async () => {
      const ctx = peekContext()!;
      const lost = ctx.device.lost;
      ctx.device.destroy(); // what a driver reset looks like from here
      await lost;
      expect(() => T.ones([2], { backend: 'webgpu' })).toThrow(/device was lost.*initWebGPU/);
      await initWebGPU(a.options);
      expect(Array.from(await T.ones([2], { backend: 'webgpu' }).add(1).data())).toEqual([2, 2]);
    });

    it('after destroyWebGPU says to call initWebGPU, and destroying twice is fine', async () => {
      destroyWebGPU();
      destroyWebGPU();
      expect(() => T.ones([2], { backend: 'webgpu' })).toThrow(/initWebGPU/);
      await initWebGPU(a.options);
    });
  });
}
