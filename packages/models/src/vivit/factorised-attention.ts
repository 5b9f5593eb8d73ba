/**
 * ViViT Models 3 and 4 (Arnab et al. 2021, §3.3; spec §3.3): the token count of Model 1, with the
 * attention of each layer factorised over space and time. No PyTorch reference exists for these;
 * they follow rishikksh20's conventions (PreNorm wrappers, `to_qkv` without bias, erf GELU, LN eps
 * 1e-5, final `norm`, `mlp_head` = LayerNorm + Linear). Both keep tokens as a grid
 * `[B, nt, N, dim]`, add a learned `pos_embedding [1, nt, N, dim]` (randn), have no class token, and
 * classify the mean of all tokens (the paper's GAP).
 *
 * Model 3, factorised self-attention (`ViViTFactorisedSelfAttention`), per layer:
 * ```
 * y  = MSA_space(LN(z)) + z      attention among the N tokens of one time index   transformer.layers.i.0 (norm, fn)
 * y' = MSA_time(LN(y)) + y       attention among the nt tokens of one position     transformer.layers.i.1 (norm, fn)
 * z' = MLP(LN(y')) + y'                                                             transformer.layers.i.2 (norm, fn.net)
 * ```
 * (`attentionOrder: 'time_space'` runs time first, as scenic allows; the keys keep their roles.)
 *
 * Model 4, factorised dot-product attention (`ViViTFactorisedDotProduct`), per layer one attention
 * with the usual `to_qkv` / `to_out` whose first heads/2 heads attend along time (keys with the
 * same spatial index) and the other heads/2 along space (keys with the same time index); the
 * heads' outputs are concatenated in head order before `to_out` (`transformer.layers.i.0`), then
 * the PreNorm feed-forward (`transformer.layers.i.1`).
 * @module
 */
import { ArgumentError, type Tensor, cat, chunk, randn, rearrange, scaledDotProductAttention } from '@tessera/tensor';
import { nn } from '@tessera/autograd';
import { patchEmbedding } from './embedding.js';
import { Attention, type AttentionOptions, type BlockOptions, FeedForward, PreNorm, factory } from './layers.js';
import { type ViViTConfig, type ViViTOptions, checkVideo, resolveOptions } from './options.js';

/**
 * What Models 3 and 4 share: tokens on a grid `[B, nt, N, dim]`, a grid position table, a
 * transformer over the grid (registered as `transformer`), mean pooling and the head.
 */
export abstract class FactorisedViViT extends nn.Module {
  /** `[1, nt, N, dim]`, one learned position per (time index, patch). */
  declare readonly pos_embedding: Tensor;
  /** Patch or tubelet embedding (`to_patch_embedding.1` is the Linear or Conv3d). */
  declare readonly to_patch_embedding: nn.Sequential;
  /** Dropout on the embedded tokens (`embDropout`). */
  declare readonly dropout: nn.Dropout;
  /** LayerNorm then Linear to the classes. */
  declare readonly mlp_head: nn.Sequential;
  /** The options, defaults filled in (`pool` is always 'mean'). */
  readonly config: Readonly<ViViTConfig>;
  readonly #name: string;
  readonly #transformer: nn.Module & { forward(x: Tensor): Tensor };

  /**
   * @param name the model's name, for errors
   * @param o the resolved options
   * @param transformer `[B, nt, N, dim]` → `[B, nt, N, dim]`
   */
  constructor(name: string, o: ViViTConfig, transformer: nn.Module & { forward(x: Tensor): Tensor }) {
    super();
    this.#name = name;
    this.#transformer = transformer;
    this.config = o;
    const f = factory(o);
    this.registerModule('to_patch_embedding', patchEmbedding(o.inChannels, o.dim, o.patchSize, o.tubeletSize, f));
    this.registerParameter('pos_embedding', randn([1, o.nt, o.numPatches, o.dim], f));
    this.registerModule('transformer', transformer);
    this.registerModule('dropout', new nn.Dropout(o.embDropout, o.generator ? { generator: o.generator } : {}));
    this.registerModule('mlp_head', new nn.Sequential(new nn.LayerNorm(o.dim, f), new nn.Linear(o.dim, o.numClasses, f)));
  }

