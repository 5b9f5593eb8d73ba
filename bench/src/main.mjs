// @ts-check
/**
 * `npm run bench`: times Tessera and its peers on the same cases in one run and writes
 * bench/results/<date>.json, .md and .svg. See bench/README.md.
 *
 * Steps: install bench/'s own dependencies if missing; build Tessera (`npm run build` at the
 * root); compute the float64 reference of every selected case once; start one child process per
 * configuration (child.mjs), kept for the whole run; in rounds, send each case to every
 * configuration in turn (the configurations in order, then in reverse, …) so that the ratios are
 * between measurements seconds apart and a shared machine's drift falls on all alike; pool each
 * case's samples over the rounds; write the three files atomically.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, makeInputs, selectCases } from './cases.mjs';
import { CONFIGS, selectConfigs } from './configs.mjs';
import { reference } from './reference.mjs';
import { DIED, TIMING } from './child-protocol.mjs';
import { median } from './stats.mjs';
import { TOLERANCE } from './check.mjs';
import { BENCH_DIR, ROOT_DIR, packageVersion } from './versions.mjs';
import { writeFileAtomic } from './report/atomic.mjs';
import { toMarkdown } from './report/markdown.mjs';
import { toSvg } from './report/svg.mjs';
import { ensureModels, modelReference } from './models.mjs';

/**
 * @typedef {import('./child.mjs').CaseResult} CaseResult
 * @typedef {import('./configs.mjs').Config & { status: 'ok' | 'unavailable' | 'error', reason?: string,
 *   version?: string, detail?: string }} ConfigEntry
 * @typedef {{
 *   schema: 1, date: string, startedAt: string, finishedAt: string, mode: 'full' | 'quick',
 *   filter: string | null, configsFilter: string | null, webgpu: string | null,
 *   timing: { minSamples: number, maxTime: number, warmupMs: number, rounds: number,
 *     schedule?: 'case', malloc?: { mode: 'steady' | 'system', applied: boolean, tunables: string | null } }, tolerance: number, // schedule 'case': every configuration times a case in turn (absent: each ran all cases in turn)
 *   machine: { cpu: string, logicalCores: number, memoryGiB: number, platform: string, arch: string,
 *     node: string, v8: string, loadavgStart: number, loadavgEnd: number, env: Record<string, string> },
 *   versions: Record<string, string>,
 *   cases: { id: string, label: string, op: string, inputs: Record<string, number[]>, output: number[], flops: number | null }[],
 *   configs: ConfigEntry[],
 *   results: Record<string, Record<string, CaseResult>>,
 * }} Results
 */

const USAGE = `npm run bench -- [options]

  --quick              short timings (benchmark.js minSamples 5, maxTime 0.5 s, one round)
                       instead of minSamples 10, maxTime 4 s over 3 rounds; results go to
                       <date>-quick.*
  --rounds N           time every case N times, each time by every configuration in turn
                       (in order, then in reverse, …), each round with 1/N of the samples and
                       time, and pool the samples (default 3, quick 1)
  --filter PATTERNS    cases whose id matches any comma-separated regexp, e.g. matmul,softmax
  --configs PATTERNS   configurations whose id matches, e.g. tessera,ort-node
  --webgpu[=ADAPTER]   also run the WebGPU configurations on Dawn; ADAPTER is llvmpipe (default),
                       swiftshader or default (a real GPU)
  --out DIR            where results go (default bench/results)
  --name NAME          file name stem (default <YYYY-MM-DD>[-quick][-partial])
  --malloc MODE        steady (default): every configuration's process runs with the same glibc
                       malloc settings (no heap trimming, no mmap below 32 MiB), so that a
                       readback does not fault in fresh pages by the luck of the heap's history;
                       system: the environment as it is
  --timeout SECONDS    per case: a configuration's process that does not answer for this long
                       is killed, the case recorded as an error and a fresh process started
                       for the next (default 300, quick 120)
  --skip-install       do not install bench/'s dependencies when missing
  --skip-build         do not run \`npm run build\` at the root first
  --list               list cases and configurations and exit
`;

