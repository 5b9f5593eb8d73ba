/**
 * `nn`: `Module` and the layers, with PyTorch's parameter names, shapes and default
 * initialisation, so a PyTorch `state_dict` loads with `loadStateDict`.
 *
 * ```ts
 * import { nn } from '@tessera/autograd';
 * const mlp = new nn.Sequential(new nn.Linear(8, 32), new nn.GELU({ approximate: 'tanh' }), new nn.Linear(32, 8));
 * mlp.stateDict(); // { '0.weight', '0.bias', '2.weight', '2.bias' }
 * ```
 * @module
 */
export { Module, StateDictError, type LoadResult, type ShapeMismatch, type StateDict } from './module.js';
export { type FactoryOptions } from './param.js';
export { Identity, Linear, type LinearOptions } from './linear.js';
export {
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvLayerOptions,
  type ConvTransposeLayerOptions,
  type SpatialArg,
} from './conv.js';
export { GroupNorm, LayerNorm, type GroupNormOptions, type LayerNormOptions } from './norm.js';
export { GELU, ReLU, SiLU, Sigmoid, Softmax, Tanh, type GELUOptions } from './activation.js';
export { Flatten } from './flatten.js';
export { Dropout, dropout, type DropoutOptions } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { ModuleList, Sequential, type Layer, type LayerForward } from './container.js';
export {
  Attention,
  MultiheadAttention,
  type AttentionOptions,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
} from './attention.js';
