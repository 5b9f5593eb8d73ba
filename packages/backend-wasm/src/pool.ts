/**
 * Threads: workers (worker_threads in Node, Web Workers in browsers) that instantiate the same
 * kernel module over the same shared memory and run chunks of the task the caller posts.
 *
 * Kernels are synchronous, so the calling thread posts a task, works on it itself and blocks until
 * every chunk is done. The protocol lives in a few Int32 words of the shared memory (`CTRL`):
 *
 * - the caller writes the task, the chunk count and resets DONE, then sets CLAIM to
 *   `(gen & 0xffff) << 16` and bumps GEN (notifying the workers);
 * - everyone, caller included, claims chunk indices by compare-and-swap on CLAIM, which fails for
 *   a worker still holding an older generation, so a late worker never runs a stale task;
 * - each finished chunk increments DONE; the caller waits until DONE reaches the count.
 *
 * Chunks are fixed by the kernel (never by the thread count) and write disjoint outputs, so results
 * are identical for any number of threads. Every wait has a timeout. A worker records the chunk
 * it is running; if it dies (its exit hook marks it dead), the caller runs that chunk itself, and
 * a task that makes no progress for `stallTimeoutMs` throws instead of hanging. Exceptions inside
 * a worker's chunk are caught there, counted, and rethrown by the caller. Workers are unref'd: they
 * never keep Node alive.
 * @module
 */
import { BackendError } from '@tessera/tensor';
import { isNode } from './loader.js';

/** Byte offset of the control words (assembly/util.ts CTRL). */
export const CTRL = 65536;
/** Byte offset of the argument area (assembly/util.ts ARGS). */
export const ARGS = 73728;
/** How long an idle worker spins on the task word before it sleeps, in ms. */
const SPIN_MS = 2;
/** Most threads (assembly/util.ts: 64 scratch areas). */
export const MAX_THREADS = 64;

// Control words. The two that every chunk writes, CLAIM and DONE, sit on cache lines of their own,
// as does each thread's slot: with them on one line, every claim bounced that line between cores
// several times and a chunk cost ~1.7 µs of overhead on a 2-core VM.
const GEN = 0;
const TASK = 1;
const NCHUNKS = 2;
const CLAIM = 16;
const DONE = 32;
const ERRORS = 5;
const EXIT_ALL = 6;
/** Test hook: `tid | mode << 8` makes that worker die (mode 1: exit) or hang (mode 2) on its next chunk. */
const FAULT = 7;
/** A word that stays 0: a worker told to hang (FAULT mode 2) waits on it. */
const HANG = 8;
/**
 * Per-thread words: state, current chunk (-1: none), exit request, chunks run. States: 0 free (no
 * worker, the tid may be given out), 1 starting, 2 ready, 3 dead or retiring (the worker may still
 * be running until its exit is seen; its tid is not reused before that, so two workers never share
 * a tid's scratch and workspace).
 */
const SLOT = (tid: number): number => 64 + tid * 16;
/** Int32 words of the control area (CTRL up to WS_TABLE, assembly/util.ts). */
const CTRL_WORDS = 64 + MAX_THREADS * 16;

/**
 * The worker's program (runs in Node through `eval`, in browsers from a Blob URL). It must be
 * self-contained: it receives the compiled module, the shared memory and its thread id.
 */
