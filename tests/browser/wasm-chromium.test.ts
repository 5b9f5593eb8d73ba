// @tessera/backend-wasm in a real browser: Debian's Chromium (headless, driven by playwright-core)
// loads the built packages straight from dist/ through an import map, with no bundler, and runs
// the whole conformance kit on the 'wasm' backend against the reference cpu backend.
//
// Two pages: one served cross-origin isolated (COOP/COEP), where memory is shared, the engine
// picks the relaxed-SIMD build (Chromium validates it; Node 20 cannot, so this is the only place
// that build runs) and two threads run as Web Workers from a Blob URL; one served without those
// headers, where SharedArrayBuffer is missing and the backend says so in one console line and
// runs single-threaded.
//
// Needs Chromium at /usr/bin/chromium (or TESSERA_CHROMIUM) and `npm run build` (which `npm test`
// runs first). Without Chromium the suite is skipped with one warning, unless
// TESSERA_BROWSER_REQUIRED=1 (set by .ci/run, which installs Chromium), where it fails instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage } from 'playwright-core';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRED = process.env.TESSERA_BROWSER_REQUIRED === '1';
const HAVE = existsSync(CHROMIUM);
if (!HAVE && !REQUIRED) {
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set TESSERA_CHROMIUM)`);
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };

/** The page: imports the packages by name (the import map), runs the kit, leaves a report on `window`. */
const PAGE = `<!doctype html>
<script type="importmap">
{ "imports": {
  "@tessera/tensor": "/packages/tensor/dist/index.js",
  "@tessera/tensor/testing": "/packages/tensor/dist/testing/index.js",
  "@tessera/backend-wasm": "/packages/backend-wasm/dist/index.js"
} }
</script>
<script type="module">
  const report = { errors: [] };
  try {
    const T = await import('@tessera/tensor');
    const K = await import('@tessera/tensor/testing');
    const W = await import('@tessera/backend-wasm');
    report.crossOriginIsolated = self.crossOriginIsolated;
    W.setThreads(2);
    const t0 = performance.now();
    while (W.wasmInfo().shared && W.wasmInfo().readyWorkers < 1 && performance.now() - t0 < 20000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const info = W.wasmInfo();
    Object.assign(report, { flavor: info.flavor, shared: info.shared, threads: info.threads, readyWorkers: info.readyWorkers });
    const cases = K.buildCases();
    report.cases = cases.length;
    report.uncovered = K.uncoveredOps(cases);
    W.runtime.pool.takeChunkCounts();
    for (const c of cases) {
      try {
        await K.checkCase(c, 'wasm');
      } catch (e) {
        report.errors.push(c.name + ': ' + String(e && e.message || e));
      }
    }
    // one product big enough for many chunks, so that the worker takes some
    const a = T.randn([256, 300], { backend: 'wasm' });
    const b = T.randn([300, 520], { backend: 'wasm' });
    const y = T.matmul(a, b);
    const ref = T.matmul(T.tensor(await a.data(), { backend: 'cpu' }).reshape([256, 300]), T.tensor(await b.data(), { backend: 'cpu' }).reshape([300, 520]));
    const [got, want] = [await y.data(), await ref.data()];
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
    report.matmulWorst = worst;
    report.chunkCounts = W.runtime.pool.takeChunkCounts();
  } catch (e) {
    report.fatal = String(e && e.stack || e);
  }
  window.__report = report;
</script>`;

interface Report {
  errors: string[];
  fatal?: string;
  crossOriginIsolated?: boolean;
  flavor?: string;
  shared?: boolean;
  threads?: number;
  readyWorkers?: number;
  cases?: number;
  uncovered?: string[];
  matmulWorst?: number;
  chunkCounts?: number[];
}

/** Serves the repository read-only; `/page.html?coi=1` and everything it loads with COOP/COEP. */
function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const coi = url.searchParams.get('coi') === '1' || (req.headers.referer ?? '').includes('coi=1');
    const headers: Record<string, string> = coi
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }
      : {};
    if (url.pathname === '/page.html') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      return;
    }
    const file = normalize(join(ROOT, decodeURIComponent(url.pathname)));
    const allowed = file.startsWith(join(ROOT, 'packages') + sep) && file.includes(`${sep}dist${sep}`);
    if (!allowed || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    ok({ server, origin: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
  }));
}

describe.skipIf(!HAVE && !REQUIRED)('@tessera/backend-wasm in Chromium, from dist/ with an import map', () => {
  let browser: Browser;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    for (const f of ['packages/tensor/dist/index.js', 'packages/tensor/dist/testing/index.js', 'packages/backend-wasm/dist/index.js', 'packages/backend-wasm/dist/wasm/tessera-relaxed.wasm']) {
      if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
    }
    ({ server, origin } = await serve());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  });

  async function run(coi: boolean): Promise<{ report: Report; console: string[] }> {
    const page = await browser.newPage();
    const lines: string[] = [];
    page.on('console', (m: ConsoleMessage) => lines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`${origin}/page.html${coi ? '?coi=1' : ''}`);
      await page.waitForFunction(() => (window as unknown as { __report?: unknown }).__report !== undefined, undefined, { timeout: 150_000 });
      const report = (await page.evaluate(() => (window as unknown as { __report: unknown }).__report)) as Report;
      return { report, console: lines };
    } finally {
      await page.close();
    }
  }

  it('cross-origin isolated: relaxed-SIMD build, two threads as Web Workers, the whole kit passes', async () => {
    const { report, console: lines } = await run(true);
    expect(report.fatal, lines.join('\n')).toBeUndefined();
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.shared).toBe(true);
    expect(report.flavor).toBe('relaxed');
    expect(report.threads).toBe(2);
    expect(report.readyWorkers).toBe(1);
    expect(report.uncovered).toEqual([]);
    expect(report.cases).toBeGreaterThan(300);
    expect(report.errors).toEqual([]);
    expect(report.matmulWorst).toBeLessThan(1e-4);
    // the worker ran chunks of the kit and of the product
    expect(report.chunkCounts).toHaveLength(2);
    expect(report.chunkCounts![1]).toBeGreaterThan(0);
  }, 180_000);

  it('not isolated: no SharedArrayBuffer, one console line, single-threaded, the whole kit passes', async () => {
    const { report, console: lines } = await run(false);
    expect(report.fatal, lines.join('\n')).toBeUndefined();
    expect(report.crossOriginIsolated).toBe(false);
    expect(report.shared).toBe(false);
    expect(report.threads).toBe(1);
    expect(lines.filter((l) => l.includes('SharedArrayBuffer is unavailable'))).toHaveLength(1);
    expect(report.errors).toEqual([]);
    expect(report.matmulWorst).toBeLessThan(1e-4);
  }, 180_000);
});
