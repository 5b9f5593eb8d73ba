/**
 * The transformer pieces of rishikksh20/ViViT-pytorch's `module.py` (spec §3.1), with its module
 * tree and so its state-dict names: `PreNorm` (`norm`, `fn`), `FeedForward` (`net.0` Linear,
 * `net.1` GELU, `net.2` Dropout, `net.3` Linear, `net.4` Dropout), `Attention` (`to_qkv` without
 * bias, `to_out.0` Linear + `to_out.1` Dropout, or Identity) and `Transformer` (`layers.i.0`
 * attention, `layers.i.1` feed-forward, final `norm`). Conventions (spec §0): LayerNorm eps 1e-5
 * with affine parameters, exact (erf) GELU, attention scale `dim_head^-0.5`.
 * @module
 */
import { type Generator, type Tensor, chunk, rearrange, scaledDotProductAttention } from '@tessera/tensor';
import { nn } from '@tessera/autograd';

/** What every block's constructor shares: where parameters are drawn from and which backend holds them. */
export interface BlockOptions {
  /** Generator for the default initialisation and the dropout masks (default: the global one). */
  generator?: Generator;
  /** Backend for the parameters (default: the active one). */
  backend?: string;
}

/** The factory options of `nn` layers, without undefined entries. @internal */
export function factory(opts: BlockOptions): { generator?: Generator; backend?: string } {
  return { ...(opts.generator ? { generator: opts.generator } : {}), ...(opts.backend !== undefined ? { backend: opts.backend } : {}) };
}

/**
 * `nn.Linear` applied to the tokens as one `[tokens, in]` matrix: the same function and
 * parameters, but the product is 2-D, so backward forms the weight gradient as one `[out, in]`
 * product instead of one per leading index summed afterwards (which dominates a training step on
 * the reference cpu backend otherwise).
 */
export class TokenLinear extends nn.Linear {
  /** `[..., in]` → `[..., out]`. */
  override forward(x: Tensor): Tensor {
    if (x.ndim <= 2) return super.forward(x);
    return super.forward(x.reshape(-1, this.inFeatures)).reshape(...x.shape.slice(0, -1), this.outFeatures);
  }
}

/** einops' `Rearrange` layer: a parameterless `rearrange(x, pattern, axes)`. */
export class Rearrange extends nn.Module {
  /**
   * @param pattern an einops pattern, `'left -> right'`
   * @param axes sizes of axes the input's shape does not determine
   */
  constructor(
    readonly pattern: string,
    readonly axes: Readonly<Record<string, number>> = {},
  ) {
    super();
  }

  /** `rearrange(x, pattern, axes)`. */
  forward(x: Tensor): Tensor {
    return rearrange(x, this.pattern, this.axes);
  }

  /** einops' repr. */
  override toString(): string {
    const ax = Object.entries(this.axes).map(([k, v]) => `, ${k}=${v}`).join('');
    return `Rearrange('${this.pattern}'${ax})`;
  }
}

/** `fn(LayerNorm(x))`: the pre-norm wrapper (`norm`, `fn`). */
export class PreNorm<F extends nn.Layer = nn.Layer> extends nn.Module {
  /** LayerNorm(dim), eps 1e-5. */
  declare readonly norm: nn.LayerNorm;
  /** The wrapped layer. */
  declare readonly fn: F;

  /**
   * @param dim width of the normalised last dim
   * @param fn the layer applied after the norm
   * @param opts where parameters are drawn and kept
   */
  constructor(dim: number, fn: F, opts: BlockOptions = {}) {
    super();
    this.registerModule('norm', new nn.LayerNorm(dim, factory(opts)));
    this.registerModule('fn', fn);
  }

  /** `fn(norm(x))`. */
  forward(x: Tensor): Tensor {
    return this.fn.forward(this.norm.forward(x));
  }
}

/** `Linear(dim→hidden) → GELU (erf) → Dropout → Linear(hidden→dim) → Dropout` (`net`). */
export class FeedForward extends nn.Module {
  /** Linear, GELU, Dropout, Linear, Dropout (indices 0 to 4). */
  declare readonly net: nn.Sequential;

  /**
   * @param dim input and output width
   * @param hiddenDim hidden width (rishikksh20: dim·scale_dim)
   * @param dropout dropout probability after the GELU and after the second Linear
   * @param opts where parameters are drawn and kept
   */
  constructor(dim: number, hiddenDim: number, dropout = 0, opts: BlockOptions = {}) {
    super();
    const f = factory(opts);
    const d = opts.generator ? { generator: opts.generator } : {};
    this.registerModule(
      'net',
      new nn.Sequential(new TokenLinear(dim, hiddenDim, f), new nn.GELU(), new nn.Dropout(dropout, d), new TokenLinear(hiddenDim, dim, f), new nn.Dropout(dropout, d)),
    );
  }

