// @ts-check
/**
 * The model cases' files: ONNX graphs and safetensors state dicts exported from PyTorch by
 * `tools/export_onnx.py` into bench/models/ (git-ignored: DiT-S/2's .onnx is ~130 MB). They are
 * generated on demand, when missing, if `/usr/bin/python3` with torch is there; otherwise the
 * model cases are skipped with the reason.
 *
 * The reference of a model case is onnxruntime-node's output (2 intra-op threads, default graph
 * optimisations) on the same inputs: the correctness gate compares every configuration, Tessera
 * included, with it.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, ROOT_DIR } from './versions.mjs';

export const MODELS_DIR = path.join(BENCH_DIR, 'models');
export const PYTHON = '/usr/bin/python3';
export const EXPORT_SCRIPT = path.join(ROOT_DIR, 'tools', 'export_onnx.py');

/**
 * What Tessera builds for each model file (the same hyper-parameters as tools/export_onnx.py).
 * @type {Record<string, { kind: 'dit' | 'vivit', options: Record<string, unknown>, outputName: string }>}
 */
export const MODEL_SPECS = {
  'dit-s2': {
    kind: 'dit',
    options: { inputSize: 32, patchSize: 2, inChannels: 4, hiddenSize: 384, depth: 12, numHeads: 6, numClasses: 1000, learnSigma: true },
    outputName: 'out',
  },
  'vivit': {
    kind: 'vivit',
    options: { imageSize: 64, patchSize: 8, numClasses: 10, numFrames: 8, dim: 192, depth: 4, heads: 3, inChannels: 3, dimHead: 64, scaleDim: 4, pool: 'cls' },
    outputName: 'logits',
  },
};

/** @param {string} name @param {'onnx' | 'safetensors'} ext */
export const modelFile = (name, ext) => path.join(MODELS_DIR, `${name}.${ext}`);

/** @param {string} name */
export const haveModel = (name) => existsSync(modelFile(name, 'onnx')) && existsSync(modelFile(name, 'safetensors'));

/**
 * Makes sure the model files of `names` exist, running the export script when some are missing.
 * @param {string[]} names
 * @param {(s: string) => void} log
 * @returns {string | null} null when all are there, else why they are not (the cases are skipped)
 */
export function ensureModels(names, log) {
  const missing = names.filter((n) => !haveModel(n));
  if (!missing.length) return null;
  if (!existsSync(PYTHON)) return `the model files (bench/models/) are missing and ${PYTHON} is not there to export them with tools/export_onnx.py`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  if (probe.status !== 0) return `the model files (bench/models/) are missing and ${PYTHON} has no torch to export them (tools/export_onnx.py)`;
  log(`exporting ${missing.join(', ')} to bench/models/ with tools/export_onnx.py (about a minute per model)`);
  const r = spawnSync(PYTHON, [EXPORT_SCRIPT, '--out', MODELS_DIR], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) return `tools/export_onnx.py failed (exit ${r.status ?? r.signal})`;
  const still = names.filter((n) => !haveModel(n));
  return still.length ? `tools/export_onnx.py did not write ${still.join(', ')}` : null;
}

/**
 * ONNX Runtime feeds of a model case: float32 inputs as they are, integer inputs (class labels,
 * timesteps) as int64. Only the ONNX graph's inputs (`c.onnxInputs`).
 * @param {any} ort
 * @param {import('./cases.mjs').Case} c
 * @param {Record<string, Float32Array>} inputs
 */
export function ortFeeds(ort, c, inputs) {
  /** @type {Record<string, any>} */
  const feeds = {};
  for (const name of c.onnxInputs ?? Object.keys(c.inputs)) {
    const shape = /** @type {number[]} */ (c.inputs[name]);
    const data = /** @type {Float32Array} */ (inputs[name]);
    feeds[name] = c.intInputs?.[name] ? new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), shape) : new ort.Tensor('float32', data, shape);
  }
  return feeds;
}

/**
 * The reference of a model case: onnxruntime-node's output.
 * @param {import('./cases.mjs').Case} c
 * @param {Record<string, Float32Array>} inputs
 * @returns {Promise<Float32Array>}
 */
export async function modelReference(c, inputs) {
  /** @type {any} */
  const ort = await import('onnxruntime-node');
  const model = /** @type {string} */ (c.model);
  const session = await ort.InferenceSession.create(readFileSync(modelFile(model, 'onnx')), { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1 });
  try {
    const out = await session.run(ortFeeds(ort, c, inputs));
    return Float32Array.from(out[/** @type {any} */ (MODEL_SPECS[model]).outputName].data);
  } finally {
    await session.release();
  }
}
