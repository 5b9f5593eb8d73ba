// @ts-check
/**
 * Lets Emscripten's pthread pool (tfjs-backend-wasm's threaded SIMD build) start in Node.
 *
 * tfjs hands Emscripten the worker script and the main script as `Blob`s. In Node,
 * `worker_threads.Worker` refuses a `blob:` URL (ERR_WORKER_PATH), and the worker's
 * `importScripts` reads files with `fs.readFileSync`, so both must be real files. This shim
 * records the text of string-built Blobs, makes `URL.createObjectURL` of such a Blob write it
 * to a temporary `.cjs` file and return its path, and rewrites a Blob sent to a worker in the
 * pthread `load` message into such a path. It also makes `os.cpus()` report `cores` entries:
 * tfjs caps its pool at half the logical cores, so 2 threads need 4.
 * @module
 */
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** @param {number} cores logical cores `os.cpus()` should report */
export function installEmscriptenPthreadShim(cores) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-pthreads-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  /** @type {WeakMap<Blob, string>} */
  const texts = new WeakMap();
  /** @type {WeakMap<Blob, string>} */
  const files = new WeakMap();
  let n = 0;

  const OrigBlob = globalThis.Blob;
  class RecordingBlob extends OrigBlob {
    /** @param {any[]} [parts] @param {BlobPropertyBag} [opts] */
    constructor(parts, opts) {
      super(parts, opts);
      if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) texts.set(this, parts.join(''));
    }
  }
  globalThis.Blob = RecordingBlob;

  /** @param {Blob} blob @returns {string | undefined} */
  const fileOf = (blob) => {
    const text = texts.get(blob);
    if (text === undefined) return undefined;
    let file = files.get(blob);
    if (!file) {
      // Workers load it with `importScripts`, i.e. indirect eval, or as the worker's main module.
      // Emscripten's main script refers to the bundle's module-level `require$$N` aliases and
      // `commonjsGlobal`; define them so the script also runs outside its bundle.
      const prelude =
        "var require$$0=require('fs'),require$$1=require('path'),require$$2=require('worker_threads')," +
        "require$$3=require('perf_hooks'),require$$4=require('os'),commonjsGlobal=globalThis;\n";
      file = path.join(dir, `blob-${n++}.cjs`);
      writeFileSync(file, prelude + text);
      files.set(blob, file);
    }
    return file;
  };

  const origCreate = URL.createObjectURL;
  URL.createObjectURL = (/** @type {Blob} */ blob) => fileOf(blob) ?? origCreate(blob);
  const origRevoke = URL.revokeObjectURL;
  URL.revokeObjectURL = (/** @type {string} */ url) => {
    if (url.startsWith('blob:')) origRevoke(url);
  };

  const wt = require('node:worker_threads');
  const NodeWorker = wt.Worker;
  class FileWorker extends NodeWorker {
    /** @param {any} msg @param {any} [transfer] */
    postMessage(msg, transfer) {
      if (msg && typeof msg === 'object' && msg.urlOrBlob instanceof OrigBlob) {
        const file = fileOf(msg.urlOrBlob);
        if (file) msg = { ...msg, urlOrBlob: file };
      }
      super.postMessage(msg, transfer);
    }
  }
  wt.Worker = FileWorker;

  const cpus = os.cpus();
  const fake = Array.from({ length: cores }, (_, i) => cpus[i % cpus.length]);
  os.cpus = () => fake;
}
