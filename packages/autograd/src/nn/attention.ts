/**
 * Attention layers with PyTorch's parameter names:
 *
 * - `MultiheadAttention`: `torch.nn.MultiheadAttention` (Vaswani et al. 2017, §3.2.2): packed
 *   `in_proj_weight [3E, E]` / `in_proj_bias [3E]` and `out_proj` (Linear), sequence-first by
 *   default, PyTorch's mask conventions (true = may NOT attend), head-averaged weights.
 * - `Attention`: the timm / DiT self-attention block: `qkv` Linear(dim, 3·dim) and `proj`
 *   Linear(dim, dim) over `[B, N, C]`, computed with `scaledDotProductAttention`.
 * @module
 */
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  add,
  chunk,
  fmtShape,
  linear,
  matmul,
  mean,
  mul,
  narrow,
  reshape,
  scaledDotProductAttention,
  softmax,
  squeeze,
  tidy,
  transpose,
  unsqueeze,
  where,
} from '@tessera/tensor';
import * as init from '../init.js';
import { Identity, Linear } from './linear.js';
import { Dropout, dropout } from './dropout.js';
import { LayerNorm } from './norm.js';
import { Module } from './module.js';
import { type FactoryOptions, checkPositiveInt, emptyParam } from './param.js';

/** Options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Inputs and outputs are `[N, L, E]` instead of PyTorch's default `[L, N, E]` (default false). */
  batchFirst?: boolean;
}

/** Options of `MultiheadAttention.forward` (PyTorch's keyword arguments, camelCased). */
export interface MultiheadAttentionForwardOptions {
  /**
   * `[N, S]` (or `[S]` unbatched): bool, true marks a key to ignore; or float, added to the
   * scores.
   */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /**
   * `[L, S]` or `[N·numHeads, L, S]`: bool, true marks a pair that may NOT attend; or float, added
   * to the scores.
   */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true); else `[N, numHeads, L, S]`. */
  averageAttnWeights?: boolean;
}

/** Turns a PyTorch-convention mask (bool: true = masked out; float: additive) into an additive one. */
function additive(mask: Tensor, name: string, layer: string): Tensor {
  if (mask.dtype === 'bool') return where(mask, -Infinity, 0);
  if (mask.dtype !== 'float32') throw new DTypeError(`${layer}: ${name} must be bool or float32, got ${mask.dtype}`);
  return mask;
}

/**
 * Multi-head attention, `torch.nn.MultiheadAttention` with kdim = vdim = embedDim:
 * `forward(query, key, value)` with `[L, N, E]`, `[S, N, E]`, `[S, N, E]` (or `[N, L, E]`… with
 * batchFirst, or unbatched `[L, E]`…) returns `[output, weights]`, weights `[N, L, S]` averaged over
 * heads (null unless needWeights). Initialisation as PyTorch's: xavier_uniform on in_proj_weight,
 * zeros on both biases, Linear's default on out_proj.weight.
 */
