#!/usr/bin/env node
// What two busy cores give on this machine, independent of threading code (not a test): one
// process runs single-threaded matmul 1024³ alone, then two such processes run at the same time,
// then one process runs it on 2 threads (our threading, for comparison with the two processes).
// On a machine with two free physical cores, each of the two gets what one got alone; where the
// two vCPUs share a core or the host is contended, each gets less, and no threaded kernel can
// scale past the sum. On the 2-core dev VM the answer swings from run to run (seen: 1.72x, 2.71x,
// 2.79x: one core alone ran at 25 to 37 GFLOP/s within minutes), which is why bench/ runs rounds.
//   npm run build && node packages/backend-wasm/scripts/two-core-probe.mjs [seconds, default 6]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 6);

if (process.argv[3] === 'child') {
  const { setBackend, randn, matmul, tidy } = await import('@tessera/tensor');
  const { setThreads } = await import('@tessera/backend-wasm');
  setBackend('wasm');
  setThreads(Number(process.argv[4] ?? 1));
  const a = randn([1024, 1024]);
  const b = randn([1024, 1024]);
  for (let i = 0; i < 3; i++) tidy(() => void matmul(a, b));
  const g = [];
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const t0 = performance.now();
    tidy(() => void matmul(a, b));
    g.push((2 * 1024 ** 3) / (performance.now() - t0) / 1e6);
  }
  g.sort((x, y) => x - y);
  process.stdout.write(String(g[g.length >> 1]));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const child = (threads = 1) =>
  new Promise((ok, fail) => {
    const p = spawn(process.execPath, [self, String(seconds), 'child', String(threads)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? ok(Number(out)) : fail(new Error(`probe child exited with ${code}`))));
  });

const alone = await child();
const [x, y] = await Promise.all([child(), child()]);
const two = await child(2);
console.log(`single-threaded matmul 1024³, median GFLOP/s over ${seconds} s`);
console.log(`  one process alone:        ${alone.toFixed(1)}`);
console.log(`  two at once:              ${x.toFixed(1)} + ${y.toFixed(1)} = ${(x + y).toFixed(1)}`);
console.log(`  two-core throughput:      ${((x + y) / alone).toFixed(2)}x one core alone (what 2-thread scaling can reach, if the machine held still)`);
console.log(`  one process, 2 threads:   ${two.toFixed(1)} = ${(two / alone).toFixed(2)}x one core alone`);