const WORKER_SOURCE = `
'use strict';
const ARGS = ${ARGS};
function start(data, report) {
  const { module, memory, tid, ctrlOffset } = data;
  const ctrl = new Int32Array(memory.buffer, ctrlOffset, ${CTRL_WORDS});
  const slot = 64 + tid * 16;
  const markDead = () => { Atomics.store(ctrl, slot, 3); Atomics.notify(ctrl, ${DONE}); };
  if (typeof process !== 'undefined' && process.on) process.on('exit', markDead);
  let fns;
  try {
    const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('abort called in kernel'); } } });
    const names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function' && e.name.startsWith('task_')).map((e) => e.name).sort();
    fns = names.map((n) => inst.exports[n]);
  } catch (e) {
    report(e);
    markDead();
    return;
  }
  let seen = Atomics.load(ctrl, ${GEN}) - 1; // join a task already posted
  Atomics.store(ctrl, slot + 1, -1);
  if (Atomics.compareExchange(ctrl, slot, 1, 2) !== 1) return; // retired before it started
  for (;;) {
    if (Atomics.load(ctrl, ${EXIT_ALL}) || Atomics.load(ctrl, slot + 2)) break;
    const g = Atomics.load(ctrl, ${GEN});
    if (g === seen) {
      // Spin for up to SPIN_MS before sleeping: kernels come in quick succession (a model's ops, a
      // benchmark's op then its readback), and waking a sleeping thread costs tens of microseconds.
      let changed = false;
      const t0 = performance.now();
      spin: do {
        for (let i = 0; i < 256; i++) if (Atomics.load(ctrl, ${GEN}) !== seen) { changed = true; break spin; }
      } while (performance.now() - t0 < ${SPIN_MS});
      if (!changed) Atomics.wait(ctrl, ${GEN}, seen, 500);
      continue;
    }
    seen = g;
    const task = Atomics.load(ctrl, ${TASK});
    const n = Atomics.load(ctrl, ${NCHUNKS});
    const tag = (g & 0xffff) << 16;
    for (;;) {
      if (Atomics.load(ctrl, slot + 2)) break;
      const c = Atomics.load(ctrl, ${CLAIM});
      if ((c & 0xffff0000) !== tag) break;
      const idx = c & 0xffff;
      if (idx >= n) break;
      if (Atomics.compareExchange(ctrl, ${CLAIM}, c, c + 1) !== c) continue;
      Atomics.store(ctrl, slot + 1, idx);
      const fault = Atomics.load(ctrl, ${FAULT});
      if (fault && (fault & 0xff) === tid) {
        Atomics.store(ctrl, ${FAULT}, 0);
        if (fault >> 8 === 1) { if (typeof process !== 'undefined' && process.exit) process.exit(1); else { markDead(); self.close(); return; } }
        for (;;) Atomics.wait(ctrl, ${HANG}, 0, 1000);
      }
      try { fns[task](ARGS, idx, tid); } catch (e) { Atomics.add(ctrl, ${ERRORS}, 1); report(e); }
      Atomics.store(ctrl, slot + 1, -1);
      Atomics.add(ctrl, slot + 3, 1);
      if (Atomics.add(ctrl, ${DONE}, 1) + 1 === n) Atomics.notify(ctrl, ${DONE});
    }
  }
}
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  const { workerData, parentPort } = require('node:worker_threads');
  start(workerData, (e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
} else {
  self.onmessage = (ev) => start(ev.data, (e) => self.postMessage({ error: String(e && e.stack || e) }));
}
`;

interface WorkerHandle {
  tid: number;
  terminate(): void;
}

/** Options of the pool. */
export interface PoolOptions {
  /** A task with no progress for this long throws (default 60 s). */
  stallTimeoutMs?: number;
}

/** The thread pool. Thread 0 is the caller; workers are threads 1..n-1. */
export class ThreadPool {
  private readonly ctrl: Int32Array;
  /** Worker handles by tid, including retiring ones until their exit is seen. */
  private readonly handles = new Map<number, WorkerHandle>();
  /** Tids of the workers in use. */
  private active: number[] = [];
  private gen = 0;
  private readonly canWait: boolean;
  private workerErrors: string[] = [];
  private nodeWorker: (typeof import('node:worker_threads'))['Worker'] | undefined;
  /** Set when a task stalled: the pool then runs single-threaded. */
  broken = false;
  stallTimeoutMs: number;

