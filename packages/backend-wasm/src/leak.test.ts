// No leaks: a thousand iterations of a mixed workload inside tidy leave the allocator's live bytes,
// its heap top and memory() exactly where they were after the first iteration.
import { expect, it } from 'vitest';
import * as T from '@tessera/tensor';
import { memory, randn, randint, setBackend, tidy } from '@tessera/tensor';
import { wasmInfo } from './index.js';

it('1000 iterations inside tidy leave live bytes and memory() unchanged', () => {
  setBackend('wasm');
  const x = randn([8, 32]);
  const w = randn([32, 32]);
  const img = randn([1, 4, 8, 8]);
  const k = randn([4, 4, 3, 3]);
  const idx = randint(0, 8, [5]);
  const step = (): void =>
    tidy(() => {
      const h = T.gelu(T.add(T.matmul(x, w), 1));
      const n = T.layerNorm(h, 32);
      const s = T.softmax(T.mul(n, 0.5), -1);
      const a = T.scaledDotProductAttention(T.reshape(s, [1, 8, 32]), T.reshape(n, [1, 8, 32]), T.reshape(h, [1, 8, 32]), { isCausal: true });
      const c = T.conv2d(img, k, null, { padding: 1 });
      const [p, pi] = T.maxPool2d(c, 2, { returnIndices: true });
      const g = T.indexSelect(a, 1, idx);
      const r = T.sum(T.cat([T.flatten(p), T.flatten(g), T.cast(T.flatten(pi), 'float32')]));
      return T.add(r, T.mean(T.where(T.gt(s, 0.03), s, 0)));
    }).dispose();
  step();
  const live = wasmInfo().allocator.liveBytes;
  const top = wasmInfo().allocator.top;
  const mem = memory().backends.wasm!;
  for (let i = 0; i < 1000; i++) step();
  expect(wasmInfo().allocator.liveBytes).toBe(live);
  expect(wasmInfo().allocator.top).toBe(top);
  expect(memory().backends.wasm).toEqual(mem);
  for (const t of [x, w, img, k, idx]) t.dispose();
  setBackend('cpu');
});
