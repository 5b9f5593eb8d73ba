/**
 * Neural-network composites: softmax, logSoftmax, layerNorm, groupNorm and scaled dot-product
 * attention. Each is declared with a decomposition into catalogue ops (which is what the cpu
 * backend runs and what autograd differentiates); a backend may register a fused kernel under the
 * same name, and the conformance kit checks it against the decomposition.
 * @module
 */
import { runOp } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, normalizeDim, shapesEqual } from '../shape.js';
import { type Tensor } from '../tensor.js';
import * as ew from './elementwise.js';
import { matmul } from './matmul.js';
import { max, mean, sum } from './reduce.js';
import { full } from './creation.js';
import { checkDType, checkInt, checkTensor } from './util.js';
import { clone, reshape, transpose } from './views.js';
import { tril } from './scan.js';

/** Attributes of `softmax` / `logSoftmax`. */
export interface SoftmaxAttrs {
  /** Normalised dim. */
  dim: number;
}

function softmaxInfer(name: string) {
  return ([x]: readonly Tensor[], a: SoftmaxAttrs) => {
    checkTensor(name, 'input', x);
    checkDType(name, 'input', x!, ['float32']);
    return [{ shape: x!.shape, dtype: x!.dtype }];
  };
}

defineOp<SoftmaxAttrs>({
  name: 'softmax',
  kind: 'composite',
  differentiable: true,
  infer: softmaxInfer('softmax'),
  decompose: ([x], { dim }) => {
    if (x!.size === 0) return [clone(x!)];
    const e = ew.exp(ew.sub(x!, max(x!, dim, true)));
    return [ew.div(e, sum(e, dim, true))];
  },
});

defineOp<SoftmaxAttrs>({
  name: 'logSoftmax',
  kind: 'composite',
  differentiable: true,
  infer: softmaxInfer('logSoftmax'),
  decompose: ([x], { dim }) => {
    if (x!.size === 0) return [clone(x!)];
    const z = ew.sub(x!, max(x!, dim, true));
    return [ew.sub(z, ew.log(sum(ew.exp(z), dim, true)))];
  },
});

function one(name: string, inputs: Tensor[], attrs: unknown): Tensor {
  return runOp(name, inputs, attrs)[0]!;
}

/** Softmax along `dim`: e^(x - max) / Σ e^(x - max). */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor('softmax', 'input', x);
  return one('softmax', [x], { dim: normalizeDim('softmax', dim, x.ndim) });
}

/** log(softmax(x)) along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor('logSoftmax', 'input', x);
  return one('logSoftmax', [x], { dim: normalizeDim('logSoftmax', dim, x.ndim) });
}

/** Attributes of `layerNorm`. */
export interface LayerNormAttrs {
  /** The trailing shape normalised over. */
  normalizedShape: number[];
  /** Added to the variance. */
  eps: number;
  /** Whether inputs[1] is a weight. */
  hasWeight: boolean;
  /** Whether the last input is a bias. */
  hasBias: boolean;
}

