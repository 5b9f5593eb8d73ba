/**
 * Normalisation layers: `LayerNorm` over trailing dims and `GroupNorm` over channel groups, with
 * PyTorch's parameters (`weight` ones, `bias` zeros) and biased variance.
 * @module
 */
import { ArgumentError, ShapeError, type Tensor, fmtShape, groupNorm, layerNorm, tidy } from '@tessera/tensor';
import * as init from '../init.js';
import { Module } from './module.js';
import { type FactoryOptions, checkPositiveInt, emptyParam } from './param.js';

/** Options of `LayerNorm`. */
export interface LayerNormOptions extends FactoryOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn `weight` (and `bias`) of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, also learn `bias` (default true; PyTorch ≥ 2.1's `bias`). */
  bias?: boolean;
}

/** Layer normalisation over the trailing `normalizedShape` dims (Ba et al. 2016). */
export class LayerNorm extends Module {
  /** `normalizedShape`, ones; null without elementwiseAffine. */
  declare readonly weight: Tensor | null;
  /** `normalizedShape`, zeros; null without elementwiseAffine or bias. */
  declare readonly bias: Tensor | null;
  /** The trailing shape normalised over. */
  readonly normalizedShape: number[];
  /** Added to the variance. */
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.normalizedShape.forEach((d, i) => checkPositiveInt('LayerNorm', `normalizedShape[${i}]`, d, 0));
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps >= 0)) throw new ArgumentError(`LayerNorm: eps must be >= 0, got ${this.eps}`);
    const affine = opts.elementwiseAffine ?? true;
    this.registerParameter('weight', affine ? init.ones(emptyParam(this.normalizedShape, opts)) : null);
    this.registerParameter('bias', affine && (opts.bias ?? true) ? emptyParam(this.normalizedShape, opts) : null);
  }

  /** Normalises `[..., *normalizedShape]`. */
  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (x.ndim < k || x.shape.slice(x.ndim - k).some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(`${this.toString()}: input ${fmtShape(x.shape)} does not end in normalizedShape ${fmtShape(this.normalizedShape)}`);
    }
    return tidy(() => layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps));
  }

  /** PyTorch's repr: `LayerNorm((8,), eps=1e-05, elementwise_affine=True)`. */
  override toString(): string {
    const ns = `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''})`;
    return `LayerNorm(${ns}, eps=${this.eps}, elementwise_affine=${this.weight ? 'True' : 'False'})`;
  }
}

/** Options of `GroupNorm`. */
export interface GroupNormOptions extends FactoryOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn per-channel `weight` and `bias` (default true). */
  affine?: boolean;
}

/** Group normalisation of `[N, C, ...]` over `numGroups` groups of channels (Wu & He 2018). */
export class GroupNorm extends Module {
  /** `[numChannels]`, ones; null without affine. */
  declare readonly weight: Tensor | null;
  /** `[numChannels]`, zeros; null without affine. */
  declare readonly bias: Tensor | null;
  /** Number of channel groups. */
  readonly numGroups: number;
  /** Channels expected in the input. */
  readonly numChannels: number;
  /** Added to the variance. */
  readonly eps: number;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    this.numGroups = checkPositiveInt('GroupNorm', 'numGroups', numGroups);
    this.numChannels = checkPositiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new ArgumentError(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps >= 0)) throw new ArgumentError(`GroupNorm: eps must be >= 0, got ${this.eps}`);
    const affine = opts.affine ?? true;
    this.registerParameter('weight', affine ? init.ones(emptyParam([numChannels], opts)) : null);
    this.registerParameter('bias', affine ? emptyParam([numChannels], opts) : null);
  }

  /** Normalises `[N, C, ...]`. */
  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new ShapeError(`${this.toString()}: input must be [N, ${this.numChannels}, ...], got ${fmtShape(x.shape)}`);
    }
    return tidy(() => groupNorm(x, this.numGroups, this.weight, this.bias, this.eps));
  }

  /** PyTorch's repr: `GroupNorm(4, 8, eps=1e-05, affine=True)`. */
  override toString(): string {
    return `GroupNorm(${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight ? 'True' : 'False'})`;
  }
}
