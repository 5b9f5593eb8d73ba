// @ts-check
/**
 * TensorFlow.js on `@tensorflow/tfjs-backend-wasm` (SIMD; 1 thread is the plain SIMD build Node
 * gets by default, 2 threads the threaded SIMD build forced on through the pthread shim) or on
 * `@tensorflow/tfjs-backend-webgpu` (Dawn). tfjs has no gelu, layerNorm or attention op: those
 * are composed from its ops, as a tfjs user would. Convolutions run in tfjs's native NHWC/HWIO.
 * @module
 */
import { packageVersion } from '../versions.mjs';
import { installEmscriptenPthreadShim } from '../shims/emscripten-pthreads.mjs';
import { setupDawn } from '../webgpu.mjs';
import { permute, permuteShape, NCHW_TO_NHWC, NHWC_TO_NCHW, OIHW_TO_HWIO } from '../layout.mjs';
import { Unavailable } from './types.mjs';

/** @param {import('../configs.mjs').Config} config @returns {Promise<import('./types.mjs').Impl>} */
export async function open(config) {
  let detail;
  let version;
  /** @type {any} */
  let tf;
  if (config.backend === 'wasm') {
    // tfjs sizes its pool at half the logical cores: report twice the threads wanted.
    if (config.threads > 1) installEmscriptenPthreadShim(2 * config.threads);
    tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (config.threads > 1) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      wasm.setThreadsCount(config.threads);
    }
    if (!(await tf.setBackend('wasm'))) throw new Unavailable('tf.setBackend("wasm") failed');
    await tf.ready();
    const threads = wasm.getThreadsCount();
    if (threads !== config.threads) throw new Unavailable(`asked for ${config.threads} threads, tfjs runs ${threads}`);
    detail = threads > 1 ? `threaded SIMD build, ${threads} threads` : 'SIMD build, 1 thread';
    version = packageVersion('@tensorflow/tfjs-backend-wasm');
  } else if (config.backend === 'webgpu') {
    const { adapterInfo } = await setupDawn(config.adapter ?? 'llvmpipe');
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu'); // registers only if navigator.gpu exists now
    if (!(await tf.setBackend('webgpu'))) throw new Unavailable('tf.setBackend("webgpu") failed');
    await tf.ready();
    detail = adapterInfo;
    version = packageVersion('@tensorflow/tfjs-backend-webgpu');
  } else throw new Error(`tfjs: unknown backend ${config.backend}`);

  return {
    version,
    detail,
    supports: (c) => c.op !== 'model' || 'the model cases run in Tessera and ONNX Runtime only (same exported weights)',
    async prepare(c, inputs) {
      /** @type {Record<string, any>} */
      const x = {};
      let toCanonical;
      if (c.op === 'conv2d') {
        x.x = tf.tensor(permute(inputs.x, c.inputs.x, NCHW_TO_NHWC), permuteShape(c.inputs.x, NCHW_TO_NHWC));
        x.w = tf.tensor(permute(inputs.w, c.inputs.w, OIHW_TO_HWIO), permuteShape(c.inputs.w, OIHW_TO_HWIO));
        const outNHWC = permuteShape(c.output, NCHW_TO_NHWC);
        toCanonical = (/** @type {ArrayLike<number>} */ y) => permute(y, outNHWC, NHWC_TO_NCHW);
      } else {
        for (const [name, shape] of Object.entries(c.inputs)) x[name] = tf.tensor(inputs[name], shape);
      }
      const op = opOf(tf, c, x);
      return {
        async run() {
          const y = tf.tidy(op);
          try {
            return await y.data();
          } finally {
            y.dispose();
          }
        },
        toCanonical,
        dispose() {
          for (const t of Object.values(x)) t.dispose();
        },
      };
    },
  };
}

/** @param {any} tf @param {import('../cases.mjs').Case} c @param {Record<string, any>} x @returns {() => any} */
function opOf(tf, c, x) {
  switch (c.op) {
    case 'matmul':
      return () => tf.matMul(x.a, x.b);
    case 'attention': {
      const scale = 1 / Math.sqrt(/** @type {number} */ (c.inputs.q.at(-1)));
      return () => tf.matMul(tf.softmax(tf.mul(tf.matMul(x.q, x.k, false, true), scale)), x.v);
    }
    case 'softmax':
      return () => tf.softmax(x.x, -1);
    case 'layerNorm':
      return () => {
        const { mean, variance } = tf.moments(x.x, -1, true);
        return tf.mul(tf.sub(x.x, mean), tf.rsqrt(tf.add(variance, c.eps)));
      };
    case 'conv2d':
      return () => tf.conv2d(x.x, x.w, 1, c.padding === 1 ? 'same' : [[0, 0], [c.padding, c.padding], [c.padding, c.padding], [0, 0]]);
    case 'gelu':
      // exact gelu, x/2 · (1 + erf(x/√2)), as PyTorch's default
      return () => tf.mul(tf.mul(x.x, 0.5), tf.add(1, tf.erf(tf.mul(x.x, Math.SQRT1_2))));
    case 'model':
      throw new Error(`${c.id}: model cases do not run in tfjs`);
  }
}
