// @ts-check
/**
 * One configuration (one library, one backend, one thread count) in a process of its own: thread
 * pools, Dawn devices and the shims some peers need (a fake `os.cpus()`, a `Worker` global) would
 * otherwise interfere, and tfjs or ORT cannot switch thread counts once initialised. The process
 * lives for the whole run and times the cases main.mjs sends it one at a time, so that every
 * configuration times a case within seconds of the others (see main.mjs). For each case: prepare
 * inputs on the device, run once and check the result against the float64 reference, warm up,
 * then time it with a benchmark.js suite.
 *
 * Usage (from main.mjs, with an IPC channel): node child.mjs '<json: { config, refDir }>'.
 * Messages: the child sends `{ ready: { version, detail } }` or `{ failed: { status, reason } }`
 * once; then, for each `{ run: caseId, timing }` it receives, `{ done: caseId, result }`; on
 * `{ close: true }` it closes the library and exits.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
// @ts-ignore benchmark.js ships no types
import Benchmark from 'benchmark';
import { CASES, makeInputs } from './cases.mjs';
import { relativeError, TOLERANCE } from './check.mjs';
import { Unavailable } from './impls/types.mjs';
import { TIMING } from './child-protocol.mjs';
import { median } from './stats.mjs';

/**
 * @typedef {{
 *   status: 'ok' | 'skipped' | 'mismatch' | 'error',
 *   reason?: string,
 *   error?: number,          // max relative error vs the reference
 *   medianMs?: number,
 *   samples?: number,        // benchmark.js samples (each the mean of one timed cycle)
 *   callsPerSample?: number,
 *   minMs?: number,
 *   maxMs?: number,
 *   rmePercent?: number,     // benchmark.js relative margin of error of the mean
 *   sampleMs?: number[],     // every sample, ascending (main.mjs pools them over rounds)
 *   rounds?: number[],       // main.mjs: the median of each round, in the order they ran
 *   gflops?: number,         // from the median
 *   samplesPerS?: number,    // model cases: batch / median
 *   faultsPerCall?: number,  // minor page faults of the process per timed call (mean; ~2.5 µs each on the dev VM)
 * }} CaseResult
 * @typedef {{ ready: { version: string, detail: string } } | { failed: { status: 'unavailable' | 'error', reason: string } }
 *   | { done: string, result: CaseResult }} ChildMessage
 * @typedef {{ run: string, timing: { minSamples: number, maxTime: number, warmupMs: number } } | { close: true }} ParentMessage
 */

/** A case whose single checked call takes longer than this (seconds) is not timed (e.g. a whole model on a software GPU). */
const MAX_CALL_S = 60;

const args = JSON.parse(/** @type {string} */ (process.argv[2]));
/** @type {import('./configs.mjs').Config} */
const config = args.config;
/** @type {{ minSamples: number, maxTime: number, warmupMs: number }} */
let timing = TIMING.full;

const log = (/** @type {string} */ s) => process.stdout.write(`  [${config.id}] ${s}\n`);
const send = (/** @type {ChildMessage} */ m) => /** @type {NonNullable<typeof process.send>} */ (process.send)(m);
if (!process.send) {
  process.stderr.write('child.mjs runs under main.mjs (it needs an IPC channel)\n');
  process.exit(2);
}

/** @type {import('./impls/types.mjs').Impl} */
let impl;
try {
  const { open } = await import(`./impls/${config.impl}.mjs`);
  impl = await open(config);
  log(`${impl.version}, ${impl.detail}`);
  send({ ready: { version: impl.version, detail: impl.detail } });
} catch (e) {
  const status = e instanceof Unavailable ? 'unavailable' : 'error';
  const reason = e instanceof Error ? (e instanceof Unavailable ? e.message : e.stack ?? e.message) : String(e);
  log(`${status}: ${reason}`);
  // exit once the message is out (an exit right after send can drop it)
  process.send({ failed: { status, reason } }, () => process.exit(0));
  await new Promise(() => {});
}
// One case at a time: main.mjs sends the next only after this one's answer.
process.on('message', async (/** @type {ParentMessage} */ m) => {
  if ('close' in m) {
    try {
      await impl.close?.();
    } finally {
      process.exit(0); // thread pools and GPU objects would keep Node alive
    }
  }
  timing = m.timing;
  const c = /** @type {import('./cases.mjs').Case} */ (CASES.find((x) => x.id === m.run));
  send({ done: m.run, result: await runCase(impl, c) });
});
// main.mjs going away (killed, crashed) closes the channel: leave too.
process.on('disconnect', () => process.exit(0));

/**
 * @param {import('./impls/types.mjs').Impl} impl
 * @param {import('./cases.mjs').Case} c
 * @returns {Promise<CaseResult>}
 */
