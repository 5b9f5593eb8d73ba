/**
 * ViViT (Arnab et al., "ViViT: A Video Vision Transformer", ICCV 2021), its four variants, each
 * taking a video `[B, T, C, H, W]` and returning class logits:
 *
 * | paper | class | state dict |
 * |---|---|---|
 * | Model 1, spatio-temporal attention | `ViViTSpatioTemporal` | rishikksh20 conventions, `cls_token`, `transformer` |
 * | Model 2, factorised encoder | `ViViT` | **exactly rishikksh20/ViViT-pytorch** |
 * | Model 3, factorised self-attention | `ViViTFactorisedSelfAttention` | rishikksh20 conventions, `layers.i.{0 space, 1 time, 2 ffn}` |
 * | Model 4, factorised dot-product attention | `ViViTFactorisedDotProduct` | rishikksh20 conventions, half the heads over time |
 *
 * Every variant takes `tubeletSize` for the tubelet (Conv3d) embedding.
 * @module
 */
import { ArgumentError } from '@tessera/tensor';
import { type FactorisedSelfAttentionOptions, ViViTFactorisedDotProduct, ViViTFactorisedSelfAttention } from './factorised-attention.js';
import { ViViT } from './factorised-encoder.js';
import { ViViTSpatioTemporal } from './spatio-temporal.js';
import { type ViViTOptions } from './options.js';

export { ViViT } from './factorised-encoder.js';
export { ViViTSpatioTemporal } from './spatio-temporal.js';
export {
  FactorisedViViT,
  FactorisedDotProductAttention,
  FactorisedDotProductTransformer,
  FactorisedSelfAttentionTransformer,
  ViViTFactorisedDotProduct,
  ViViTFactorisedSelfAttention,
  type FactorisedSelfAttentionOptions,
} from './factorised-attention.js';
// The building blocks keep rishikksh20's class names in their files; exported under ViViT-prefixed
// names so that they do not collide with other models' blocks in the package index.
export {
  Attention as ViViTAttention,
  FeedForward as ViViTFeedForward,
  PreNorm as ViViTPreNorm,
  Rearrange,
  Transformer as ViViTTransformer,
  type AttentionOptions as ViViTAttentionOptions,
  type BlockOptions as ViViTBlockOptions,
  type TransformerOptions as ViViTTransformerOptions,
} from './layers.js';
export { patchEmbedding as vivitPatchEmbedding } from './embedding.js';
export { type ViViTConfig, type ViViTOptions } from './options.js';
export { accuracy, crossEntropy } from './loss.js';
export { evaluateClassifier, trainClassifier, type TrainClassifierOptions, type VideoBatch, type VideoClassifier } from './train.js';
export {
  VIVIT_GOLDEN_FILES,
  VIVIT_GRAD_TOL,
  VIVIT_OUTPUT_TOL,
  checkViViTGolden,
  type ViViTGoldenCheckOptions,
  type ViViTGoldenComparison,
  type ViViTGoldenReport,
} from './golden.js';

/** The four ViViT variants by name (paper Models 1–4). */
export type ViViTVariant = 'spatio-temporal' | 'factorised-encoder' | 'factorised-self-attention' | 'factorised-dot-product';

/** Any ViViT variant. */
export type ViViTModel = ViViT | ViViTSpatioTemporal | ViViTFactorisedSelfAttention | ViViTFactorisedDotProduct;

/** The variant names, in the paper's order (Model 1 to Model 4). */
export const VIVIT_VARIANTS: readonly ViViTVariant[] = ['spatio-temporal', 'factorised-encoder', 'factorised-self-attention', 'factorised-dot-product'];

/**
 * Builds a ViViT variant by name. `attentionOrder` applies to 'factorised-self-attention' only.
 *
 * ```ts
 * const model = createViViT('factorised-encoder', { imageSize: 32, patchSize: 8, numFrames: 8, numClasses: 8, inChannels: 1 });
 * ```
 */
export function createViViT(variant: ViViTVariant, opts: ViViTOptions & Pick<FactorisedSelfAttentionOptions, 'attentionOrder'>): ViViTModel {
  if (opts?.attentionOrder !== undefined && variant !== 'factorised-self-attention') {
    throw new ArgumentError(`createViViT: attentionOrder applies to 'factorised-self-attention' only, not '${String(variant)}'`);
  }
  switch (variant) {
    case 'spatio-temporal':
      return new ViViTSpatioTemporal(opts);
    case 'factorised-encoder':
      return new ViViT(opts);
    case 'factorised-self-attention':
      return new ViViTFactorisedSelfAttention(opts);
    case 'factorised-dot-product':
      return new ViViTFactorisedDotProduct(opts);
    default:
      throw new ArgumentError(`createViViT: unknown variant '${String(variant)}' (expected one of ${VIVIT_VARIANTS.join(', ')})`);
  }
}