  /** Video `[B, T, C, H, W]` (T = numFrames, H = W = imageSize) → logits `[B, numClasses]`. */
  forward(video: Tensor): Tensor {
    checkVideo(this.#name, video, this.config, true);
    let x = this.to_patch_embedding.forward(video); // [b, nt, n, d]
    x = this.dropout.forward(x.add(this.pos_embedding));
    x = this.#transformer.forward(x);
    return this.mlp_head.forward(x.mean([1, 2]));
  }
}

function gridOptions(model: string, opts: ViViTOptions, heads: number): ViViTConfig {
  if (opts && opts.pool !== undefined && opts.pool !== 'mean') {
    throw new ArgumentError(`${model}: pool must be 'mean' (this variant has no class token), got '${String(opts.pool)}'`);
  }
  return { ...resolveOptions(model, opts, { heads }), pool: 'mean' };
}

// ---------------------------------------------------------------------------------------------
// Model 3

/** Options of `ViViTFactorisedSelfAttention`. */
export interface FactorisedSelfAttentionOptions extends ViViTOptions {
  /** `'space_time'` (the paper's order, default) or `'time_space'`. */
  attentionOrder?: 'space_time' | 'time_space';
}

/** Model 3's transformer: `layers.i.{0: space PreNorm attention, 1: time PreNorm attention, 2: PreNorm FFN}`, `norm`. */
export class FactorisedSelfAttentionTransformer extends nn.Module {
  /** One `[PreNorm(space Attention), PreNorm(time Attention), PreNorm(FeedForward)]` triple per layer. */
  declare readonly layers: nn.ModuleList<nn.ModuleList>;
  /** The final LayerNorm. */
  declare readonly norm: nn.LayerNorm;
  /** Which attention runs first in each layer. */
  readonly attentionOrder: 'space_time' | 'time_space';
  readonly #blocks: [PreNorm<Attention>, PreNorm<Attention>, PreNorm<FeedForward>][] = [];

  /**
   * @param dim token width
   * @param opts depth, heads, dimHead, mlpDim, dropout, attentionOrder
   */
  constructor(
    dim: number,
    opts: BlockOptions & { depth: number; heads: number; dimHead: number; mlpDim: number; dropout?: number; attentionOrder?: 'space_time' | 'time_space' },
  ) {
    super();
    const f = factory(opts);
    this.attentionOrder = opts.attentionOrder ?? 'space_time';
    this.registerModule('layers', new nn.ModuleList<nn.ModuleList>());
    this.registerModule('norm', new nn.LayerNorm(dim, f));
    const a: AttentionOptions = { ...f, heads: opts.heads, dimHead: opts.dimHead, dropout: opts.dropout ?? 0 };
    for (let i = 0; i < opts.depth; i++) {
      const space = new PreNorm(dim, new Attention(dim, a), f);
      const time = new PreNorm(dim, new Attention(dim, a), f);
      const ff = new PreNorm(dim, new FeedForward(dim, opts.mlpDim, opts.dropout ?? 0, f), f);
      this.layers.append(new nn.ModuleList<nn.Module>([space, time, ff]));
      this.#blocks.push([space, time, ff]);
    }
  }