const argv = process.argv.slice(2).map((a) => (a === '--webgpu' ? '--webgpu=llvmpipe' : a));
const { values: opt } = parseArgs({
  args: argv,
  options: {
    quick: { type: 'boolean', default: false },
    filter: { type: 'string' },
    configs: { type: 'string' },
    webgpu: { type: 'string' },
    out: { type: 'string', default: path.join(BENCH_DIR, 'results') },
    name: { type: 'string' },
    timeout: { type: 'string' },
    malloc: { type: 'string', default: 'steady' },
    rounds: { type: 'string' },
    'skip-install': { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opt.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (opt.webgpu && !['llvmpipe', 'swiftshader', 'default'].includes(opt.webgpu)) {
  process.stderr.write(`--webgpu: unknown adapter '${opt.webgpu}' (llvmpipe, swiftshader or default)\n`);
  process.exit(2);
}
if (!['steady', 'system'].includes(opt.malloc)) {
  process.stderr.write(`--malloc: unknown mode '${opt.malloc}' (steady or system)\n`);
  process.exit(2);
}
const malloc = mallocSettings(/** @type {'steady' | 'system'} */ (opt.malloc));
const webgpu = /** @type {import('./webgpu.mjs').AdapterKind | null} */ (opt.webgpu ?? null);
const cases = selectCases(opt.filter);
const configs = selectConfigs({ configs: opt.configs, webgpu });

if (opt.list) {
  process.stdout.write(`cases:\n${CASES.map((c) => `  ${c.id.padEnd(24)} ${c.label}`).join('\n')}\n`);
  process.stdout.write(`configurations:\n${CONFIGS.map((c) => `  ${c.id.padEnd(24)} ${c.label}${c.webgpu ? ' (--webgpu)' : ''}`).join('\n')}\n`);
  process.exit(0);
}
if (!cases.length || !configs.length) {
  process.stderr.write(`nothing to run: ${cases.length} cases, ${configs.length} configurations match\n`);
  process.exit(2);
}

const startedAt = new Date();
const loadavgStart = os.loadavg()[0] ?? 0;

if (!opt['skip-install']) ensureInstalled();
if (!opt['skip-build'] && configs.some((c) => c.impl === 'tessera')) buildTessera();

// References once per run, in a temporary folder the children read.
const refDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-ref-'));
process.on('exit', () => rmSync(refDir, { recursive: true, force: true }));
// Model cases: their ONNX and safetensors files, exported on demand; a case whose files cannot be
// had is skipped by every configuration (a `<case>.skip` file holding the reason).
const modelNames = [...new Set(cases.flatMap((c) => (c.model ? [c.model] : [])))];
const modelsMissing = modelNames.length ? ensureModels(modelNames, log) : null;
for (const c of cases) {
  const t = performance.now();
  if (c.op === 'model' && modelsMissing) {
    writeFileSync(path.join(refDir, `${c.id}.skip`), modelsMissing);
    log(`skipping ${c.id}: ${modelsMissing}`);
    continue;
  }
  const ref = c.op === 'model' ? await modelReference(c, makeInputs(c)) : reference(c, makeInputs(c));
  writeFileSync(path.join(refDir, `${c.id}.f32`), new Uint8Array(ref.buffer, ref.byteOffset, ref.byteLength));
  log(`reference ${c.id} (${((performance.now() - t) / 1e3).toFixed(1)} s)`);
}

const timeoutS = Number(opt.timeout ?? (opt.quick ? 120 : 300));
const rounds = Number(opt.rounds ?? (opt.quick ? 1 : 3));
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
  process.stderr.write(`--rounds: expected an integer from 1 to 10, got '${opt.rounds}'\n`);
  process.exit(2);
}
const base = opt.quick ? TIMING.quick : TIMING.full;
/** benchmark.js settings of one round: the mode's samples and time shared out over the rounds. */
const timing = { minSamples: Math.max(3, Math.ceil(base.minSamples / rounds)), maxTime: base.maxTime / rounds, warmupMs: base.warmupMs };
/**
 * The process of one configuration (child.mjs), started on first use and kept for the whole run,
 * so that each case is timed by every configuration in turn, seconds apart, instead of each
 * configuration going through all the cases minutes apart from the others: on a machine whose
 * speed drifts over minutes, the ratios (2 threads ÷ 1 thread, Tessera ÷ a peer) are then between
 * neighbours in time. A case that hangs (no answer for `timeoutS`) or crashes the process is
 * recorded as an error, and a fresh process goes on with the next case.
 */
class ConfigProcess {
  /** @param {import('./configs.mjs').Config} config */
  constructor(config) {
    this.config = config;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
    /** @type {{ version?: string, detail?: string, status: 'ok' | 'unavailable' | 'error', reason?: string }} */
    this.state = { status: 'ok' };
    /** Processes that failed to open the library; after two, the configuration is given up. */
    this.openFailures = 0;
    this.anyCase = false;
    /** @type {((m: import('./child.mjs').ChildMessage | null, why?: string) => void) | null} */
    this.waiter = null;
  }

  /** The configuration's entry in the results. */
  entry() {
    const { status, reason, version, detail } = this.state;
    // A configuration that timed some cases stays in the tables; its failures are listed per case.
    const s = status === 'error' && this.anyCase ? { status: /** @type {const} */ ('ok') } : { status, reason };
    return { ...this.config, ...s, version, detail };
  }

  /**
   * Waits for the child's next message, or null (with why) if it exits or is silent for `timeoutS`.
   * @returns {Promise<[import('./child.mjs').ChildMessage | null, string | undefined]>}
   */
  next() {
    const child = /** @type {import('node:child_process').ChildProcess} */ (this.child);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        child.kill('SIGKILL');
        resolve([null, `no progress for ${timeoutS} s, killed`]);
      }, timeoutS * 1e3);
      this.waiter = (m, why) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve([m, why]);
      };
    });
  }

  /** Starts the process if none is alive; false if the library cannot run here. */
  async start() {
    if (this.child) return true;
    if (this.state.status === 'unavailable' || this.openFailures >= 2) return false;
    log(`starting ${this.config.label}`);
    const child = spawn(process.execPath, [path.join(BENCH_DIR, 'src', 'child.mjs'), JSON.stringify({ config: this.config, refDir })], {
      cwd: BENCH_DIR,
      env: malloc.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    child.on('message', (/** @type {import('./child.mjs').ChildMessage} */ m) => this.waiter?.(m));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      this.waiter?.(null, `the process exited with ${signal ?? `code ${code}`}`);
    });
    const [m, why] = await this.next();
    if (m && 'ready' in m) {
      this.state.version ??= m.ready.version;
      this.state.detail ??= m.ready.detail;
      return true;
    }
    this.openFailures++;
    const failed = m && 'failed' in m ? m.failed : { status: /** @type {const} */ ('error'), reason: why ?? 'no answer' };
    if (!this.anyCase) this.state = { ...this.state, ...failed };
    log(`${this.config.label}: ${failed.status}: ${failed.reason.split('\n')[0]}`);
    this.child?.kill('SIGKILL');
    this.child = null;
    return false;
  }

  /**
   * Times one case; undefined when the configuration cannot run here.
   * @param {string} caseId
   * @returns {Promise<CaseResult | undefined>}
   */
  async run(caseId) {
    if (!(await this.start())) return this.state.status === 'unavailable' ? undefined : { status: 'error', reason: this.state.reason ?? 'the library failed to open' };
    /** @type {import('./child.mjs').ParentMessage} */
    const msg = { run: caseId, timing };
    /** @type {import('node:child_process').ChildProcess} */ (this.child).send(msg);
    const [m, why] = await this.next();
    if (m && 'done' in m && m.done === caseId) {
      this.anyCase ||= m.result.status === 'ok';
      return m.result;
    }
    // Died or hung inside the case (a crash in native code, a lost device): a fresh process takes the next.
    this.child?.kill('SIGKILL');
    this.child = null;
    const reason = `${DIED}: ${why ?? 'unexpected message'}`;
    log(`${this.config.label}: ${caseId}: ${reason}`);
    this.state.status = 'error';
    this.state.reason = reason;
    return { status: 'error', reason };
  }

  /** Asks the process to close its library and exit. */
  close() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.send({ close: true });
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  }
}