  /**
   * @param memory the shared memory
   * @param module the compiled kernel module
   * @param fns the task functions of the caller's instance, in sorted-name order
   */
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly module: WebAssembly.Module,
    private readonly fns: ((args: number, chunk: number, tid: number) => void)[],
    opts: PoolOptions = {},
  ) {
    this.ctrl = new Int32Array(memory.buffer, CTRL, CTRL_WORDS);
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 60_000;
    // Atomics.wait is not allowed on a browser's main thread: spin there instead.
    this.canWait = isNode || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
  }

  /** Loads worker_threads once (Node). */
  async init(): Promise<void> {
    if (isNode) this.nodeWorker = (await import('node:worker_threads')).Worker;
  }

  /** Threads in use, the caller included. */
  get threads(): number {
    return 1 + this.active.length;
  }

  /** Thread ids in use: 0 (the caller) and the workers'. Workspaces are made for these. */
  get tids(): number[] {
    return [0, ...this.active];
  }

  /** Workers that have started and not died. */
  get readyWorkers(): number {
    let n = 0;
    for (const t of this.active) if (Atomics.load(this.ctrl, SLOT(t)) === 2) n++;
    return n;
  }

  /** Chunks run by each thread since the last call (the caller first), and resets the counters. */
  takeChunkCounts(): number[] {
    return this.tids.map((t) => Atomics.exchange(this.ctrl, SLOT(t) + 3, 0));
  }

  /** @internal Test hook: the worker `tid` dies (`'exit'`) or hangs (`'hang'`) on the next chunk it claims. */
  injectFault(tid: number, mode: 'exit' | 'hang'): void {
    Atomics.store(this.ctrl, FAULT, tid | ((mode === 'exit' ? 1 : 2) << 8));
  }

  /** Resizes the pool to `n` threads (the caller counts as one); dead workers are replaced. */
  resize(n: number): void {
    n = Math.max(1, Math.min(MAX_THREADS, Math.floor(n)));
    for (const t of this.active.filter((t) => Atomics.load(this.ctrl, SLOT(t)) === 3)) this.retire(t);
    while (this.active.length > n - 1) this.retire(this.active[this.active.length - 1]!);
    for (let t = 1; t < MAX_THREADS && this.active.length < n - 1; t++) {
      if (Atomics.load(this.ctrl, SLOT(t)) === 0 && !this.handles.has(t)) this.spawn(t);
    }
    this.broken = false;
  }

  /** Stops a worker; its tid stays taken until its exit is seen. */
  private retire(tid: number): void {
    this.active = this.active.filter((t) => t !== tid);
    Atomics.store(this.ctrl, SLOT(tid), 3);
    Atomics.store(this.ctrl, SLOT(tid) + 2, 1);
    Atomics.notify(this.ctrl, GEN);
    this.handles.get(tid)?.terminate();
  }

  private spawn(tid: number): void {
    Atomics.store(this.ctrl, SLOT(tid) + 1, -1);
    Atomics.store(this.ctrl, SLOT(tid) + 2, 0);
    Atomics.store(this.ctrl, SLOT(tid) + 3, 0);
    Atomics.store(this.ctrl, SLOT(tid), 1);
    const data = { module: this.module, memory: this.memory, tid, ctrlOffset: CTRL };
    const onError = (msg: string): void => {
      this.workerErrors.push(`worker ${tid}: ${msg}`);
    };
    const markDead = (): void => {
      if (Atomics.load(this.ctrl, SLOT(tid)) !== 0) Atomics.store(this.ctrl, SLOT(tid), 3);
    };
    const gone = (): void => {
      // the worker has exited: nothing can run on this tid anymore
      this.handles.delete(tid);
      this.active = this.active.filter((t) => t !== tid);
      Atomics.store(this.ctrl, SLOT(tid), 0);
    };
    let handle: WorkerHandle;
    if (isNode) {
      const w = new this.nodeWorker!(WORKER_SOURCE, { eval: true, workerData: data });
      w.on('message', (m: { error?: string }) => m.error && onError(m.error));
      w.on('error', (e) => {
        onError(String(e?.stack ?? e));
        markDead();
      });
      w.on('exit', gone);
      w.unref();
      handle = { tid, terminate: () => void w.terminate() };
    } else {
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      const w = new Worker(url);
      URL.revokeObjectURL(url);
      w.onmessage = (ev: MessageEvent<{ error?: string }>) => ev.data?.error && onError(ev.data.error);
      w.onerror = (ev) => {
        onError(ev.message);
        markDead();
      };
      w.postMessage(data);
      // a terminated Web Worker runs no more script
      handle = {
        tid,
        terminate: () => {
          w.terminate();
          gone();
        },
      };
    }
    this.handles.set(tid, handle);
    this.active.push(tid);
  }

  /** Stops every worker (they also stop on their own when the process exits). */
  shutdown(): void {
    for (const t of [...this.active]) this.retire(t);
  }

  /**
   * @internal Test hook: before claiming chunks itself, the caller waits up to this many ms for a
   * worker to claim one, so fault-injection tests do not depend on scheduling (0: off).
   */
  waitForWorkerClaimMs = 0;

  /** Runs chunks 0..n-1 of task `task` (args already written) and returns when all are done. */
  run(task: number, n: number, parallel: boolean): void {
    const fn = this.fns[task]!;
    if (n <= 0) return;
    if (n === 1 || !parallel || this.active.length === 0 || this.broken || this.readyWorkers === 0) {
      for (let c = 0; c < n; c++) fn(ARGS, c, 0);
      return;
    }
    if (n > 0xffff) throw new BackendError(`wasm threads: a task has ${n} chunks, more than 65535`);
    const ctrl = this.ctrl;
    this.gen = (this.gen + 1) | 0;
    const tag = (this.gen & 0xffff) << 16;
    Atomics.store(ctrl, TASK, task);
    Atomics.store(ctrl, NCHUNKS, n);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, ERRORS, 0);
    Atomics.store(ctrl, CLAIM, tag);
    Atomics.store(ctrl, GEN, this.gen);
    Atomics.notify(ctrl, GEN);
    if (this.waitForWorkerClaimMs > 0) {
      const t0 = Date.now();
      while ((Atomics.load(ctrl, CLAIM) & 0xffff) === 0 && Date.now() - t0 < this.waitForWorkerClaimMs) {
        if (this.canWait) Atomics.wait(ctrl, CLAIM, tag, 1);
      }
    }
    let failure: unknown;
    for (;;) {
      const c = Atomics.load(ctrl, CLAIM);
      const idx = c & 0xffff;
      if ((c & 0xffff0000) !== tag || idx >= n) break;
      if (Atomics.compareExchange(ctrl, CLAIM, c, c + 1) !== c) continue;
      try {
        fn(ARGS, idx, 0);
      } catch (e) {
        failure ??= e;
      }
      Atomics.add(ctrl, SLOT(0) + 3, 1);
      Atomics.add(ctrl, DONE, 1);
    }
    this.waitDone(n, fn);
    const errors = Atomics.load(ctrl, ERRORS);
    if (failure !== undefined) throw failure;
    if (errors > 0) {
      const detail = this.workerErrors.splice(0).join('; ');
      throw new BackendError(`wasm threads: ${errors} chunk(s) failed in worker threads${detail ? `: ${detail}` : ''}`);
    }
  }

  private waitDone(n: number, fn: (args: number, chunk: number, tid: number) => void): void {
    const ctrl = this.ctrl;
    let last = Atomics.load(ctrl, DONE);
    let lastProgress = Date.now();
    let spins = 0;
    while (last < n) {
      if (spins < 4000) spins++;
      else if (this.canWait) Atomics.wait(ctrl, DONE, last, 20);
      const done = Atomics.load(ctrl, DONE);
      if (done !== last) {
        last = done;
        lastProgress = Date.now();
        continue;
      }
      if (spins < 4000) continue;
      // A worker that died while holding a chunk: run the chunk here (it cannot be running anymore).
      for (const t of this.active) {
        if (Atomics.load(ctrl, SLOT(t)) !== 3) continue;
        const c = Atomics.exchange(ctrl, SLOT(t) + 1, -1);
        if (c >= 0) {
          fn(ARGS, c, 0);
          Atomics.add(ctrl, DONE, 1);
        }
      }
      if (Date.now() - lastProgress > this.stallTimeoutMs) {
        // Stop the workers still holding chunks, so they cannot write into buffers freed after the throw.
        for (const t of [...this.active]) if (Atomics.load(ctrl, SLOT(t) + 1) >= 0) this.retire(t);
        this.broken = true;
        throw new BackendError(
          `wasm threads: a task made no progress for ${this.stallTimeoutMs} ms (${Atomics.load(ctrl, DONE)} of ${n} chunks done); ` +
            'a worker is stuck or was killed. The backend continues single-threaded; call setThreads() to start new workers.',
        );
      }
    }
  }
}
