// @ts-check
/**
 * jax-js (`@jax-js/jax`) on its `wasm` backend (1 thread: no Worker global, kernels run on the
 * main thread, as Node gets by default; 2 threads: a pool of 2 workers over a worker_threads-backed
 * `Worker` global) or its `webgpu` backend (Dawn). Every op is `jit`-compiled, as jax-js is meant
 * to be used. Attention uses jax's native [B, L, N, H] layout (`nn.dotProductAttention`).
 * jax-js arrays move into the ops that use them, so each call passes `.ref`s.
 * @module
 */
import { packageVersion } from '../versions.mjs';
import { installWebWorkerGlobal, setNavigator } from '../shims/web-worker.mjs';
import { installIteratorHelpers } from '../shims/iterator-helpers.mjs';
import { setupDawn } from '../webgpu.mjs';
import { permute, permuteShape, BNLH_TO_BLNH } from '../layout.mjs';
import { Unavailable } from './types.mjs';

/** @param {import('../configs.mjs').Config} config @returns {Promise<import('./types.mjs').Impl>} */
export async function open(config) {
  installIteratorHelpers(); // Node 20 lacks them; jax-js's einsum (attention) needs them
  let detail;
  if (config.backend === 'wasm') {
    // jax-js builds its wasm worker pool at import when `Worker` and SharedArrayBuffer exist,
    // sized by navigator.hardwareConcurrency.
    if (config.threads > 1) installWebWorkerGlobal(config.threads);
    else setNavigator({});
    detail = config.threads > 1 ? `${config.threads} workers (worker_threads Worker shim)` : '1 thread (no workers)';
  } else {
    const { adapterInfo } = await setupDawn(config.adapter ?? 'llvmpipe');
    detail = adapterInfo;
  }
  /** @type {any} */
  const jax = await import('@jax-js/jax');
  const devices = await jax.init(...(config.backend === 'wasm' ? ['cpu', 'wasm'] : ['webgpu']));
  if (!devices.includes(config.backend)) throw new Unavailable(`jax.init gave ${devices.join(', ')}, no ${config.backend}`);
  jax.defaultDevice(config.backend);
  const { numpy: np, nn, lax, jit } = jax;

  return {
    version: packageVersion('@jax-js/jax'),
    detail,
    supports: (c) => c.op !== 'model' || 'the model cases run in Tessera and ONNX Runtime only (same exported weights)',
    async prepare(c, inputs) {
      /** @type {Record<string, any>} */
      const x = {};
      let toCanonical;
      if (c.op === 'attention') {
        for (const name of ['q', 'k', 'v']) {
          x[name] = np.array(permute(inputs[name], c.inputs[name], BNLH_TO_BLNH), { shape: permuteShape(c.inputs[name], BNLH_TO_BLNH) });
        }
        const outBLNH = permuteShape(c.output, BNLH_TO_BLNH);
        toCanonical = (/** @type {ArrayLike<number>} */ y) => permute(y, outBLNH, BNLH_TO_BLNH);
      } else {
        for (const [name, shape] of Object.entries(c.inputs)) x[name] = np.array(inputs[name], { shape });
      }
      const f = jit(fnOf({ np, nn, lax }, c));
      const names = Object.keys(x);
      return {
        async run() {
          const y = f(...names.map((n) => x[n].ref));
          return await y.data(); // data() consumes y
        },
        toCanonical,
        dispose() {
          for (const a of Object.values(x)) a.dispose();
          f.dispose?.();
        },
      };
    },
  };
}

/** @param {any} jax @param {import('../cases.mjs').Case} c @returns {(...args: any[]) => any} */
function fnOf({ np, nn, lax }, c) {
  switch (c.op) {
    case 'matmul':
      return (a, b) => np.matmul(a, b);
    case 'attention':
      return (q, k, v) => nn.dotProductAttention(q, k, v);
    case 'softmax':
      return (x) => nn.softmax(x, -1);
    case 'layerNorm':
      return (x) => nn.standardize(x, -1, { epsilon: c.eps });
    case 'conv2d': {
      const p = c.padding ?? 0;
      return (x, w) => lax.convGeneralDilated(x, w, [1, 1], [[p, p], [p, p]]);
    }
    case 'gelu':
      return (x) => nn.gelu(x, { approximate: false });
    case 'model':
      throw new Error(`${c.id}: model cases do not run in jax-js`);
  }
}
