/**
 * VJP rules of the neural-network composites: `softmax`, `logSoftmax`, `layerNorm`, `groupNorm`
 * and `scaledDotProductAttention`. Without a rule a composite is differentiated through its
 * decomposition; these closed forms save the decomposition's tape (and are what a backend's fused
 * kernel needs). Statistics are recomputed from the saved input.
 * @module
 */
import {
  type Tensor,
  add,
  exp,
  full,
  matmul,
  mean,
  mul,
  reshape,
  rsqrt,
  softmax,
  square,
  sub,
  sum,
  transpose,
  tril,
  where,
} from '@tessera/tensor';
import { isFloat, sumAllBut, sumToShape, vjpFamily } from './util.js';

const vjp = vjpFamily('nn');

// y = softmax(x): ∂x = y ⊙ (g - Σ g⊙y) along dim.
vjp<{ dim: number }>('softmax', (ctx, [g]) => {
  const y = ctx.outputs[0]!;
  if (!g) return [null];
  return [mul(y, sub(g, sum(mul(g, y), ctx.attrs.dim, true)))];
});

// y = logSoftmax(x): ∂x = g - eʸ ⊙ Σ g along dim.
vjp<{ dim: number }>('logSoftmax', (ctx, [g]) => {
  const y = ctx.outputs[0]!;
  if (!g) return [null];
  return [sub(g, mul(exp(y), sum(g, ctx.attrs.dim, true)))];
});

/**
 * The input gradient of a normalisation x̂ = (x - μ)·r, r = 1/√(σ² + eps), over `dims` (σ² the
 * biased variance): ∂x = r·(∂x̂ - mean(∂x̂) - x̂·mean(∂x̂⊙x̂)).
 */
function normalizeBackward(dxhat: Tensor, xhat: Tensor, r: Tensor, dims: number[]): Tensor {
  const m1 = mean(dxhat, dims, true);
  const m2 = mean(mul(dxhat, xhat), dims, true);
  return mul(r, sub(sub(dxhat, m1), mul(xhat, m2)));
}

/** x̂ and r = 1/√(σ² + eps) over `dims` (keepdim). */
function normalize(x: Tensor, dims: number[], eps: number): { xhat: Tensor; r: Tensor } {
  const xc = sub(x, mean(x, dims, true));
  const r = rsqrt(add(mean(square(xc), dims, true), eps));
  return { xhat: mul(xc, r), r };
}

interface NormAttrs {
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

/**
 * y = x̂·w + b over the trailing normalizedShape dims: ∂x from normalizeBackward with ∂x̂ = g·w;
 * ∂w = Σ g⊙x̂ and ∂b = Σ g over the leading dims.
 */
vjp<NormAttrs & { normalizedShape: number[] }>('layerNorm', (ctx, [g]) => {
  const { normalizedShape, eps, hasWeight, hasBias } = ctx.attrs;
  const x = ctx.inputs[0]!;
  const w = hasWeight ? ctx.inputs[1]! : null;
  const out: (Tensor | null)[] = ctx.inputs.map(() => null);
  if (!g) return out;
  const k = normalizedShape.length;
  const dims = normalizedShape.map((_, i) => x.ndim - k + i);
  const lead = x.shape.slice(0, x.ndim - k).map((_, i) => i);
  const { xhat, r } = normalize(x, dims, eps);
  out[0] = normalizeBackward(w ? mul(g, w) : g, xhat, r, dims);
  let i = 1;
  if (w) out[i++] = sum(mul(g, xhat), lead);
  if (hasBias) out[i] = sum(g, lead);
  return out;
});

/**
 * groupNorm over [N, G, C/G·spatial]: the same algebra per group, with per-channel w and b:
 * ∂w = Σ g⊙x̂ and ∂b = Σ g over every dim but the channel dim.
 */
vjp<NormAttrs & { numGroups: number }>('groupNorm', (ctx, [g]) => {
  const { numGroups, eps, hasWeight, hasBias } = ctx.attrs;
  const x = ctx.inputs[0]!;
  const w = hasWeight ? ctx.inputs[1]! : null;
  const out: (Tensor | null)[] = ctx.inputs.map(() => null);
  if (!g) return out;
  const grouped = [x.shape[0]!, numGroups, -1];
  const { xhat, r } = normalize(reshape(x, grouped), [2], eps);
  const chan = [x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
  const dxhat = reshape(w ? mul(g, reshape(w, chan)) : g, grouped);
  out[0] = reshape(normalizeBackward(dxhat, xhat, r, [2]), x.shape);
  let i = 1;
  if (w) out[i++] = sumAllBut(mul(g, reshape(xhat, x.shape)), 1);
  if (hasBias) out[i] = sumAllBut(g, 1);
  return out;
});

interface SdpaAttrs {
  scale: number;
  isCausal: boolean;
  maskKind: 'none' | 'bool' | 'additive';
}

/**
 * out = P·V with P = softmax(S), S = scale·Q·Kᵀ (+ mask): ∂V = Pᵀ·g, ∂P = g·Vᵀ,
 * ∂S = P ⊙ (∂P - Σ ∂P⊙P) (softmax's rule), ∂Q = scale·∂S·K, ∂K = scale·∂Sᵀ·Q, and an additive
 * mask gets ∂S; each summed over the batch dims it was broadcast along. Masked positions have P = 0
 * and get no gradient; a row with every key masked is NaN, as the forward.
 */
vjp<SdpaAttrs>('scaledDotProductAttention', (ctx, [g]) => {
  const [q, k, v, m] = ctx.inputs as [Tensor, Tensor, Tensor, Tensor?];
  const { scale, isCausal, maskKind } = ctx.attrs;
  if (!g) return ctx.inputs.map(() => null);
  const L = q.shape[q.ndim - 2]!;
  const S = k.shape[k.ndim - 2]!;
  let s = mul(matmul(q, transpose(k, -2, -1)), scale);
  if (isCausal) s = where(tril(full([L, S], true, { backend: q.backend.name })), s, -Infinity);
  if (maskKind === 'bool') s = where(m!, s, -Infinity);
  else if (maskKind === 'additive') s = add(s, m!);
  const p = softmax(s, -1);
  const dp = matmul(g, transpose(v, -2, -1));
  const ds = mul(p, sub(dp, sum(mul(dp, p), -1, true)));
  const grads: (Tensor | null)[] = [
    sumToShape(mul(matmul(ds, k), scale), q.shape),
    sumToShape(mul(matmul(transpose(ds, -2, -1), q), scale), k.shape),
    sumToShape(matmul(transpose(p, -2, -1), g), v.shape),
  ];
  if (m) grads.push(maskKind === 'additive' && isFloat(m) ? sumToShape(ds, m.shape) : null);
  return grads;
});