  /** `[b, nt, n, d]` → `[b, nt, n, d]`. */
  forward(x: Tensor): Tensor {
    const [b, nt, n, d] = x.shape as [number, number, number, number];
    // Attention among tokens of one time index: sequences (b·nt) of n.
    const space = (z: Tensor, attn: PreNorm<Attention>): Tensor => {
      const s = z.reshape(b * nt, n, d);
      return attn.forward(s).add(s).reshape(b, nt, n, d);
    };
    // Attention among tokens of one spatial position: sequences (b·n) of nt.
    const time = (z: Tensor, attn: PreNorm<Attention>): Tensor => {
      const s = rearrange(z, 'b t n d -> (b n) t d');
      return rearrange(attn.forward(s).add(s), '(b n) t d -> b t n d', { b, n });
    };
    let h = x;
    for (const [sAttn, tAttn, ff] of this.#blocks) {
      h = this.attentionOrder === 'space_time' ? time(space(h, sAttn), tAttn) : space(time(h, tAttn), sAttn);
      h = ff.forward(h).add(h);
    }
    return this.norm.forward(h);
  }
}

/** Model 3: factorised self-attention (space, then time, inside every layer). */
export class ViViTFactorisedSelfAttention extends FactorisedViViT {
  /** The factorised self-attention layers. */
  declare readonly transformer: FactorisedSelfAttentionTransformer;

