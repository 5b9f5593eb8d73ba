/**
 * Adam (Kingma & Ba, 2015, Algorithm 1) and AdamW (Loshchilov & Hutter, 2019, decoupled weight
 * decay), with PyTorch 1.13's exact update (`torch/optim/adam.py` and `adamw.py`,
 * `_single_tensor_adam[w]`). For step t (counted per parameter, from 1):
 *
 *     g = maximize ? -g : g
 *     Adam:  g = g + weightDecay·p            AdamW:  p = p·(1 - lr·weightDecay)
 *     m = β1·m + (1 - β1)·g
 *     v = β2·v + (1 - β2)·g·g
 *     vmax = max(vmax, v)                                              (amsgrad; then v := vmax)
 *     denom = √v / √(1 - β2^t) + eps
 *     p = p - (lr / (1 - β1^t))·m / denom
 *
 * The bias corrections are computed in double precision on the host, as PyTorch does (step is read
 * back with `.item()` there); the tensors are float32. The order of each float32 operation follows
 * PyTorch's kernels (`addcmul`: `v + ((1-β2)·g)·g`; `addcdiv`: `p + (-stepSize·m) / denom`).
 * @module
 */
import { ArgumentError, type Tensor } from '@tessera/tensor';
import { type OptimizerOptions, type ParamGroup, type ParamState, type Params, Optimizer, addScaled } from './optimizer.js';

/** Adam's and AdamW's hyperparameters (PyTorch's names, camelCased). */
export interface AdamOptions extends OptimizerOptions {
  /** Coefficients of the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay: number;
  /** The AMSGrad variant (Reddi et al., 2018): normalize by the running max of v (default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };

/** Adam with L2 weight decay folded into the gradient. `new Adam(model.parameters(), {lr: 1e-3})`. */
export class Adam extends Optimizer<AdamOptions> {
  /** Whether weight decay is decoupled (AdamW). */
  protected readonly decoupled: boolean = false;

  /**
   * @param params parameters or parameter groups
   * @param opts hyperparameters (defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0)
   */
  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { ...DEFAULTS, ...opts });
  }

  protected override validate(g: ParamGroup<AdamOptions>): void {
    super.validate(g);
    if (!(g.eps >= 0)) throw new ArgumentError(`${this.name}: invalid epsilon value: ${g.eps}`);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new ArgumentError(`${this.name}: betas must be a pair, got ${JSON.stringify(g.betas)}`);
    g.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new ArgumentError(`${this.name}: invalid beta parameter at index ${i}: ${b}`);
    });
    if (!(g.weightDecay >= 0)) throw new ArgumentError(`${this.name}: invalid weightDecay value: ${g.weightDecay}`);
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = g.betas;
    if (state.step === undefined) {
      state.step = 0;
      state.expAvg = this.newState(p);
      state.expAvgSq = this.newState(p);
      if (g.amsgrad) state.maxExpAvgSq = this.newState(p);
    }
    const step = (state.step as number) + 1;
    state.step = step;
    const expAvg = state.expAvg as Tensor;
    const expAvgSq = state.expAvgSq as Tensor;

    let gr = g.maximize ? grad.neg() : grad;
    if (this.decoupled) p.assign(p.mul(1 - g.lr * g.weightDecay));
    else if (g.weightDecay !== 0) gr = addScaled(gr, p, g.weightDecay);

    expAvg.assign(addScaled(expAvg.mul(beta1), gr, 1 - beta1));
    expAvgSq.assign(expAvgSq.mul(beta2).add(gr.mul(1 - beta2).mul(gr)));

    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const stepSize = g.lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);

    let v = expAvgSq;
    if (g.amsgrad) {
      // A group switched to amsgrad after its first step starts its max from the current v.
      const vmax = (state.maxExpAvgSq as Tensor | undefined) ?? (state.maxExpAvgSq = this.newState(p));
      v = vmax.assign(vmax.maximum(expAvgSq));
    }
    const denom = v.sqrt().div(biasCorrection2Sqrt).add(g.eps);
    p.assign(p.add(expAvg.mul(-stepSize).div(denom)));
  }
}

/**
 * AdamW: Adam with decoupled weight decay, `p ← p·(1 - lr·weightDecay)` before the Adam step
 * (default weightDecay 1e-2, as in PyTorch). `new AdamW(model.parameters(), {lr: 1e-4, weightDecay: 0})`.
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  /**
   * @param params parameters or parameter groups
   * @param opts hyperparameters (defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2)
   */
  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...opts });
  }
}