defineOp<LayerNormAttrs>({
  name: 'layerNorm',
  kind: 'composite',
  differentiable: true,
  infer: (inputs, a) => {
    const x = inputs[0]!;
    checkTensor('layerNorm', 'input', x);
    checkDType('layerNorm', 'input', x, ['float32']);
    const k = a.normalizedShape.length;
    if (k === 0 || k > x.ndim || !shapesEqual(x.shape.slice(x.ndim - k), a.normalizedShape)) {
      throw new ShapeError(`layerNorm: normalizedShape ${fmtShape(a.normalizedShape)} does not match the trailing dims of input ${fmtShape(x.shape)}`);
    }
    const params: [boolean, string][] = [[a.hasWeight, 'weight'], [a.hasBias, 'bias']];
    let i = 1;
    for (const [has, name] of params) {
      if (!has) continue;
      const p = inputs[i++]!;
      checkTensor('layerNorm', name, p);
      if (!shapesEqual(p.shape, a.normalizedShape)) {
        throw new ShapeError(`layerNorm: ${name} ${fmtShape(p.shape)} must have shape normalizedShape ${fmtShape(a.normalizedShape)}`);
      }
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  decompose: (inputs, a) => {
    const x = inputs[0]!;
    const dims = a.normalizedShape.map((_, i) => x.ndim - a.normalizedShape.length + i);
    const mu = mean(x, dims, true);
    const xc = ew.sub(x, mu);
    const v = mean(ew.square(xc), dims, true); // biased variance, as PyTorch
    let y = ew.mul(xc, ew.rsqrt(ew.add(v, a.eps)));
    let i = 1;
    if (a.hasWeight) y = ew.mul(y, inputs[i++]!);
    if (a.hasBias) y = ew.add(y, inputs[i]!);
    return [y];
  },
});

/** Layer normalisation over the trailing `normalizedShape` dims (biased variance, like PyTorch). */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (!(eps >= 0)) throw new ArgumentError(`layerNorm: eps must be >= 0, got ${eps}`);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return one('layerNorm', inputs, { normalizedShape: ns, eps, hasWeight: !!weight, hasBias: !!bias });
}

/** Attributes of `groupNorm`. */
export interface GroupNormAttrs {
  /** Number of channel groups. */
  numGroups: number;
  /** Added to the variance. */
  eps: number;
  /** Whether inputs[1] is a per-channel weight. */
  hasWeight: boolean;
  /** Whether the last input is a per-channel bias. */
  hasBias: boolean;
}

defineOp<GroupNormAttrs>({
  name: 'groupNorm',
  kind: 'composite',
  differentiable: true,
  infer: (inputs, a) => {
    const x = inputs[0]!;
    checkTensor('groupNorm', 'input', x);
    checkDType('groupNorm', 'input', x, ['float32']);
    if (x.ndim < 2) throw new ShapeError(`groupNorm: input must be [N, C, ...], got ${fmtShape(x.shape)}`);
    const c = x.shape[1]!;
    checkInt('groupNorm', 'numGroups', a.numGroups, 1);
    if (c % a.numGroups !== 0) {
      throw new ShapeError(`groupNorm: ${c} channels of input ${fmtShape(x.shape)} are not divisible by numGroups ${a.numGroups}`);
    }
    let i = 1;
    for (const [has, name] of [[a.hasWeight, 'weight'], [a.hasBias, 'bias']] as const) {
      if (!has) continue;
      const p = inputs[i++]!;
      checkTensor('groupNorm', name, p);
      if (p.ndim !== 1 || p.shape[0] !== c) throw new ShapeError(`groupNorm: ${name} ${fmtShape(p.shape)} must be [${c}]`);
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  decompose: (inputs, a) => {
    const x = inputs[0]!;
    const [n, c] = x.shape as [number, number];
    const g = reshape(x, [n, a.numGroups, -1]);
    const mu = mean(g, 2, true);
    const gc = ew.sub(g, mu);
    const v = mean(ew.square(gc), 2, true);
    let y = reshape(ew.mul(gc, ew.rsqrt(ew.add(v, a.eps))), x.shape);
    const chan = [c, ...x.shape.slice(2).map(() => 1)];
    let i = 1;
    if (a.hasWeight) y = ew.mul(y, reshape(inputs[i++]!, chan));
    if (a.hasBias) y = ew.add(y, reshape(inputs[i]!, chan));
    return [y];
  },
});

/** Group normalisation of `[N, C, ...]` over channel groups (PyTorch's `group_norm`). */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (!(eps >= 0)) throw new ArgumentError(`groupNorm: eps must be >= 0, got ${eps}`);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return one('groupNorm', inputs, { numGroups, eps, hasWeight: !!weight, hasBias: !!bias });
}

/** Attributes of `scaledDotProductAttention`. */
export interface SdpaAttrs {
  /** Multiplies q·kᵀ (default 1/√E). */
  scale: number;
  /** Apply a lower-triangular (causal) mask. */
  isCausal: boolean;
  /** `'none'`, `'bool'` (true = attend) or `'additive'` (added to the scores); the mask is inputs[3]. */
  maskKind: 'none' | 'bool' | 'additive';
}

defineOp<SdpaAttrs>({
  name: 'scaledDotProductAttention',
  kind: 'composite',
  differentiable: true,
  infer: (inputs, a) => {
    const [q, k, v, m] = inputs;
    checkTensor('scaledDotProductAttention', 'query', q);
    checkTensor('scaledDotProductAttention', 'key', k);
    checkTensor('scaledDotProductAttention', 'value', v);
    for (const [t, n] of [[q, 'query'], [k, 'key'], [v, 'value']] as const) {
      checkDType('scaledDotProductAttention', n, t, ['float32']);
      if (t.ndim < 2) throw new ShapeError(`scaledDotProductAttention: ${n} must be [..., L, E], got ${fmtShape(t.shape)}`);
    }
    const e = q.shape[q.ndim - 1]!;
    if (k.shape[k.ndim - 1] !== e) {
      throw new ShapeError(`scaledDotProductAttention: query ${fmtShape(q.shape)} and key ${fmtShape(k.shape)} differ in the last dim`);
    }
    if (k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) {
      throw new ShapeError(`scaledDotProductAttention: key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)} differ in sequence length`);
    }
    const batch = broadcastShapes('scaledDotProductAttention', q.shape.slice(0, -2), k.shape.slice(0, -2), v.shape.slice(0, -2));
    const L = q.shape[q.ndim - 2]!;
    const S = k.shape[k.ndim - 2]!;
    if (a.maskKind !== 'none') {
      checkTensor('scaledDotProductAttention', 'attnMask', m);
      if (a.maskKind === 'bool' && m.dtype !== 'bool') throw new DTypeError('scaledDotProductAttention: a boolean attnMask must have dtype bool');
      if (a.maskKind === 'additive' && m.dtype !== 'float32') throw new DTypeError(`scaledDotProductAttention: an additive attnMask must be float32, got ${m.dtype}`);
      broadcastShapes('scaledDotProductAttention (attnMask)', m.shape, [...batch, L, S]);
    }
    return [{ shape: [...batch, L, v.shape[v.ndim - 1]!], dtype: 'float32' }];
  },
  decompose: (inputs, a) => {
    const [q, k, v, m] = inputs as [Tensor, Tensor, Tensor, Tensor?];
    const L = q.shape[q.ndim - 2]!;
    const S = k.shape[k.ndim - 2]!;
    let scores = ew.mul(matmul(q, transpose(k, -2, -1)), a.scale);
    if (a.isCausal) scores = ew.where(tril(full([L, S], true, { backend: q.backend.name }), 0), scores, -Infinity);
    if (a.maskKind === 'bool') scores = ew.where(m!, scores, -Infinity);
    else if (a.maskKind === 'additive') scores = ew.add(scores, m!);
    return [matmul(softmax(scores, -1), v)];
  },
});

/** Options of `scaledDotProductAttention`. */
export interface SdpaOptions {
  /** Bool mask (true = may attend) or float mask added to the scores; broadcasts to `[..., L, S]`. */
  attnMask?: Tensor | null;
  /** Causal (lower-triangular) masking. */
  isCausal?: boolean;
  /** Score scale (default 1/√E). */
  scale?: number;
}

/**
 * softmax(q·kᵀ·scale + mask)·v, PyTorch 2's `scaled_dot_product_attention` (no dropout). Shapes
 * `q [..., L, E]`, `k [..., S, E]`, `v [..., S, Ev]` → `[..., L, Ev]`. A row with every key masked
 * gives NaN, as in PyTorch.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: SdpaOptions = {}): Tensor {
  checkTensor('scaledDotProductAttention', 'query', q);
  const e = q.shape[q.ndim - 1] ?? 1;
  const mask = opts.attnMask ?? null;
  const attrs: SdpaAttrs = {
    scale: opts.scale ?? 1 / Math.sqrt(e),
    isCausal: opts.isCausal ?? false,
    maskKind: mask ? (mask.dtype === 'bool' ? 'bool' : 'additive') : 'none',
  };
  return one('scaledDotProductAttention', mask ? [q, k, v, mask] : [q, k, v], attrs);
}
