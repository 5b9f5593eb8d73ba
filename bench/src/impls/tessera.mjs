// @ts-check
/**
 * Tessera on its `cpu`, `wasm` (1 or 2 threads) or `webgpu` backend. A backend whose package does
 * not load or lacks its entry points is reported unavailable, with the reason, not as a failure.
 * @module
 */
import { packageVersion } from '../versions.mjs';
import { Unavailable } from './types.mjs';
import { lpNumThreads } from '../webgpu.mjs';

/** @typedef {import('./types.mjs').Impl} Impl */

/** @param {import('../configs.mjs').Config} config @returns {Promise<Impl>} */
export async function open(config) {
  /** @type {any} */
  let T;
  try {
    T = await import('@tessera/tensor');
  } catch (e) {
    throw new Unavailable(`@tessera/tensor did not load (run \`npm run build\` at the root): ${errText(e)}`);
  }
  const backend = config.backend;
  let detail = 'reference cpu backend';
  let version = packageVersion('@tessera/tensor');
  /** @type {(() => void) | undefined} */
  let close;
  if (backend === 'wasm') {
    // Importing the package loads the kernels and registers 'wasm'; threads are set afterwards.
    const mod = await importBackend('@tessera/backend-wasm');
    version = packageVersion('@tessera/backend-wasm');
    if (!T.listBackends().includes('wasm')) throw new Unavailable(`@tessera/backend-wasm registers no 'wasm' backend${statusOf(mod)}`);
    if (typeof mod.setThreads !== 'function') throw new Unavailable(`@tessera/backend-wasm exports no setThreads(n)${statusOf(mod)}`);
    mod.setThreads(config.threads);
    const threads = typeof mod.getThreads === 'function' ? mod.getThreads() : config.threads;
    if (threads !== config.threads) throw new Unavailable(`@tessera/backend-wasm: asked for ${config.threads} threads, runs ${threads}`);
    const info = typeof mod.wasmInfo === 'function' ? mod.wasmInfo() : null;
    detail = `${info ? `${info.flavor} build, ` : ''}${threads} thread${threads > 1 ? 's' : ''}`;
  } else if (backend === 'webgpu') {
    // Tessera sets up Dawn itself (its `adapter` presets), as a Node user would.
    const mod = await importBackend('@tessera/backend-webgpu');
    version = packageVersion('@tessera/backend-webgpu');
    if (typeof mod.initWebGPU !== 'function') throw new Unavailable(`@tessera/backend-webgpu exports no initWebGPU()${statusOf(mod)}`);
    process.env.LP_NUM_THREADS ??= lpNumThreads();
    const adapter = config.adapter ?? 'llvmpipe';
    /** @type {any} */
    let info;
    try {
      info = await mod.initWebGPU(adapter === 'default' ? {} : { adapter });
    } catch (e) {
      throw new Unavailable(`@tessera/backend-webgpu: initWebGPU() failed: ${errText(e)}`);
    }
    close = typeof mod.destroyWebGPU === 'function' ? () => mod.destroyWebGPU() : undefined;
    detail = `${adapter} (${info?.adapter ?? 'unknown adapter'}), ${info?.featureLevel ?? '?'}, matmul '${info?.matmul ?? '?'}'`;
  }
  T.setBackend(backend);

  return {
    version,
    detail,
    close,
    supports: (c) => backend !== 'cpu' || !!c.tesseraCpu || 'the reference cpu backend runs only the smallest cases',
    async prepare(c, inputs) {
      if (c.op === 'model') return prepareModel(T, c, inputs);
      /** @type {Record<string, any>} */
      const x = {};
      for (const [name, shape] of Object.entries(c.inputs)) x[name] = T.fromArray(inputs[name], shape);
      const op = opOf(T, c, x);
      return {
        run: () => runAndRead(T, op),
        dispose() {
          for (const t of Object.values(x)) t.dispose();
        },
      };
    },
  };
}

/**
 * One timed call: the op under tidy (its intermediates freed), then its result read back to the
 * host and freed.
 * @param {any} T @param {() => any} op @returns {Promise<any>}
 */