export class MultiheadAttention extends Module {
  /** `[3·E, E]`: the query, key and value projections stacked. */
  declare readonly in_proj_weight: Tensor;
  /** `[3·E]`, or null with `bias: false`. */
  declare readonly in_proj_bias: Tensor | null;
  /** The output projection, Linear(E, E). */
  declare readonly out_proj: Linear;
  /** Model width E. */
  readonly embedDim: number;
  /** Number of heads; divides E. */
  readonly numHeads: number;
  /** E / numHeads. */
  readonly headDim: number;
  /** Whether inputs are `[N, L, E]`. */
  readonly batchFirst: boolean;
  /** Dropout probability on the attention weights. */
  readonly dropout: number;
  private readonly generator: MultiheadAttentionOptions['generator'];

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    this.embedDim = checkPositiveInt('MultiheadAttention', 'embedDim', embedDim);
    this.numHeads = checkPositiveInt('MultiheadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) throw new ArgumentError(`MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new ArgumentError(`MultiheadAttention: dropout has to be between 0 and 1, but got ${this.dropout}`);
    this.generator = opts.generator;
    const bias = opts.bias ?? true;
    const g = { generator: opts.generator };
    // PyTorch's order: in_proj_weight, in_proj_bias, out_proj (its _reset_parameters runs last).
    this.registerParameter('in_proj_weight', init.xavierUniform(emptyParam([3 * embedDim, embedDim], opts), 1, g));
    this.registerParameter('in_proj_bias', bias ? emptyParam([3 * embedDim], opts) : null);
    const outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { ...opts, bias }));
    if (outProj.bias) init.zeros(outProj.bias);
  }

  /** Returns `[output, weights | null]`; see the class comment for shapes. */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    return tidy(() => this.attend(query, key, value, opts));
  }

  private attend(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions): [Tensor, Tensor | null] {
    const layer = 'MultiheadAttention';
    const E = this.embedDim;
    const H = this.numHeads;
    const D = this.headDim;
    const batched = query.ndim === 3;
    if (!batched && query.ndim !== 2) throw new ShapeError(`${layer}: query must be [L, N, E], [N, L, E] (batchFirst) or [L, E], got ${fmtShape(query.shape)}`);
    for (const [t, n] of [[key, 'key'], [value, 'value']] as const) {
      if (t.ndim !== query.ndim) throw new ShapeError(`${layer}: ${n} ${fmtShape(t.shape)} must have the rank of query ${fmtShape(query.shape)}`);
    }
    for (const [t, n] of [[query, 'query'], [key, 'key'], [value, 'value']] as const) {
      if (t.shape[t.ndim - 1] !== E) throw new ShapeError(`${layer}: ${n} ${fmtShape(t.shape)} must have embedDim ${E} in its last dim`);
    }
    // To batch-first [N, L, E].
    const toNLE = (t: Tensor): Tensor => (!batched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, 0, 1));
    const q0 = toNLE(query);
    const k0 = key === query ? q0 : toNLE(key);
    const v0 = value === key ? k0 : toNLE(value);
    const [N, L] = q0.shape as [number, number];
    const S = k0.shape[1]!;
    if (k0.shape[0] !== N || v0.shape[0] !== N) {
      throw new ShapeError(`${layer}: query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} differ in batch size`);
    }
    if (v0.shape[1] !== S) throw new ShapeError(`${layer}: key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} differ in sequence length`);

    const mask = this.mergeMasks(opts, batched, N, L, S);

    // Input projections: one matmul when query, key and value are the same tensor.
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    const w = this.in_proj_weight;
    const b = this.in_proj_bias;
    if (query === key && key === value) {
      [q, k, v] = chunk(linear(q0, w, b), 3, -1) as [Tensor, Tensor, Tensor];
    } else {
      const part = (t: Tensor, i: number): Tensor => linear(t, narrow(w, 0, i * E, E), b ? narrow(b, 0, i * E, E) : null);
      [q, k, v] = [part(q0, 0), part(k0, 1), part(v0, 2)];
    }
    // [N, T, E] → [N, H, T, D]
    const heads = (t: Tensor, T: number): Tensor => transpose(reshape(t, [N, T, H, D]), 1, 2);
    const qh = heads(q, L);
    const kh = heads(k, S);
    const vh = heads(v, S);

    let out: Tensor;
    let weights: Tensor | null = null;
    const needWeights = opts.needWeights ?? true;
    if (needWeights || (this.training && this.dropout > 0)) {
      // softmax(q·kᵀ/√D + mask), PyTorch returns these (after dropout) averaged over heads.
      let scores = mul(matmul(qh, transpose(kh, -2, -1)), 1 / Math.sqrt(D));
      if (mask) scores = add(scores, mask);
      let attn = softmax(scores, -1);
      attn = dropout(attn, this.dropout, this.training, this.generator ? { generator: this.generator } : {});
      out = matmul(attn, vh);
      if (needWeights) weights = (opts.averageAttnWeights ?? true) ? mean(attn, 1) : attn;
    } else {
      out = scaledDotProductAttention(qh, kh, vh, { attnMask: mask });
    }
    // [N, H, L, D] → [N, L, E] → out_proj
    out = this.out_proj.forward(reshape(transpose(out, 1, 2), [N, L, E]));
    if (!batched) {
      out = squeeze(out, 0);
      if (weights) weights = squeeze(weights, 0);
    } else if (!this.batchFirst) {
      out = transpose(out, 0, 1);
    }
    return [out, weights];
  }

  /** The additive mask broadcasting to `[N, H, L, S]`, or null. */
  private mergeMasks(opts: MultiheadAttentionForwardOptions, batched: boolean, N: number, L: number, S: number): Tensor | null {
    const layer = 'MultiheadAttention';
    let mask: Tensor | null = null;
    const am = opts.attnMask ?? null;
    if (am) {
      let m = additive(am, 'attnMask', layer);
      if (am.ndim === 2) {
        if (am.shape[0] !== L || am.shape[1] !== S) throw new ShapeError(`${layer}: the 2-D attnMask is ${fmtShape(am.shape)}, but should be [${L},${S}]`);
      } else if (am.ndim === 3) {
        const lead = N * this.numHeads;
        if (am.shape[0] !== lead || am.shape[1] !== L || am.shape[2] !== S) {
          throw new ShapeError(`${layer}: the 3-D attnMask is ${fmtShape(am.shape)}, but should be [${lead},${L},${S}] (batch·numHeads, L, S)`);
        }
        m = reshape(m, [N, this.numHeads, L, S]);
      } else {
        throw new ShapeError(`${layer}: attnMask must be 2-D or 3-D, got ${fmtShape(am.shape)}`);
      }
      mask = m;
    }
    const kpm = opts.keyPaddingMask ?? null;
    if (kpm) {
      const expected = batched ? [N, S] : [S];
      if (kpm.ndim !== expected.length || kpm.shape.some((d, i) => d !== expected[i])) {
        throw new ShapeError(`${layer}: keyPaddingMask is ${fmtShape(kpm.shape)}, but should be ${fmtShape(expected)}`);
      }
      const m = reshape(additive(kpm, 'keyPaddingMask', layer), [N, 1, 1, S]);
      mask = mask ? add(mask, m) : m;
    }
    return mask;
  }

  /** PyTorch's repr of the layer (its children aside). */
  override toString(): string {
    return `MultiheadAttention(embed_dim=${this.embedDim}, num_heads=${this.numHeads}, batch_first=${this.batchFirst ? 'True' : 'False'})`;
  }
}