/** @type {Record<string, Record<string, CaseResult[]>>} per case, per configuration, one result per round */
const perRound = Object.fromEntries(cases.map((c) => [c.id, {}]));
/** @type {Map<string, ConfigProcess>} */
const procs = new Map(configs.map((c) => [c.id, new ConfigProcess(c)]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [...configs].reverse() : configs;
  for (const c of cases) {
    log(`${c.id}${rounds > 1 ? ` (round ${round + 1} of ${rounds})` : ''}`);
    for (const config of order) {
      const proc = /** @type {ConfigProcess} */ (procs.get(config.id));
      const r = await proc.run(c.id);
      if (!r) continue; // the configuration cannot run here
      (/** @type {Record<string, CaseResult[]>} */ (perRound[c.id])[config.id] ??= []).push(r);
    }
  }
}
for (const proc of procs.values()) proc.close();
/** @type {Results['results']} */
const results = Object.fromEntries(
  cases.map((c) => [c.id, Object.fromEntries(Object.entries(perRound[c.id] ?? {}).map(([id, rs]) => [id, poolRounds(c, rs)]))]),
);

const date = localDate(startedAt);
const partial = !!(opt.filter || opt.configs);
/** @type {Results} */
const out = {
  schema: 1,
  date,
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  mode: opt.quick ? 'quick' : 'full',
  filter: opt.filter ?? null,
  configsFilter: opt.configs ?? null,
  webgpu,
  timing: { ...timing, rounds, schedule: 'case', malloc: malloc.record },
  tolerance: TOLERANCE,
  machine: machine(loadavgStart),
  versions: versions(),
  cases: cases.map((c) => ({ id: c.id, label: c.label, op: c.op, inputs: c.inputs, output: c.output, flops: c.flops ?? null })),
  configs: [...procs.values()].map((p) => p.entry()),
  results,
};
const stem = opt.name ?? `${date}${opt.quick ? '-quick' : ''}${partial ? '-partial' : ''}`;
mkdirSync(opt.out, { recursive: true });
const md = toMarkdown(out);
writeFileAtomic(path.join(opt.out, `${stem}.json`), `${JSON.stringify(out, null, 2)}\n`);
writeFileAtomic(path.join(opt.out, `${stem}.md`), md);
writeFileAtomic(path.join(opt.out, `${stem}.svg`), toSvg(out));
process.stdout.write(`\n${md}\n`);
log(`wrote ${path.relative(process.cwd(), path.join(opt.out, stem))}.{json,md,svg}`);

/**
 * The environment of the configurations' processes. 'steady' appends glibc malloc tunables that
 * every process gets alike: a fixed mmap threshold of 32 MiB (glibc's largest; by default it
 * starts at 128 KiB and moves with the sizes freed) and a trim threshold of 1 GiB (by default the
 * heap's top is returned to the kernel once twice the mmap threshold is free). Without them,
 * whether a readback's host array lands on pages the process already has or on fresh ones, which
 * fault once per 4 KiB (~2.5 µs each on the dev VM, more than a 2-thread softmax 1024² itself for
 * its 4 MB result), depends on when the garbage collector last freed a batch of result arrays
 * and on what the process ran before: seen on 2026-11-27, tfjs softmax from 1.63 to 3.24 ms. The
 * tunables apply to glibc only; elsewhere the mode is recorded as not applied.
 * @param {'steady' | 'system'} mode
 * @returns {{ env: NodeJS.ProcessEnv, record: { mode: 'steady' | 'system', applied: boolean, tunables: string | null } }}
 */
function mallocSettings(mode) {
  const glibc = process.platform === 'linux' && !!(/** @type {any} */ (process.report?.getReport()).header?.glibcVersionRuntime);
  if (mode === 'system' || !glibc) return { env: process.env, record: { mode, applied: false, tunables: process.env.GLIBC_TUNABLES ?? null } };
  const tunables = [process.env.GLIBC_TUNABLES, 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824'].filter(Boolean).join(':');
  return { env: { ...process.env, GLIBC_TUNABLES: tunables }, record: { mode, applied: true, tunables } };
}

/** @param {string} s */
function log(s) {
  process.stdout.write(`[bench] ${s}\n`);
}

/** Installs bench/'s own dependencies (its lockfile) when they are missing. */
function ensureInstalled() {
  const pkg = JSON.parse(readFileSync(path.join(BENCH_DIR, 'package.json'), 'utf8'));
  const missing = Object.keys(pkg.dependencies).filter((d) => !existsSync(path.join(BENCH_DIR, 'node_modules', d, 'package.json')));
  if (!missing.length) return;
  log(`installing bench dependencies (missing: ${missing.join(', ')})`);
  // --ignore-scripts: onnxruntime-node's postinstall fetches GPU providers; its CPU binary ships in the package.
  const r = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: BENCH_DIR,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (r.status !== 0) throw new Error('npm ci in bench/ failed');
}

/**
 * Builds the workspace so Tessera's dist is current, and the wasm kernels when the root build
 * does not (the backend's own `build:wasm`). A failed build leaves the old dist in use.
 */
function buildTessera() {
  const root = JSON.parse(readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8'));
  const wasmPkg = JSON.parse(readFileSync(path.join(ROOT_DIR, 'packages', 'backend-wasm', 'package.json'), 'utf8'));
  /** @type {string[][]} */
  const steps = [['run', 'build']];
  if (wasmPkg.scripts?.['build:wasm'] && !/build:wasm|asc /.test(root.scripts?.build ?? '')) {
    steps.push(['run', 'build:wasm', '-w', '@tessera/backend-wasm']);
  }
  for (const args of steps) {
    log(`npm ${args.join(' ')}`);
    const r = spawnSync('npm', args, { cwd: ROOT_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) log(`WARNING: npm ${args.join(' ')} failed; Tessera runs from what dist/ already holds`);
  }
}

/**
 * One case of one configuration over the rounds: the first failure if any round failed (a wrong
 * result in any round is wrong), else the statistics of all rounds' samples pooled.
 * @param {import('./cases.mjs').Case} c
 * @param {CaseResult[]} rs
 * @returns {CaseResult}
 */
function poolRounds(c, rs) {
  const bad = rs.find((r) => r.status !== 'ok');
  if (bad || rs.length === 1) return bad ?? /** @type {CaseResult} */ (rs[0]);
  const sample = rs.flatMap((r) => r.sampleMs ?? []).sort((x, y) => x - y);
  const n = sample.length;
  const medianMs = median(sample);
  const mean = sample.reduce((a, x) => a + x, 0) / n;
  const sd = Math.sqrt(sample.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, n - 1));
  /** @type {CaseResult} */
  const r = {
    status: 'ok',
    error: Math.max(...rs.map((x) => x.error ?? 0)),
    medianMs,
    samples: n,
    callsPerSample: Math.round(rs.reduce((a, x) => a + (x.callsPerSample ?? 0), 0) / rs.length),
    minMs: sample[0],
    maxMs: sample[n - 1],
    rmePercent: ((1.96 * sd) / Math.sqrt(n) / mean) * 100,
    sampleMs: sample,
    rounds: rs.map((x) => /** @type {number} */ (x.medianMs)),
  };
  const faults = rs.flatMap((x) => (x.faultsPerCall === undefined ? [] : [x.faultsPerCall]));
  if (faults.length) r.faultsPerCall = faults.reduce((a, x) => a + x, 0) / faults.length;
  if (c.flops) r.gflops = c.flops / (medianMs * 1e6);
  if (c.samplesPerCall) r.samplesPerS = c.samplesPerCall / (medianMs / 1e3);
  return r;
}

/** @param {number} loadavgStart */
function machine(loadavgStart) {
  const cpus = os.cpus();
  /** @type {Record<string, string>} */
  const env = {};
  for (const k of ['LP_NUM_THREADS', 'EGL_PLATFORM', 'VK_ICD_FILENAMES', 'NODE_OPTIONS']) if (process.env[k]) env[k] = /** @type {string} */ (process.env[k]);
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    logicalCores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: process.platform,
    arch: process.arch,
    node: process.version,
    v8: process.versions.v8,
    loadavgStart,
    loadavgEnd: os.loadavg()[0] ?? 0,
    env,
  };
}

function versions() {
  /** @type {Record<string, string>} */
  const v = {};
  const names = [
    '@tessera/tensor',
    '@tessera/backend-wasm',
    '@tessera/backend-webgpu',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-webgpu',
    'onnxruntime-web',
    'onnxruntime-node',
    '@jax-js/jax',
    'webgpu',
    'benchmark',
  ];
  for (const n of names) v[n] = packageVersion(n);
  return v;
}

/** YYYY-MM-DD in local time. @param {Date} d */
function localDate(d) {
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