async function runAndRead(T, op) {
  const y = T.tidy(op);
  try {
    return await y.data();
  } finally {
    y.dispose();
  }
}

/** @param {any} T @param {import('../cases.mjs').Case} c @param {Record<string, any>} x @returns {() => any} */
function opOf(T, c, x) {
  switch (c.op) {
    case 'matmul':
      return () => T.matmul(x.a, x.b);
    case 'attention':
      return () => T.scaledDotProductAttention(x.q, x.k, x.v);
    case 'softmax':
      return () => T.softmax(x.x, -1);
    case 'layerNorm':
      return () => T.layerNorm(x.x, [c.inputs.x.at(-1)], null, null, c.eps);
    case 'conv2d':
      return () => T.conv2d(x.x, x.w, null, { padding: c.padding });
    case 'gelu':
      return () => T.gelu(x.x);
    case 'model':
      throw new Error(`${c.id}: model cases are prepared by prepareModel`);
  }
}

/**
 * A whole model (bench/models/<model>.safetensors, the weights the ONNX graph holds), loaded
 * strictly. Forward cases run in eval mode under noGrad; the training step (`c.train`) is
 * zeroGrad, forward, cross-entropy, backward and an AdamW step, all in one tidy scope, and
 * returns the step's logits (the first step's are checked against the forward reference).
 * @param {any} T @param {import('../cases.mjs').Case} c @param {Record<string, Float32Array>} inputs
 * @returns {Promise<import('./types.mjs').Prepared>}
 */
async function prepareModel(T, c, inputs) {
  /** @type {any} */
  let M;
  /** @type {any} */
  let A;
  try {
    M = await import('@tessera/models');
    A = await import('@tessera/autograd');
  } catch (e) {
    throw new Unavailable(`@tessera/models or @tessera/autograd did not load (run \`npm run build\` at the root): ${errText(e)}`);
  }
  const { MODEL_SPECS, modelFile } = await import('../models.mjs');
  const { readFileSync } = await import('node:fs');
  const name = /** @type {string} */ (c.model);
  const spec = /** @type {any} */ (MODEL_SPECS[name]);
  const model = spec.kind === 'dit' ? new M.DiT(spec.options) : new M.ViViT(spec.options);
  const state = T.loadSafetensors(readFileSync(modelFile(name, 'safetensors')), { source: `${name}.safetensors` });
  try {
    model.loadStateDict(state, { strict: true });
  } finally {
    for (const t of Object.values(state)) t.dispose?.();
  }
  /** @type {Record<string, any>} */
  const x = {};
  for (const [k, shape] of Object.entries(c.inputs)) {
    x[k] = c.intInputs?.[k] ? T.fromArray(Int32Array.from(/** @type {Float32Array} */ (inputs[k])), shape) : T.fromArray(inputs[k], shape);
  }
  /** @type {any} */
  let opt = null;
  /** @type {() => any} */
  let op;
  if (c.train) {
    model.train(); // dropout is 0: the same function as eval
    opt = new A.optim.AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.01 });
    op = () => {
      opt.zeroGrad();
      const logits = model.forward(x.x);
      const loss = M.crossEntropy(logits, x.labels);
      loss.backward();
      opt.step();
      return logits;
    };
  } else {
    model.eval();
    op = () => A.noGrad(() => (spec.kind === 'dit' ? model.forward(x.x, x.t, x.y) : model.forward(x.x)));
  }
  return {
    run: () => runAndRead(T, op),
    dispose() {
      for (const t of Object.values(x)) t.dispose();
      opt?.zeroGrad();
      opt?.disposeState?.();
      model.dispose?.();
    },
  };
}

/** @param {string} pkg */
async function importBackend(pkg) {
  try {
    return await import(pkg);
  } catch (e) {
    throw new Unavailable(`${pkg} did not load: ${errText(e)}`);
  }
}

/** @param {any} mod */
const statusOf = (mod) => (mod.PACKAGE_STATUS ? ` (PACKAGE_STATUS '${mod.PACKAGE_STATUS}')` : '');

/** @param {unknown} e */
const errText = (e) => (e instanceof Error ? e.message : String(e)).split('\n')[0];