/** Options of `Attention`. */
export interface AttentionOptions extends FactoryOptions {
  /** Number of heads; divides dim (default 8, as timm). */
  numHeads?: number;
  /** Bias on the qkv projection (default false, as timm; DiT uses true). */
  qkvBias?: boolean;
  /** LayerNorm per head on q and k (`q_norm`, `k_norm`; default false, as timm). */
  qkNorm?: boolean;
  /** Dropout after the output projection (default 0). */
  projDrop?: number;
}

/**
 * Self-attention in the timm `Attention` layout used by ViT and DiT: `qkv` Linear(dim, 3·dim),
 * optional per-head `q_norm` / `k_norm`, `proj` Linear(dim, dim). `forward(x [B, N, C])` →
 * `[B, N, C]`: qkv(x) → `[3, B, H, N, C/H]` → softmax(q·kᵀ/√(C/H))·v → merge heads → proj.
 */
export class Attention extends Module {
  /** Linear(dim, 3·dim): q, k and v stacked in that order. */
  declare readonly qkv: Linear;
  /** LayerNorm(headDim) with qkNorm, else Identity (no parameters). */
  declare readonly q_norm: LayerNorm | Identity;
  /** LayerNorm(headDim) with qkNorm, else Identity. */
  declare readonly k_norm: LayerNorm | Identity;
  /** Linear(dim, dim). */
  declare readonly proj: Linear;
  /** Dropout after proj. */
  declare readonly proj_drop: Dropout;
  /** Model width C. */
  readonly dim: number;
  /** Number of heads H. */
  readonly numHeads: number;
  /** C / H. */
  readonly headDim: number;

  constructor(dim: number, opts: AttentionOptions = {}) {
    super();
    this.dim = checkPositiveInt('Attention', 'dim', dim);
    this.numHeads = checkPositiveInt('Attention', 'numHeads', opts.numHeads ?? 8);
    if (dim % this.numHeads !== 0) throw new ArgumentError(`Attention: dim ${dim} must be divisible by numHeads ${this.numHeads}`);
    this.headDim = dim / this.numHeads;
    const f: FactoryOptions = { generator: opts.generator, backend: opts.backend };
    this.registerModule('qkv', new Linear(dim, 3 * dim, { ...f, bias: opts.qkvBias ?? false }));
    this.registerModule('q_norm', opts.qkNorm ? new LayerNorm(this.headDim, f) : new Identity());
    this.registerModule('k_norm', opts.qkNorm ? new LayerNorm(this.headDim, f) : new Identity());
    this.registerModule('proj', new Linear(dim, dim, f));
    this.registerModule('proj_drop', new Dropout(opts.projDrop ?? 0, f.generator ? { generator: f.generator } : {}));
  }

  /** `[B, N, C]` → `[B, N, C]`; `attnMask` as in `scaledDotProductAttention` (bool: true = attend). */
  forward(x: Tensor, opts: { attnMask?: Tensor | null } = {}): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.dim) {
      throw new ShapeError(`Attention(dim=${this.dim}, num_heads=${this.numHeads}): input must be [B, N, ${this.dim}], got ${fmtShape(x.shape)}`);
    }
    const [B, N, C] = x.shape as [number, number, number];
    return tidy(() => {
      // [B, N, 3C] → [B, N, 3, H, D] → [3, B, H, N, D]
      const qkv = this.qkv.forward(x).reshape([B, N, 3, this.numHeads, this.headDim]).permute([2, 0, 3, 1, 4]);
      const q = this.q_norm.forward(qkv.select(0, 0));
      const k = this.k_norm.forward(qkv.select(0, 1));
      const v = qkv.select(0, 2);
      const o = scaledDotProductAttention(q, k, v, { attnMask: opts.attnMask ?? null });
      // [B, H, N, D] → [B, N, H, D] → [B, N, C]
      return this.proj_drop.forward(this.proj.forward(o.transpose(1, 2).reshape([B, N, C])));
    });
  }
}