  /** @param opts sizes and hyper-parameters; `pool` must be 'mean' (or unset) */
  constructor(opts: FactorisedSelfAttentionOptions) {
    const name = 'ViViTFactorisedSelfAttention';
    const o = gridOptions(name, opts, 3);
    const order = opts.attentionOrder ?? 'space_time';
    if (order !== 'space_time' && order !== 'time_space') {
      throw new ArgumentError(`${name}: attentionOrder must be 'space_time' or 'time_space', got '${String(order)}'`);
    }
    const f = factory(o);
    super(
      name,
      o,
      new FactorisedSelfAttentionTransformer(o.dim, {
        ...f,
        depth: o.depth,
        heads: o.heads,
        dimHead: o.dimHead,
        mlpDim: o.dim * o.scaleDim,
        dropout: o.dropout,
        attentionOrder: order,
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Model 4

/**
 * Model 4's attention: `to_qkv` (no bias) and `to_out` as `Attention`; with q, k, v viewed as
 * `[b, nt, n, heads, dimHead]`, heads `0 … heads/2−1` attend over time (logits q[b,x,s,h]·k[b,y,s,h],
 * y over nt) and heads `heads/2 … heads−1` over space (y over n); scale dimHead^-0.5.
 */
export class FactorisedDotProductAttention extends nn.Module {
  /** Linear(dim → 3·heads·dimHead), no bias. */
  declare readonly to_qkv: nn.Linear;
  /** Linear(inner → dim) + Dropout. */
  declare readonly to_out: nn.Sequential | nn.Identity;
  /** Number of heads (even). */
  readonly heads: number;
  /** Channels per head. */
  readonly dimHead: number;
  /** `dimHead^-0.5`. */
  readonly scale: number;

  /**
   * @param dim token width
   * @param opts heads (even), dimHead, dropout
   */
  constructor(dim: number, opts: AttentionOptions = {}) {
    super();
    this.heads = opts.heads ?? 8;
    if (this.heads % 2 !== 0) {
      throw new ArgumentError(`FactorisedDotProductAttention: heads must be even (half attend over time, half over space), got ${this.heads}`);
    }
    this.dimHead = opts.dimHead ?? 64;
    this.scale = this.dimHead ** -0.5;
    const inner = this.heads * this.dimHead;
    const f = factory(opts);
    this.registerModule('to_qkv', new nn.Linear(dim, inner * 3, { ...f, bias: false }));
    this.registerModule(
      'to_out',
      !(this.heads === 1 && this.dimHead === dim)
        ? new nn.Sequential(new nn.Linear(inner, dim, f), new nn.Dropout(opts.dropout ?? 0, opts.generator ? { generator: opts.generator } : {}))
        : new nn.Identity(),
    );
  }

  /** `[b, nt, n, dim]` → `[b, nt, n, dim]`. */
  forward(x: Tensor): Tensor {
    const half = this.heads / 2;
    const [q, k, v] = chunk(this.to_qkv.forward(x), 3, -1).map((t) => rearrange(t, 'b t n (h d) -> b t n h d', { h: this.heads })) as [
      Tensor,
      Tensor,
      Tensor,
    ];
    const opts = { scale: this.scale };
    // Time heads: one sequence of nt tokens per (b, spatial index, head).
    const toTime = (z: Tensor): Tensor => rearrange(z.slice(3, 0, half), 'b t n h d -> b n h t d');
    const ot = rearrange(scaledDotProductAttention(toTime(q), toTime(k), toTime(v), opts), 'b n h t d -> b t n h d');
    // Space heads: one sequence of n tokens per (b, time index, head).
    const toSpace = (z: Tensor): Tensor => rearrange(z.slice(3, half), 'b t n h d -> b t h n d');
    const os = rearrange(scaledDotProductAttention(toSpace(q), toSpace(k), toSpace(v), opts), 'b t h n d -> b t n h d');
    return this.to_out.forward(rearrange(cat([ot, os], 3), 'b t n h d -> b t n (h d)'));
  }
}

/** Model 4's transformer: `layers.i.{0: PreNorm FactorisedDotProductAttention, 1: PreNorm FFN}`, `norm`. */
export class FactorisedDotProductTransformer extends nn.Module {
  /** One `[PreNorm(FactorisedDotProductAttention), PreNorm(FeedForward)]` pair per layer. */
  declare readonly layers: nn.ModuleList<nn.ModuleList>;
  /** The final LayerNorm. */
  declare readonly norm: nn.LayerNorm;
  readonly #blocks: [PreNorm<FactorisedDotProductAttention>, PreNorm<FeedForward>][] = [];

  /**
   * @param dim token width
   * @param opts depth, heads (even), dimHead, mlpDim, dropout
   */
  constructor(dim: number, opts: BlockOptions & { depth: number; heads: number; dimHead: number; mlpDim: number; dropout?: number }) {
    super();
    const f = factory(opts);
    this.registerModule('layers', new nn.ModuleList<nn.ModuleList>());
    this.registerModule('norm', new nn.LayerNorm(dim, f));
    for (let i = 0; i < opts.depth; i++) {
      const attn = new PreNorm(dim, new FactorisedDotProductAttention(dim, { ...f, heads: opts.heads, dimHead: opts.dimHead, dropout: opts.dropout ?? 0 }), f);
      const ff = new PreNorm(dim, new FeedForward(dim, opts.mlpDim, opts.dropout ?? 0, f), f);
      this.layers.append(new nn.ModuleList<nn.Module>([attn, ff]));
      this.#blocks.push([attn, ff]);
    }
  }

  /** `[b, nt, n, d]` → `[b, nt, n, d]`. */
  forward(x: Tensor): Tensor {
    let h = x;
    for (const [attn, ff] of this.#blocks) {
      h = attn.forward(h).add(h);
      h = ff.forward(h).add(h);
    }
    return this.norm.forward(h);
  }
}

/** Model 4: factorised dot-product attention (half the heads over time, half over space). */
export class ViViTFactorisedDotProduct extends FactorisedViViT {
  /** The factorised dot-product attention layers. */
  declare readonly transformer: FactorisedDotProductTransformer;

  /** @param opts sizes and hyper-parameters; heads must be even (default 4); `pool` must be 'mean' (or unset) */
  constructor(opts: ViViTOptions) {
    const name = 'ViViTFactorisedDotProduct';
    const o = gridOptions(name, opts, 4);
    if (o.heads % 2 !== 0) throw new ArgumentError(`${name}: heads must be even (half attend over time, half over space), got ${o.heads}`);
    const f = factory(o);
    super(
      name,
      o,
      new FactorisedDotProductTransformer(o.dim, { ...f, depth: o.depth, heads: o.heads, dimHead: o.dimHead, mlpDim: o.dim * o.scaleDim, dropout: o.dropout }),
    );
  }
}
