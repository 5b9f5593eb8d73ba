#!/usr/bin/env node
// Quick numbers for the wasm backend (not a test; the side-by-side suite with peers is bench/).
//   npm run build && node packages/backend-wasm/scripts/quick-bench.mjs [--threads 1,2] [--reps 10]
// Prints matmul 1024³ GFLOP/s per thread count, softmax 1024×1024 and layerNorm 4096×384 in ms,
// attention and conv: the median wall time of `reps` runs after warm-up, and (in brackets) the
// process CPU time per run, which on a machine shared with other jobs shows the work done even when
// the wall time is stretched by waiting for a core.
import { setBackend, randn, matmul, softmax, layerNorm, scaledDotProductAttention, conv2d, tidy, ones, zeros } from '@tessera/tensor';
import { setThreads, wasmInfo } from '@tessera/backend-wasm';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const threadList = opt('threads', '1,2').split(',').map(Number);
const reps = Number(opt('reps', '10'));

setBackend('wasm');

/** Median wall time in ms over `reps` runs after `warm` warm-up runs, and CPU ms per run. */
function time(fn, warm = 3) {
  for (let i = 0; i < warm; i++) tidy(() => void fn());
  const ts = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    tidy(() => void fn());
    ts.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)], cpu: (c.user + c.system) / 1000 / reps };
}
const fmt = (t, digits = 1) => `${t.ms.toFixed(digits)} ms [cpu ${t.cpu.toFixed(digits)}]`;
const gflops = (flops, t) => `${(flops / (t.ms * 1e6)).toFixed(1)} GFLOP/s`;

const info = wasmInfo();
console.log(`wasm backend: ${info.flavor} build, shared memory ${info.shared}, GEMM ${info.gemm.MR}x${info.gemm.NR} KC=${info.gemm.KC} MC=${info.gemm.MC} NC=${info.gemm.NC}, node ${process.version}`);

const a = randn([1024, 1024]);
const b = randn([1024, 1024]);
const x1 = randn([1024, 1024]);
const x2 = randn([4096, 384]);
const w = ones([384]);
const bias = zeros([384]);
const q = randn([1, 8, 1024, 64]);
const k = randn([1, 8, 1024, 64]);
const v = randn([1, 8, 1024, 64]);
const img = randn([8, 64, 56, 56]);
const cw = randn([64, 64, 3, 3]);

for (const t of threadList) {
  setThreads(t);
  // let workers start
  const until = Date.now() + 200;
  while (Date.now() < until) tidy(() => void matmul(a, b));
  const mm = time(() => matmul(a, b));
  const mmT = time(() => matmul(a, b.transpose(0, 1)));
  const sm = time(() => softmax(x1, -1));
  const ln = time(() => layerNorm(x2, [384], w, bias));
  const at = time(() => scaledDotProductAttention(q, k, v, { isCausal: true }));
  const cv = time(() => conv2d(img, cw, null, { padding: 1 }));
  console.log(`threads ${t} (${wasmInfo().readyWorkers} workers ready)`);
  console.log(`  matmul 1024x1024x1024      ${fmt(mm)} = ${gflops(2 * 1024 ** 3, mm)}`);
  console.log(`  matmul a @ bT (no copy)    ${fmt(mmT)} = ${gflops(2 * 1024 ** 3, mmT)}`);
  console.log(`  softmax 1024x1024          ${fmt(sm, 2)}`);
  console.log(`  layerNorm 4096x384         ${fmt(ln, 2)}`);
  console.log(`  sdpa causal 8x1024x64      ${fmt(at)} = ${gflops(2 * 8 * 1024 * 1024 * 64, at)} (useful flops)`);
  console.log(`  conv2d 8x64x56x56, 3x3x64  ${fmt(cv)} = ${gflops(2 * 8 * 64 * 56 * 56 * 64 * 9, cv)}`);
}
