// @ts-check
/**
 * The benchmark cases: one op, its float32 inputs (canonical PyTorch layouts: NCHW images, OIHW
 * filters, [batch, heads, seq, dim] attention), its output shape and its arithmetic. Inputs are
 * made from a fixed seed, so every process builds the same arrays.
 * @module
 */

/**
 * @typedef {'matmul' | 'attention' | 'softmax' | 'layerNorm' | 'conv2d' | 'gelu' | 'model'} OpName
 * @typedef {{
 *   id: string,                          // stable id, matched by --filter
 *   op: OpName,
 *   label: string,                       // for tables and charts
 *   inputs: Record<string, number[]>,    // name -> shape, in argument order
 *   output: number[],
 *   flops?: number,                      // multiply-adds count twice; GFLOP/s is reported when set
 *   eps?: number,                        // layerNorm
 *   padding?: number,                    // conv2d (stride 1, dilation 1)
 *   tesseraCpu?: boolean,                // small enough for Tessera's reference cpu backend
 *   model?: string,                      // op 'model': the files bench/models/<model>.{onnx,safetensors}
 *   train?: boolean,                     // op 'model': a training step (Tessera only)
 *   intInputs?: Record<string, number>,  // inputs that are integers in [0, n) (stored exactly in float32)
 *   onnxInputs?: string[],               // the inputs the ONNX graph takes (default: all)
 *   refCase?: string,                    // take this case's inputs and reference (same model, same data)
 *   samplesPerCall?: number,             // the batch: samples/s is reported
 * }} Case
 */

const H = 8 * 6; // attention heads in all: batch 8 x 6 heads

/** @type {Case[]} */
export const CASES = [
  ...[256, 512, 1024].map((n) => ({
    id: `matmul-${n}`,
    op: /** @type {const} */ ('matmul'),
    label: `matmul ${n}`,
    inputs: { a: [n, n], b: [n, n] },
    output: [n, n],
    flops: 2 * n ** 3,
    tesseraCpu: n === 256,
  })),
  {
    id: 'bmm-8x6x256x64',
    op: 'matmul',
    label: 'batched matmul 8x6: 256x64 @ 64x256',
    inputs: { a: [8, 6, 256, 64], b: [8, 6, 64, 256] },
    output: [8, 6, 256, 256],
    flops: 2 * H * 256 * 64 * 256,
  },
  {
    id: 'attention-8x6x256x64',
    op: 'attention',
    label: 'attention B8 H6 L256 E64',
    inputs: { q: [8, 6, 256, 64], k: [8, 6, 256, 64], v: [8, 6, 256, 64] },
    output: [8, 6, 256, 64],
    flops: 4 * H * 256 * 256 * 64, // q·kᵀ and p·v; softmax not counted
  },
  { id: 'softmax-1024x1024', op: 'softmax', label: 'softmax 1024x1024', inputs: { x: [1024, 1024] }, output: [1024, 1024] },
  {
    id: 'layernorm-4096x384',
    op: 'layerNorm',
    label: 'layerNorm 4096x384',
    inputs: { x: [4096, 384] },
    output: [4096, 384],
    eps: 1e-5,
  },
  {
    id: 'conv2d-64x56x56-k3',
    op: 'conv2d',
    label: 'conv2d 1x64x56x56, 64 3x3',
    inputs: { x: [1, 64, 56, 56], w: [64, 64, 3, 3] },
    output: [1, 64, 56, 56],
    padding: 1,
    flops: 2 * 64 * 64 * 9 * 56 * 56,
  },
  { id: 'gelu-1M', op: 'gelu', label: 'gelu 1M', inputs: { x: [1 << 20] }, output: [1 << 20], tesseraCpu: true },
  // Whole models, exported from PyTorch (tools/export_onnx.py; see src/models.mjs): the same
  // weights for Tessera (safetensors, strict load) and ONNX Runtime (the .onnx).
  {
    id: 'dit-s2-forward',
    op: 'model',
    model: 'dit-s2',
    label: 'DiT-S/2 forward, B8 32x32x4',
    inputs: { x: [8, 4, 32, 32], t: [8], y: [8] },
    intInputs: { t: 1000, y: 1000 },
    output: [8, 8, 32, 32],
    samplesPerCall: 8,
  },
  {
    id: 'vivit-forward',
    op: 'model',
    model: 'vivit',
    label: 'ViViT-FE forward, B4 8x3x64x64',
    inputs: { x: [4, 8, 3, 64, 64] },
    output: [4, 10],
    samplesPerCall: 4,
  },
  {
    id: 'vivit-train-step',
    op: 'model',
    model: 'vivit',
    train: true,
    label: 'ViViT-FE train step (fwd+CE+bwd+AdamW), B4',
    inputs: { x: [4, 8, 3, 64, 64], labels: [4] },
    intInputs: { labels: 10 },
    onnxInputs: ['x'],
    refCase: 'vivit-forward', // the check: the first step's logits against vivit-forward's reference
    output: [4, 10],
    samplesPerCall: 4,
  },
];

/** @param {readonly number[]} shape */
export const sizeOf = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * Cases whose id matches any of the comma-separated patterns (regular expressions, case-insensitive).
 * @param {string | undefined} filter
 */
export function selectCases(filter) {
  if (!filter) return CASES;
  const res = filter.split(',').map((p) => new RegExp(p.trim(), 'i'));
  return CASES.filter((c) => res.some((re) => re.test(c.id) || re.test(c.label)));
}

/**
 * Deterministic standard-normal inputs of a case (mulberry32 + Box-Muller); the seed mixes the
 * case id and the input name so inputs differ between arguments.
 * @param {Case} c
 * @returns {Record<string, Float32Array>}
 */
export function makeInputs(c) {
  /** @type {Record<string, Float32Array>} */
  const out = {};
  for (const [name, shape] of Object.entries(c.inputs)) {
    let seed = 0x9e3779b9;
    // A case with refCase shares that case's inputs (same names, same arrays).
    const key = c.refCase && name in (CASES.find((x) => x.id === c.refCase)?.inputs ?? {}) ? c.refCase : c.id;
    for (const ch of `${key}/${name}`) seed = Math.imul(seed ^ ch.charCodeAt(0), 0x85ebca6b) >>> 0;
    const rand = mulberry32(seed);
    const data = new Float32Array(sizeOf(shape));
    const n = c.intInputs?.[name];
    if (n) {
      for (let i = 0; i < data.length; i++) data[i] = Math.min(n - 1, Math.floor(rand() * n));
      out[name] = data;
      continue;
    }
    for (let i = 0; i < data.length; i += 2) {
      // Box-Muller: two normals from two uniforms in (0, 1].
      const u = 1 - rand();
      const v = rand();
      const r = Math.sqrt(-2 * Math.log(u));
      data[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < data.length) data[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    out[name] = data;
  }
  return out;
}

/** @param {number} a */
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
