// @ts-check
/**
 * A `Worker` global (the Web Workers API) backed by Node's `worker_threads`, enough for libraries
 * that start their wasm thread pool with `new Worker(URL.createObjectURL(blob))` and talk to it
 * with `postMessage`/`onmessage` (jax-js's wasm pool). Node 20 has no such global, and
 * `worker_threads.Worker` cannot load `blob:` URLs, so the worker starts from a small bootstrap
 * that waits for the script's source (read from the Blob asynchronously), evaluates it as a
 * classic script with `self`, `postMessage` and `onmessage` in scope, then delivers the messages
 * that arrived meanwhile, in order.
 * @module
 */
import { Worker as NodeWorker } from 'node:worker_threads';
import { resolveObjectURL } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BOOTSTRAP = `
const { parentPort } = require('worker_threads');
const listeners = [];
globalThis.self = globalThis;
globalThis.postMessage = (m, t) => parentPort.postMessage(m, t);
globalThis.addEventListener = (type, fn) => { if (type === 'message') listeners.push(fn); };
globalThis.removeEventListener = (type, fn) => { const i = listeners.indexOf(fn); if (i >= 0) listeners.splice(i, 1); };
globalThis.close = () => process.exit(0);
let queue = [];
const deliver = (data) => {
  const ev = { data, target: globalThis };
  if (typeof globalThis.onmessage === 'function') globalThis.onmessage(ev);
  for (const fn of listeners) fn(ev);
};
parentPort.on('message', (m) => {
  if (queue === null) return deliver(m);
  if (m && typeof m === 'object' && typeof m.__webWorkerShimSource === 'string') {
    (0, eval)(m.__webWorkerShimSource);
    const q = queue; queue = null;
    for (const x of q) deliver(x);
  } else queue.push(m);
});
`;

/** @param {string | URL} url @returns {Promise<string>} */
async function scriptSource(url) {
  const s = String(url);
  if (s.startsWith('blob:')) {
    const blob = resolveObjectURL(s);
    if (!blob) throw new Error(`Worker shim: unknown blob URL ${s}`);
    return blob.text();
  }
  if (s.startsWith('data:')) return (await fetch(s)).text();
  return readFileSync(s.startsWith('file:') ? fileURLToPath(s) : s, 'utf8');
}

export class WebWorker {
  /** @param {string | URL} url @param {{ type?: string, name?: string }} [_opts] */
  constructor(url, _opts) {
    /** @type {((ev: { data: unknown }) => void) | null} */
    this.onmessage = null;
    /** @type {((ev: { message: string, error: unknown }) => void) | null} */
    this.onerror = null;
    /** @type {Map<string, Set<Function>>} */
    this.listeners = new Map();
    this.worker = new NodeWorker(BOOTSTRAP, { eval: true });
    this.worker.on('message', (data) => this.dispatch('message', { data }));
    this.worker.on('error', (/** @type {any} */ error) => this.dispatch('error', { message: String(error?.message ?? error), error }));
    scriptSource(url).then(
      (src) => this.worker.postMessage({ __webWorkerShimSource: src }),
      (/** @type {any} */ error) => this.dispatch('error', { message: String(error?.message ?? error), error }),
    );
  }
  /** @param {string} type @param {any} ev */
  dispatch(type, ev) {
    const handler = type === 'message' ? this.onmessage : this.onerror;
    if (typeof handler === 'function') handler.call(this, ev);
    for (const fn of this.listeners.get(type) ?? []) fn.call(this, ev);
  }
  /** @param {unknown} msg @param {any[]} [transfer] */
  postMessage(msg, transfer) {
    this.worker.postMessage(msg, transfer);
  }
  /** @param {string} type @param {Function} fn */
  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)?.add(fn);
  }
  /** @param {string} type @param {Function} fn */
  removeEventListener(type, fn) {
    this.listeners.get(type)?.delete(fn);
  }
  terminate() {
    void this.worker.terminate();
  }
}

/**
 * Installs the `Worker` global (and a `navigator` reporting `cores` logical cores, which is how
 * browser libraries size their pools) before the library is imported.
 * @param {number} cores
 */
export function installWebWorkerGlobal(cores) {
  Object.assign(globalThis, { Worker: WebWorker });
  setNavigator({ hardwareConcurrency: cores });
}

/**
 * Sets fields of `globalThis.navigator`, which Node 20 lacks (Node 21+ defines it read-only).
 * @param {Record<string, unknown>} fields
 */
export function setNavigator(fields) {
  const nav = Object.assign({ userAgent: `Node.js/${process.versions.node}` }, globalThis.navigator ?? {}, fields);
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
}
