/**
 * Stochastic gradient descent with momentum, PyTorch 1.13's update (`torch/optim/sgd.py`,
 * `_single_tensor_sgd`), step by step:
 *
 *     d = maximize ? -g : g
 *     d = d + weightDecay·p                                  (weightDecay ≠ 0)
 *     buf = d  (first step)  |  buf = momentum·buf + (1 - dampening)·d     (momentum ≠ 0)
 *     d = nesterov ? d + momentum·buf : buf
 *     p = p - lr·d
 *
 * Note the first step copies `d` into the buffer without dampening, as PyTorch does.
 * @module
 */
import { ArgumentError, type Tensor, keep } from '@tessera/tensor';
import { type OptimizerOptions, type ParamGroup, type ParamState, type Params, Optimizer, addScaled } from './optimizer.js';

/** SGD's hyperparameters (PyTorch's names, camelCased). */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum factor (default 0: plain SGD). */
  momentum: number;
  /** Dampening of the momentum (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** `new SGD(model.parameters(), {lr: 0.1, momentum: 0.9})`. */
export class SGD extends Optimizer<SGDOptions> {
  /**
   * @param params parameters or parameter groups
   * @param opts hyperparameters; `lr` is required (as in PyTorch)
   */
  constructor(params: Params<SGDOptions>, opts: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...opts });
  }

  protected override validate(g: ParamGroup<SGDOptions>): void {
    super.validate(g);
    if (!(g.momentum >= 0)) throw new ArgumentError(`SGD: invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new ArgumentError(`SGD: invalid weightDecay value: ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new ArgumentError('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<SGDOptions>): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = addScaled(d, p, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = state.momentumBuffer as Tensor | undefined;
      if (!buf) {
        buf = keep(d.clone());
        state.momentumBuffer = buf;
      } else {
        buf.assign(addScaled(buf.mul(g.momentum), d, 1 - g.dampening));
      }
      d = g.nesterov ? addScaled(d, buf, g.momentum) : buf;
    }
    p.assign(addScaled(p, d, -g.lr));
  }
}
