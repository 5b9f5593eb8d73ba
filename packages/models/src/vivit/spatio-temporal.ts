/**
 * ViViT Model 1, spatio-temporal attention (Arnab et al. 2021, §3.3; spec §3.3): a ViT over all
 * nt·N tokens of the clip, every token attending to every other, in the PyTorch conventions of
 * rishikksh20's code (no PyTorch reference exists for this variant):
 *
 * ```
 * pos_embedding            [1, 1 + nt·N, dim]   randn; slot 0 is the class token's
 * cls_token                [1, 1, dim]          randn
 * to_patch_embedding.1.*   Linear [dim, p·p·C] (or Conv3d [dim, C, t, p, p] with tubeletSize)
 * transformer.*            Transformer (layers.i.0 PreNorm attention, layers.i.1 PreNorm FFN, norm)
 * mlp_head.0, mlp_head.1   LayerNorm, Linear [numClasses, dim]
 * ```
 *
 * Tokens are flattened time-major, `(t, h, w)`, as scenic flattens its tubelet grid; the class token
 * is prepended and the 1-D table added after, as in lucidrains' ViT.
 * @module
 */
import { type Tensor, cat, randn } from '@tessera/tensor';
import { nn } from '@tessera/autograd';
import { patchEmbedding } from './embedding.js';
import { Transformer, factory } from './layers.js';
import { type ViViTConfig, type ViViTOptions, checkVideo, resolveOptions } from './options.js';

/** Model 1: joint space-time attention over every token of the clip. */
export class ViViTSpatioTemporal extends nn.Module {
  /** `[1, 1 + nt·N, dim]`: one learned position per token, slot 0 the class token's. */
  declare readonly pos_embedding: Tensor;
  /** `[1, 1, dim]`: the class token. */
  declare readonly cls_token: Tensor;
  /** Patch or tubelet embedding (`to_patch_embedding.1` is the Linear or Conv3d). */
  declare readonly to_patch_embedding: nn.Sequential;
  /** Attention among all tokens of the clip. */
  declare readonly transformer: Transformer;
  /** Dropout on the embedded tokens (`embDropout`). */
  declare readonly dropout: nn.Dropout;
  /** LayerNorm then Linear to the classes. */
  declare readonly mlp_head: nn.Sequential;
  /** The options, defaults filled in. */
  readonly config: Readonly<ViViTConfig>;

  /** @param opts sizes and hyper-parameters; defaults are rishikksh20's */
  constructor(opts: ViViTOptions) {
    super();
    const o = resolveOptions('ViViTSpatioTemporal', opts);
    this.config = o;
    const f = factory(o);
    this.registerModule('to_patch_embedding', patchEmbedding(o.inChannels, o.dim, o.patchSize, o.tubeletSize, f));
    this.registerParameter('pos_embedding', randn([1, o.nt * o.numPatches + 1, o.dim], f));
    this.registerParameter('cls_token', randn([1, 1, o.dim], f));
    this.registerModule(
      'transformer',
      new Transformer(o.dim, { ...f, depth: o.depth, heads: o.heads, dimHead: o.dimHead, mlpDim: o.dim * o.scaleDim, dropout: o.dropout }),
    );
    this.registerModule('dropout', new nn.Dropout(o.embDropout, o.generator ? { generator: o.generator } : {}));
    this.registerModule('mlp_head', new nn.Sequential(new nn.LayerNorm(o.dim, f), new nn.Linear(o.dim, o.numClasses, f)));
  }

  /** Video `[B, T, C, H, W]` (T = numFrames, H = W = imageSize) → logits `[B, numClasses]`. */
  forward(video: Tensor): Tensor {
    const { b, nt, n } = checkVideo('ViViTSpatioTemporal', video, this.config, true);
    const d = this.config.dim;
    let x = this.to_patch_embedding.forward(video).reshape(b, nt * n, d); // [b, nt·n, d], time-major
    x = cat([this.cls_token.expand(b, 1, d), x], 1);
    x = this.dropout.forward(x.add(this.pos_embedding));
    x = this.transformer.forward(x);
    x = this.config.pool === 'mean' ? x.mean(1) : x.select(1, 0);
    return this.mlp_head.forward(x);
  }
}
