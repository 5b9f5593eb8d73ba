// @ts-check
/**
 * Plain JavaScript reference results, accumulated in float64: the oracle every implementation's
 * output is checked against once per case, before timing. Written to be obviously right, not fast.
 * @module
 */
import { sizeOf } from './cases.mjs';

/** @typedef {import('./cases.mjs').Case} Case */

/**
 * @param {Case} c
 * @param {Record<string, Float32Array>} x inputs from `makeInputs`
 * @returns {Float32Array} the output in the case's canonical layout
 */
export function reference(c, x) {
  switch (c.op) {
    case 'matmul':
      return matmul(x.a, c.inputs.a, x.b, c.inputs.b);
    case 'attention':
      return attention(x.q, x.k, x.v, c.inputs.q);
    case 'softmax':
      return softmaxRows(x.x, c.inputs.x);
    case 'layerNorm':
      return layerNormRows(x.x, c.inputs.x, c.eps ?? 1e-5);
    case 'conv2d':
      return conv2d(x.x, c.inputs.x, x.w, c.inputs.w, c.padding ?? 0);
    case 'gelu':
      return x.x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    case 'model':
      throw new Error(`${c.id}: a model case's reference is onnxruntime-node's output (src/models.mjs)`);
  }
}

/** Batched [..., M, K] @ [..., K, N] with equal batch dims. */
function matmul(/** @type {any} */ a, /** @type {number[]} */ as, /** @type {any} */ b, /** @type {number[]} */ bs) {
  const M = as[as.length - 2], K = as[as.length - 1], N = bs[bs.length - 1];
  const batch = sizeOf(as.slice(0, -2));
  const out = new Float32Array(batch * M * N);
  const row = new Float64Array(N);
  for (let p = 0; p < batch; p++) {
    const ao = p * M * K, bo = p * K * N, oo = p * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const aik = a[ao + i * K + k];
        const bk = bo + k * N;
        for (let j = 0; j < N; j++) row[j] += aik * b[bk + j];
      }
      out.set(row, oo + i * N);
    }
  }
  return out;
}

/** softmax(q·kᵀ/√E)·v per head; shapes [..., L, E]. */
function attention(/** @type {any} */ q, /** @type {any} */ k, /** @type {any} */ v, /** @type {number[]} */ shape) {
  const L = shape[shape.length - 2], E = shape[shape.length - 1];
  const heads = sizeOf(shape.slice(0, -2));
  const scale = 1 / Math.sqrt(E);
  const out = new Float32Array(heads * L * E);
  const s = new Float64Array(L);
  const acc = new Float64Array(E);
  for (let h = 0; h < heads; h++) {
    const o = h * L * E;
    for (let i = 0; i < L; i++) {
      let max = -Infinity;
      for (let j = 0; j < L; j++) {
        let d = 0;
        for (let e = 0; e < E; e++) d += q[o + i * E + e] * k[o + j * E + e];
        s[j] = d * scale;
        if (s[j] > max) max = s[j];
      }
      let sum = 0;
      for (let j = 0; j < L; j++) sum += s[j] = Math.exp(s[j] - max);
      acc.fill(0);
      for (let j = 0; j < L; j++) {
        const p = s[j] / sum;
        for (let e = 0; e < E; e++) acc[e] += p * v[o + j * E + e];
      }
      out.set(acc, o + i * E);
    }
  }
  return out;
}

function softmaxRows(/** @type {Float32Array} */ x, /** @type {number[]} */ shape) {
  const n = shape[shape.length - 1];
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, x[r + j]);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(x[r + j] - max);
    for (let j = 0; j < n; j++) out[r + j] = Math.exp(x[r + j] - max) / sum;
  }
  return out;
}

/** (x - mean) / sqrt(var + eps) over the last dim, biased variance (PyTorch's layer_norm). */
function layerNormRows(/** @type {Float32Array} */ x, /** @type {number[]} */ shape, /** @type {number} */ eps) {
  const n = shape[shape.length - 1];
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += n) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x[r + j];
    mean /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += (x[r + j] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / n + eps);
    for (let j = 0; j < n; j++) out[r + j] = (x[r + j] - mean) * inv;
  }
  return out;
}

/** NCHW input, OIHW weight, stride 1, symmetric zero padding. */
function conv2d(/** @type {any} */ x, /** @type {number[]} */ xs, /** @type {any} */ w, /** @type {number[]} */ ws, /** @type {number} */ pad) {
  const [N, C, Hh, W] = xs, [O, , KH, KW] = ws;
  const OH = Hh + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  const out = new Float32Array(N * O * OH * OW);
  const acc = new Float64Array(OH * OW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      acc.fill(0);
      for (let c = 0; c < C; c++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const wv = w[((o * C + c) * KH + kh) * KW + kw];
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh + kh - pad;
              if (ih < 0 || ih >= Hh) continue;
              const xo = ((n * C + c) * Hh + ih) * W;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow + kw - pad;
                if (iw >= 0 && iw < W) acc[oh * OW + ow] += wv * x[xo + iw];
              }
            }
          }
        }
      }
      out.set(acc, (n * O + o) * OH * OW);
    }
  }
  return out;
}

/**
 * erf(x) in float64 to about 1e-15: the Maclaurin series for |x| < 2.5, the continued fraction
 * for erfc beyond (Abramowitz & Stegun 7.1.5 and 7.1.14), 1 past 6.
 * @param {number} x
 */
export function erf(x) {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 2.5) {
    // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x, sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = e^(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …))))), evaluated bottom-up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
