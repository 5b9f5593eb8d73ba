/**
 * ViViT's factorised encoder (Arnab et al. 2021, §3.3 Model 2) exactly as
 * rishikksh20/ViViT-pytorch's `ViViT` (spec §3.1): the same module tree, so a PyTorch
 * `state_dict` loads strictly and gives the same logits.
 *
 * ```
 * pos_embedding                 [1, nt, N+1, dim]   randn
 * space_token, temporal_token   [1, 1, dim]         randn
 * to_patch_embedding.1.*        Linear [dim, p·p·C] (or Conv3d [dim, C, t, p, p] with tubeletSize)
 * space_transformer.*           Transformer (layers.i.0 PreNorm attention, layers.i.1 PreNorm FFN, norm)
 * temporal_transformer.*        the same structure
 * mlp_head.0, mlp_head.1        LayerNorm, Linear [numClasses, dim]
 * ```
 * @module
 */
import { type Tensor, cat, randn } from '@tessera/tensor';
import { nn } from '@tessera/autograd';
import { patchEmbedding } from './embedding.js';
import { Transformer, factory } from './layers.js';
import { type ViViTConfig, type ViViTOptions, checkVideo, resolveOptions } from './options.js';

/**
 * The factorised encoder: a spatial transformer over the tokens of each frame (with a per-frame
 * class token), then a temporal transformer over the frames' class-token outputs.
 *
 * ```ts
 * const model = new ViViT({ imageSize: 224, patchSize: 16, numClasses: 100, numFrames: 16 }); // 4,327,972 parameters
 * const logits = model.forward(video); // video [B, 16, 3, 224, 224] → [B, 100]
 * ```
 */
export class ViViT extends nn.Module {
  /** `[1, nt, N+1, dim]`: one learned position per (frame, slot), slot 0 the space token's. */
  declare readonly pos_embedding: Tensor;
  /** `[1, 1, dim]`: the class token prepended to every frame. */
  declare readonly space_token: Tensor;
  /** `[1, 1, dim]`: the class token prepended to the frames' outputs. */
  declare readonly temporal_token: Tensor;
  /** Patch or tubelet embedding (`to_patch_embedding.1` is the Linear or Conv3d). */
  declare readonly to_patch_embedding: nn.Sequential;
  /** Attention among the tokens of one frame. */
  declare readonly space_transformer: Transformer;
  /** Attention among the frames' class-token outputs. */
  declare readonly temporal_transformer: Transformer;
  /** Dropout on the embedded tokens (`embDropout`). */
  declare readonly dropout: nn.Dropout;
  /** LayerNorm then Linear to the classes. */
  declare readonly mlp_head: nn.Sequential;
  /** The options, defaults filled in. */
  readonly config: Readonly<ViViTConfig>;

  /** @param opts sizes and hyper-parameters; defaults are rishikksh20's */
  constructor(opts: ViViTOptions) {
    super();
    const o = resolveOptions('ViViT', opts);
    this.config = o;
    const f = factory(o);
    const block = { ...f, depth: o.depth, heads: o.heads, dimHead: o.dimHead, mlpDim: o.dim * o.scaleDim, dropout: o.dropout };
    // Registration order follows the reference, so stateDict() lists keys in PyTorch's order.
    this.registerModule('to_patch_embedding', patchEmbedding(o.inChannels, o.dim, o.patchSize, o.tubeletSize, f));
    this.registerParameter('pos_embedding', randn([1, o.nt, o.numPatches + 1, o.dim], f));
    this.registerParameter('space_token', randn([1, 1, o.dim], f));
    this.registerModule('space_transformer', new Transformer(o.dim, block));
    this.registerParameter('temporal_token', randn([1, 1, o.dim], f));
    this.registerModule('temporal_transformer', new Transformer(o.dim, block));
    this.registerModule('dropout', new nn.Dropout(o.embDropout, o.generator ? { generator: o.generator } : {}));
    this.registerModule('mlp_head', new nn.Sequential(new nn.LayerNorm(o.dim, f), new nn.Linear(o.dim, o.numClasses, f)));
  }

  /** Video `[B, T, C, H, W]` (T = numFrames) → logits `[B, numClasses]`. */
  forward(video: Tensor): Tensor {
    const { b, nt, n } = checkVideo('ViViT', video, this.config, false);
    const d = this.config.dim;
    let x = this.to_patch_embedding.forward(video); // [b, nt, n, d]
    // A class token at index 0 of every frame, then the per-(frame, position) table.
    x = cat([this.space_token.reshape(1, 1, 1, d).expand(b, nt, 1, d), x], 2);
    x = x.add(this.pos_embedding.slice(2, 0, n + 1));
    x = this.dropout.forward(x);
    x = this.space_transformer.forward(x.reshape(b * nt, n + 1, d));
    // Each frame's class-token output, then a temporal class token; no temporal position embedding.
    x = x.select(1, 0).reshape(b, nt, d);
    x = cat([this.temporal_token.expand(b, 1, d), x], 1);
    x = this.temporal_transformer.forward(x);
    x = this.config.pool === 'mean' ? x.mean(1) : x.select(1, 0);
    return this.mlp_head.forward(x);
  }
}
