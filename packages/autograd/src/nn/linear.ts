/**
 * `Linear` (y = x·Wᵀ + b, weight `[out, in]`) and `Identity`, as in `torch.nn.modules.linear`.
 * @module
 */
import { ShapeError, type Tensor, fmtShape, linear, tidy } from '@tessera/tensor';
import * as init from '../init.js';
import { Module } from './module.js';
import { type FactoryOptions, checkPositiveInt, emptyParam } from './param.js';

/** Options of `Linear`. */
export interface LinearOptions extends FactoryOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * Applies y = x·Wᵀ + b to the last dim of `x` (`[..., in]` → `[..., out]`). Parameters `weight
 * [out, in]` and `bias [out]`, both drawn from U(-1/√in, 1/√in) as PyTorch does
 * (`kaiming_uniform_(a=√5)` on the weight).
 */
export class Linear extends Module {
  /** `[outFeatures, inFeatures]`. */
  declare readonly weight: Tensor;
  /** `[outFeatures]`, or null with `bias: false`. */
  declare readonly bias: Tensor | null;
  /** Size of each input sample. */
  readonly inFeatures: number;
  /** Size of each output sample. */
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkPositiveInt('Linear', 'inFeatures', inFeatures, 0);
    this.outFeatures = checkPositiveInt('Linear', 'outFeatures', outFeatures, 0);
    const weight = init.kaimingUniform(emptyParam([outFeatures, inFeatures], opts), { a: Math.sqrt(5), generator: opts.generator });
    this.registerParameter('weight', weight);
    let bias: Tensor | null = null;
    if (opts.bias ?? true) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      bias = init.uniform(emptyParam([outFeatures], opts), -bound, bound, { generator: opts.generator });
    }
    this.registerParameter('bias', bias);
  }

  /** `[..., inFeatures]` → `[..., outFeatures]`. */
  forward(x: Tensor): Tensor {
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(
        `${this.toString()}: input ${fmtShape(x.shape)} has ${x.ndim ? x.shape[x.ndim - 1] : 'no'} features in its last dim, ` +
          `expected ${this.inFeatures} (weight ${fmtShape(this.weight.shape)})`,
      );
    }
    return tidy(() => linear(x, this.weight, this.bias)); // tidy: linear's matmul intermediate
  }

  /** PyTorch's repr: `Linear(in_features=4, out_features=3, bias=True)`. */
  override toString(): string {
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'})`;
  }
}

/** Returns its input unchanged (a placeholder where a layer is optional). No parameters. */
export class Identity extends Module {
  /** Returns `x` itself. */
  forward(x: Tensor): Tensor {
    return x;
  }
}
