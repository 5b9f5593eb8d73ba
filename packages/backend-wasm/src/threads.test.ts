// Threads: every threaded kernel gives bit-identical results for 1, 2 and 3 threads (chunks are
// fixed by the kernel, never by the thread count), workers really take chunks, and a worker that
// dies or hangs mid-task neither hangs the caller nor corrupts the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '@tessera/tensor';
import { type Tensor, manualSeed, randn, setBackend, tidy } from '@tessera/tensor';
import { getThreads, runtime, setThreads, wasmInfo } from './index.js';

async function withThreads(n: number): Promise<void> {
  setThreads(n);
  const until = Date.now() + 10_000;
  while (wasmInfo().readyWorkers < n - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(wasmInfo().readyWorkers).toBe(n - 1);
}

/** Ops large enough to be split into many chunks. */
function workload(): Record<string, () => Tensor> {
  manualSeed(3);
  const a = randn([300, 520]);
  const sq = randn([256, 256]);
  const b = randn([520, 410]);
  const bt = randn([410, 520]);
  const batchA = randn([3, 1, 70, 90]);
  const batchB = randn([4, 90, 50]);
  const img = randn([2, 16, 33, 31]);
  const w = randn([24, 8, 3, 3]);
  const wt = randn([16, 6, 3, 3]);
  const q = randn([2, 3, 150, 40]);
  const k = randn([2, 3, 170, 40]);
  const v = randn([2, 3, 170, 24]);
  const mask = T.gt(randn([150, 170]), -1);
  const x = randn([600, 700]);
  const ln = randn([1500, 96]);
  const gw = randn([16]);
  return {
    matmul: () => T.matmul(a, b),
    'matmul 256 (tiles halved to make 8 chunks)': () => T.matmul(sq, T.transpose(sq, 0, 1)),
    'matmul transposed': () => T.matmul(a, T.transpose(bt, 0, 1)),
    'batched matmul': () => T.matmul(batchA, batchB),
    conv2d: () => T.conv2d(img, w, null, { padding: 1, groups: 2, stride: [1, 2] }),
    convTranspose2d: () => T.convTranspose2d(img, wt, null, { stride: 2, padding: 1 }),
    'attention causal': () => T.scaledDotProductAttention(q, T.slice(k, 2, 0, 150), T.slice(v, 2, 0, 150), { isCausal: true }),
    'attention bool mask': () => T.scaledDotProductAttention(q, k, v, { attnMask: mask }),
    softmax: () => T.softmax(x, -1),
    'softmax dim 0': () => T.logSoftmax(x, 0),
    layerNorm: () => T.layerNorm(ln, 96),
    groupNorm: () => T.groupNorm(img, 4, gw, gw),
    gelu: () => T.gelu(x),
    'add broadcast': () => T.add(x, T.slice(x, 0, 0, 1)),
    'sum rows': () => T.sum(x, 1),
    'sum cols': () => T.sum(x, 0),
    'max all (two-stage)': () => T.max(T.transpose(x, 0, 1)),
    'sum all (two-stage)': () => T.sum(x),
    argmax: () => T.argmax(x, 0),
    cumsum: () => T.cumsum(x, 0),
    maxPool: () => T.maxPool2d(img, 3, { stride: 2, padding: 1 }),
    interpolate: () => T.interpolate(img, { scaleFactor: 2, mode: 'bilinear' }),
    'cast transposed': () => T.cast(T.transpose(x, 0, 1), 'int32'),
  };
}

function run(ops: Record<string, () => Tensor>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [name, f] of Object.entries(ops)) {
    const d = tidy(() => f().dataSync());
    out[name] = new Uint8Array(d.buffer.slice(0));
  }
  return out;
}

describe('threads', () => {
  const initial = getThreads();
  beforeAll(() => setBackend('wasm'));
  afterAll(async () => {
    setThreads(initial);
    setBackend('cpu');
  });

  it('give bit-identical results for 1, 2 and 3 threads, and workers take chunks', async () => {
    const ops = workload();
    await withThreads(1);
    const one = run(ops);
    for (const n of [2, 3]) {
      await withThreads(n);
      runtime.pool.takeChunkCounts();
      const many = run(ops);
      const counts = runtime.pool.takeChunkCounts();
      expect(counts.length).toBe(n);
      expect(counts.slice(1).reduce((p, c) => p + c, 0), `chunks run by workers with ${n} threads: ${counts}`).toBeGreaterThan(0);
      for (const name of Object.keys(ops)) expect(Buffer.compare(Buffer.from(many[name]!), Buffer.from(one[name]!)), `${name} with ${n} threads`).toBe(0);
    }
    for (const t of Object.values(ops)) void t;
  }, 120_000);

  it('survive a worker that dies mid-task: the caller runs its chunk', async () => {
    const ops = workload();
    await withThreads(1);
    const ref = run({ matmul: ops.matmul! }).matmul!;
    await withThreads(2);
    runtime.pool.injectFault(runtime.pool.tids[1]!, 'exit');
    runtime.pool.waitForWorkerClaimMs = 10_000; // the worker must take a chunk, however loaded the machine
    let got: Uint8Array;
    try {
      got = run({ matmul: ops.matmul! }).matmul!;
    } finally {
      runtime.pool.waitForWorkerClaimMs = 0;
    }
    expect(Buffer.compare(Buffer.from(got), Buffer.from(ref))).toBe(0);
    expect(wasmInfo().readyWorkers).toBe(0);
    // and setThreads brings a new worker up
    await withThreads(2);
    expect(Buffer.compare(Buffer.from(run({ matmul: ops.matmul! }).matmul!), Buffer.from(ref))).toBe(0);
  }, 60_000);

  it('throw instead of hanging when a worker stops making progress, then recover', async () => {
    const ops = workload();
    await withThreads(2);
    run({ matmul: ops.matmul! }); // workspaces are made by the first GEMM
    const live = wasmInfo().allocator.liveBytes;
    const saved = runtime.pool.stallTimeoutMs;
    runtime.pool.stallTimeoutMs = 300;
    try {
      runtime.pool.injectFault(runtime.pool.tids[1]!, 'hang');
      runtime.pool.waitForWorkerClaimMs = 10_000; // the worker must take a chunk, however loaded the machine
      expect(() => run({ matmul: ops.matmul! })).toThrow(/no progress for 300 ms/);
      runtime.pool.waitForWorkerClaimMs = 0;
      expect(wasmInfo().allocator.liveBytes).toBe(live); // the output was freed
      // the pool falls back to one thread until setThreads
      expect(run({ softmax: ops.softmax! }).softmax!.length).toBe(600 * 700 * 4);
    } finally {
      runtime.pool.stallTimeoutMs = saved;
      runtime.pool.waitForWorkerClaimMs = 0;
    }
    await withThreads(2);
    expect(run({ matmul: ops.matmul! }).matmul!.length).toBe(300 * 410 * 4);
  }, 60_000);
});
