#!/usr/bin/env node
// Quick WebGPU numbers on each software adapter: matmul 256/512/1024 GFLOP/s, softmax 1024x1024
// and layerNorm 4096x384 in ms. Every call reads its result back (as the peer table in
// shared/notes/peers.md does); the median and the best of several runs after warm-up.
//
//   npm run build && node packages/backend-webgpu/scripts/quick-bench.mjs [swiftshader] [llvmpipe] [--tiled]
//
// Needs the packages of the README (chromium for SwiftShader; mesa for llvmpipe).
import * as T from '@tessera/tensor';
import { destroyWebGPU, initWebGPU, probeWebGPU, webgpuInfo } from '@tessera/backend-webgpu';

const args = process.argv.slice(2);
const tiled = args.includes('--tiled');
const adapters = args.filter((a) => !a.startsWith('--'));
if (adapters.length === 0) adapters.push('swiftshader', 'llvmpipe');

async function median(fn, reps, warm = 2) {
  for (let i = 0; i < warm; i++) await fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)], best: ts[0] };
}

for (const adapter of adapters) {
  const probe = await probeWebGPU({ adapter });
  if (!probe.ok) {
    console.log(`${adapter}: skipped (${probe.reason})`);
    continue;
  }
  await initWebGPU({ adapter, ...(tiled ? { matmul: 'tiled' } : {}) });
  T.setBackend('webgpu');
  T.manualSeed(0);
  const info = webgpuInfo();
  const row = { adapter, matmul: info.matmul };
  const best = { adapter, matmul: info.matmul, stat: 'best' };
  for (const n of [256, 512, 1024]) {
    const a = T.randn([n, n]);
    const b = T.randn([n, n]);
    const t = await median(async () => {
      const c = T.matmul(a, b);
      await c.data();
      c.dispose();
    }, n === 1024 ? 5 : 9);
    row[`matmul ${n} GFLOP/s`] = +((2 * n ** 3) / (t.median * 1e6)).toFixed(2);
    best[`matmul ${n} GFLOP/s`] = +((2 * n ** 3) / (t.best * 1e6)).toFixed(2);
    a.dispose();
    b.dispose();
  }
  {
    const x = T.randn([1024, 1024]);
    const t = await median(async () => {
      const y = T.softmax(x, -1);
      await y.data();
      y.dispose();
    }, 9);
    row['softmax 1024² ms'] = +t.median.toFixed(2);
    best['softmax 1024² ms'] = +t.best.toFixed(2);
    x.dispose();
  }
  {
    const x = T.randn([4096, 384]);
    const w = T.randn([384]);
    const bias = T.randn([384]);
    const t = await median(async () => {
      const y = T.layerNorm(x, 384, w, bias);
      await y.data();
      y.dispose();
    }, 9);
    row['layerNorm 4096x384 ms'] = +t.median.toFixed(2);
    best['layerNorm 4096x384 ms'] = +t.best.toFixed(2);
    x.dispose();
    w.dispose();
    bias.dispose();
  }
  T.setBackend('cpu');
  destroyWebGPU();
  console.log(`${info.adapter}`);
  console.log(JSON.stringify(row));
  console.log(JSON.stringify(best));
}
