// @ts-check
/**
 * ONNX Runtime: `onnxruntime-web` (its wasm build, which runs in Node as is) and
 * `onnxruntime-node` (the native CPU provider). Each case is a small ONNX graph built in code
 * (../onnx.mjs): the standard ONNX ops a PyTorch export would give, every tensor a graph input
 * (no weights baked in as initializers, so nothing can be pre-packed), ORT's default graph
 * optimisations on. LayerNormalization needs a Scale input: ones.
 * @module
 */
import { packageVersion } from '../versions.mjs';
import { readFileSync } from 'node:fs';
import { buildModel } from '../onnx.mjs';
import { MODEL_SPECS, modelFile, ortFeeds } from '../models.mjs';

/** @typedef {import('../onnx.mjs').NodeSpec} NodeSpec */

/** @param {import('../configs.mjs').Config} config @returns {Promise<import('./types.mjs').Impl>} */
export async function open(config) {
  const web = config.backend === 'wasm';
  /** @type {any} */
  const ort = web ? await import('onnxruntime-web') : await import('onnxruntime-node');
  if (web) ort.env.wasm.numThreads = config.threads;
  const sessionOptions = web
    ? { executionProviders: ['wasm'] }
    : { executionProviders: ['cpu'], intraOpNumThreads: config.threads, interOpNumThreads: 1, executionMode: 'sequential' };
  return {
    version: packageVersion(web ? 'onnxruntime-web' : 'onnxruntime-node'),
    detail: web ? `wasm (SIMD, threaded build), ${config.threads} thread${config.threads > 1 ? 's' : ''}` : `CPU provider, ${config.threads} intra-op thread${config.threads > 1 ? 's' : ''}`,
    supports: (c) => !c.train || 'ONNX Runtime has no training here (inference sessions only)',
    async prepare(c, inputs) {
      // Model cases: the graph exported from PyTorch (weights as initializers), read from bench/models/.
      const model = c.op === 'model' ? readFileSync(modelFile(/** @type {string} */ (c.model), 'onnx')) : modelOf(c);
      const outName = c.op === 'model' ? /** @type {any} */ (MODEL_SPECS[/** @type {string} */ (c.model)]).outputName : 'y';
      const session = await ort.InferenceSession.create(model, sessionOptions);
      /** @type {Record<string, any>} */
      const feeds = c.op === 'model' ? ortFeeds(ort, c, inputs) : {};
      if (c.op !== 'model') for (const [name, shape] of Object.entries(c.inputs)) feeds[name] = new ort.Tensor('float32', inputs[name], shape);
      return {
        async run() {
          const out = await session.run(feeds);
          const y = out[outName];
          const data = y.data; // on the CPU already for both; reading it is the read-back
          y.dispose?.();
          return data;
        },
        dispose() {
          void session.release();
        },
      };
    },
  };
}

/** @param {import('../cases.mjs').Case} c @returns {Uint8Array} */
export function modelOf(c) {
  const inputs = /** @type {[string, number[]][]} */ (Object.entries(c.inputs));
  const outputs = /** @type {[string, number[]][]} */ ([['y', c.output]]);
  /** @type {NodeSpec[]} */
  let nodes;
  /** @type {[string, number[], Float32Array][]} */
  const initializers = [];
  switch (c.op) {
    case 'matmul':
      nodes = [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }];
      break;
    case 'attention': {
      // softmax(q·kᵀ·scale)·v, as torch.onnx exports F.scaled_dot_product_attention at opset 17-20
      const nd = c.inputs.q.length;
      const perm = [...Array(nd - 2).keys(), nd - 1, nd - 2];
      initializers.push(['scale', [], new Float32Array([1 / Math.sqrt(/** @type {number} */ (c.inputs.q.at(-1)))])]);
      nodes = [
        { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: { perm } },
        { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
        { op: 'Mul', inputs: ['s', 'scale'], outputs: ['ss'] },
        { op: 'Softmax', inputs: ['ss'], outputs: ['p'], attrs: { axis: -1 } },
        { op: 'MatMul', inputs: ['p', 'v'], outputs: ['y'] },
      ];
      break;
    }
    case 'softmax':
      nodes = [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: -1 } }];
      break;
    case 'layerNorm': {
      const n = /** @type {number} */ (c.inputs.x.at(-1));
      initializers.push(['scale', [n], new Float32Array(n).fill(1)]);
      nodes = [{ op: 'LayerNormalization', inputs: ['x', 'scale'], outputs: ['y'], attrs: { axis: -1, epsilon: { float: c.eps ?? 1e-5 } } }];
      break;
    }
    case 'conv2d': {
      const p = c.padding ?? 0;
      const ks = c.inputs.w.slice(2);
      nodes = [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: ks, pads: [p, p, p, p], strides: [1, 1] } }];
      break;
    }
    case 'gelu':
      nodes = [{ op: 'Gelu', inputs: ['x'], outputs: ['y'], attrs: { approximate: 'none' } }];
      break;
    case 'model':
      throw new Error(`${c.id}: a model case's graph is the exported file (src/models.mjs), not built here`);
  }
  return buildModel({ inputs, outputs, nodes, initializers });
}