  /** `[..., dim]` → `[..., dim]`. */
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

/** Options of `Attention`. */
export interface AttentionOptions extends BlockOptions {
  /** Number of heads (default 8). */
  heads?: number;
  /** Channels per head (default 64). */
  dimHead?: number;
  /** Dropout after the output projection (default 0). */
  dropout?: number;
}

/**
 * Multi-head self-attention as rishikksh20's `module.Attention`: `to_qkv` (Linear dim → 3·inner,
 * no bias) split into q | k | v, each head-major (head h owns channels h·dimHead … (h+1)·dimHead−1),
 * `softmax(q·kᵀ·dimHead^-0.5)·v`, heads concatenated, then `to_out` = Linear(inner → dim) +
 * Dropout, or Identity when `heads == 1 && dimHead == dim` (no `to_out.0` keys then).
 */
export class Attention extends nn.Module {
  /** Linear(dim → 3·heads·dimHead), no bias. */
  declare readonly to_qkv: nn.Linear;
  /** Linear(inner → dim) + Dropout, or Identity when heads == 1 and dimHead == dim. */
  declare readonly to_out: nn.Sequential | nn.Identity;
  /** Number of heads. */
  readonly heads: number;
  /** Channels per head. */
  readonly dimHead: number;
  /** `dimHead^-0.5`. */
  readonly scale: number;

  /**
   * @param dim token width
   * @param opts heads, dimHead, dropout
   */
  constructor(dim: number, opts: AttentionOptions = {}) {
    super();
    this.heads = opts.heads ?? 8;
    this.dimHead = opts.dimHead ?? 64;
    this.scale = this.dimHead ** -0.5;
    const inner = this.heads * this.dimHead;
    const projectOut = !(this.heads === 1 && this.dimHead === dim);
    const f = factory(opts);
    this.registerModule('to_qkv', new TokenLinear(dim, inner * 3, { ...f, bias: false }));
    this.registerModule(
      'to_out',
      projectOut
        ? new nn.Sequential(new TokenLinear(inner, dim, f), new nn.Dropout(opts.dropout ?? 0, opts.generator ? { generator: opts.generator } : {}))
        : new nn.Identity(),
    );
  }

  /** `[..., n, dim]` → `[..., n, dim]`, attention among the n tokens. */
  forward(x: Tensor): Tensor {
    const [q, k, v] = chunk(this.to_qkv.forward(x), 3, -1).map((t) => rearrange(t, '... n (h d) -> ... h n d', { h: this.heads })) as [
      Tensor,
      Tensor,
      Tensor,
    ];
    const out = scaledDotProductAttention(q, k, v, { scale: this.scale });
    return this.to_out.forward(rearrange(out, '... h n d -> ... n (h d)'));
  }
}

/** Options of `Transformer`. */
export interface TransformerOptions extends BlockOptions {
  /** Number of layers. */
  depth: number;
  /** Heads per attention. */
  heads: number;
  /** Channels per head. */
  dimHead: number;
  /** Hidden width of the feed-forward. */
  mlpDim: number;
  /** Dropout in attention and feed-forward (default 0). */
  dropout?: number;
}

/**
 * rishikksh20's `Transformer`: `depth` layers of `x = Attn(PreNorm(x)) + x; x = FF(PreNorm(x)) + x`
 * (`layers.i.0`, `layers.i.1`), then a final LayerNorm (`norm`).
 */
export class Transformer extends nn.Module {
  /** One `[PreNorm(Attention), PreNorm(FeedForward)]` pair per layer. */
  declare readonly layers: nn.ModuleList<nn.ModuleList>;
  /** The final LayerNorm. */
  declare readonly norm: nn.LayerNorm;
  readonly #blocks: [PreNorm<Attention>, PreNorm<FeedForward>][] = [];

  /**
   * @param dim token width
   * @param opts depth, heads, dimHead, mlpDim, dropout
   */
  constructor(dim: number, opts: TransformerOptions) {
    super();
    const f = factory(opts);
    this.registerModule('layers', new nn.ModuleList<nn.ModuleList>());
    this.registerModule('norm', new nn.LayerNorm(dim, f));
    for (let i = 0; i < opts.depth; i++) {
      const attn = new PreNorm(dim, new Attention(dim, { ...f, heads: opts.heads, dimHead: opts.dimHead, dropout: opts.dropout ?? 0 }), f);
      const ff = new PreNorm(dim, new FeedForward(dim, opts.mlpDim, opts.dropout ?? 0, f), f);
      this.layers.append(new nn.ModuleList([attn, ff]));
      this.#blocks.push([attn, ff]);
    }
  }

  /** `[..., n, dim]` → `[..., n, dim]`. */
  forward(x: Tensor): Tensor {
    let h = x;
    for (const [attn, ff] of this.#blocks) {
      h = attn.forward(h).add(h);
      h = ff.forward(h).add(h);
    }
    return this.norm.forward(h);
  }
}