async function runCase(impl, c) {
  const support = impl.supports?.(c) ?? true;
  if (support !== true) return { status: 'skipped', reason: support };
  const skipFile = path.join(args.refDir, `${c.id}.skip`);
  if (existsSync(skipFile)) return { status: 'skipped', reason: readFileSync(skipFile, 'utf8') };
  /** @type {import('./impls/types.mjs').Prepared | undefined} */
  let p;
  try {
    const inputs = makeInputs(c);
    p = await impl.prepare(c, inputs);
    // byteOffset/byteLength: a small file's Buffer is a view into Node's shared pool.
    const refBytes = readFileSync(path.join(args.refDir, `${c.id}.f32`));
    const ref = new Float32Array(refBytes.buffer.slice(refBytes.byteOffset, refBytes.byteOffset + refBytes.byteLength));
    const tCheck = performance.now();
    const y = await p.run();
    const checkS = (performance.now() - tCheck) / 1e3;
    const error = relativeError(p.toCanonical ? p.toCanonical(y) : y, ref);
    if (!(error <= TOLERANCE)) {
      log(`${c.id}: MISMATCH, max relative error ${error.toExponential(2)} > ${TOLERANCE}`);
      return { status: 'mismatch', error, reason: `max relative error ${error.toExponential(2)} > ${TOLERANCE}` };
    }
    if (checkS > MAX_CALL_S) {
      log(`${c.id}: one call took ${checkS.toFixed(1)} s (> ${MAX_CALL_S} s): checked, not timed`);
      return { status: 'skipped', error, reason: `too slow to time: one call took ${checkS.toFixed(0)} s (> ${MAX_CALL_S} s)` };
    }
    // Warm-up: JIT tiers, kernel and pipeline caches, thread pool start.
    const t0 = performance.now();
    for (let i = 0; i < 100 && (i < 3 || performance.now() - t0 < timing.warmupMs); i++) await p.run();
    const timed = await timeWithBenchmarkJs(c, /** @type {import('./impls/types.mjs').Prepared} */ (p));
    const r = { status: /** @type {const} */ ('ok'), error, ...timed };
    if (c.flops && r.medianMs) r.gflops = c.flops / (r.medianMs * 1e6);
    if (c.samplesPerCall && r.medianMs) r.samplesPerS = c.samplesPerCall / (r.medianMs / 1e3);
    log(`${c.id}: median ${r.medianMs.toFixed(3)} ms over ${r.samples} samples${r.gflops ? `, ${r.gflops.toFixed(1)} GFLOP/s` : ''}${r.samplesPerS ? `, ${r.samplesPerS.toFixed(2)} samples/s` : ''}, ${r.faultsPerCall.toFixed(1)} page faults a call`);
    return r;
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    log(`${c.id}: error: ${reason}`);
    return { status: 'error', reason };
  } finally {
    try {
      p?.dispose();
    } catch {
      // disposal errors do not change the result
    }
  }
}

/**
 * A benchmark.js suite for this case holding this configuration's deferred benchmark: each call
 * computes and reads back, and resolves when the data is on the host.
 * @param {import('./cases.mjs').Case} c
 * @param {import('./impls/types.mjs').Prepared} p
 */
function timeWithBenchmarkJs(c, p) {
  return new Promise((resolve, reject) => {
    /** @type {unknown} */
    let failure;
    const suite = new Benchmark.Suite(c.id);
    const faults0 = process.resourceUsage().minorPageFault;
    suite.add(config.label, {
      defer: true,
      minSamples: timing.minSamples,
      maxTime: timing.maxTime,
      fn(/** @type {any} */ deferred) {
        p.run().then(
          () => deferred.resolve(),
          (e) => {
            failure = e;
            deferred.benchmark.abort();
            deferred.resolve();
          },
        );
      },
    });
    suite.on('complete', function () {
      // @ts-ignore benchmark.js calls listeners with the suite as `this`
      const b = this[0];
      if (failure || b.error) return reject(failure ?? b.error);
      const sample = /** @type {number[]} */ (b.stats.sample).map((s) => s * 1e3).sort((x, y) => x - y);
      // Calls: the timed cycles' (count each) and benchmark.js's calibration ones, which are few.
      const calls = Math.max(1, b.count * sample.length);
      resolve({
        medianMs: median(sample),
        samples: sample.length,
        callsPerSample: b.count,
        minMs: sample[0],
        maxMs: sample[sample.length - 1],
        rmePercent: b.stats.rme,
        sampleMs: sample,
        faultsPerCall: (process.resourceUsage().minorPageFault - faults0) / calls,
      });
    });
    suite.run({ async: true });
  });
}
