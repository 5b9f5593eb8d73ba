#!/usr/bin/env node
// Thread scaling of matmul (not a test): 1 and 2 threads alternate in one process, eight rounds,
// each call read back as bench/ does, so that drift of a shared machine hits both alike.
//   npm run build && node packages/backend-wasm/scripts/mm-scale.mjs [size, default 1024]
import { setBackend, randn, matmul, tidy } from '@tessera/tensor';
import { setThreads } from '@tessera/backend-wasm';
setBackend('wasm');
const n = Number(process.argv[2] ?? 1024);
const a = randn([n, n]), b = randn([n, n]);
const ts = { 1: [], 2: [] };
for (let round = 0; round < 8; round++) for (const t of [1, 2]) {
  setThreads(t);
  for (let i = 0; i < 3; i++) tidy(() => void matmul(a, b).dataSync());
  for (let i = 0; i < 8; i++) { const t0 = performance.now(); tidy(() => void matmul(a, b).dataSync()); ts[t].push(performance.now() - t0); }
}
const med = (x) => x.sort((p, q) => p - q)[x.length >> 1];
const m1 = med(ts[1]), m2 = med(ts[2]);
const gf = (ms) => (2 * n ** 3 / ms / 1e6).toFixed(1);
console.log(`matmul ${n}: 1t ${m1.toFixed(2)} ms (${gf(m1)} GFLOP/s), 2t ${m2.toFixed(2)} ms (${gf(m2)}), scaling ${(m1 / m2).toFixed(3)}x`);
