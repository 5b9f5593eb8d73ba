/**
 * PyTorch-style autograd on the Tensor class: `x.requiresGrad = true`, `loss.backward()`, `x.grad`,
 * `x.detach()`. Installed on `Tensor.prototype` when `@tessera/autograd` is imported.
 * @module
 */
import { Tensor } from '@tessera/tensor';
import {
  type BackwardOptions,
  backward,
  gradOf,
  isLeaf,
  requiresGrad,
  retainGrad,
  setGrad,
  setRequiresGrad,
} from './tape.js';

declare module '@tessera/tensor' {
  interface Tensor {
    /** Whether gradients flow to this tensor. Set it on leaves: `w.requiresGrad = true`. */
    requiresGrad: boolean;
    /** The accumulated gradient (leaves, and tensors with `retainGrad()`), or null. */
    grad: Tensor | null;
    /** True for tensors not produced by a recorded op. */
    readonly isLeaf: boolean;
    /** Backpropagates from this tensor (a scalar unless `gradient` is given) into leaves' `.grad`. */
    backward(gradient?: Tensor | null, opts?: Omit<BackwardOptions, 'inputs'>): void;
    /** A tensor sharing storage that is cut off from the graph. */
    detach(): Tensor;
    /** Sets `requiresGrad` and returns this tensor (PyTorch's `requires_grad_`). */
    requiresGrad_(flag?: boolean): this;
    /** Keeps this non-leaf tensor's gradient after backward. */
    retainGrad(): this;
  }
}

Object.defineProperties(Tensor.prototype, {
  requiresGrad: {
    get(this: Tensor) {
      return requiresGrad(this);
    },
    set(this: Tensor, v: boolean) {
      setRequiresGrad(this, v);
    },
    configurable: true,
  },
  grad: {
    get(this: Tensor) {
      return gradOf(this);
    },
    set(this: Tensor, g: Tensor | null) {
      setGrad(this, g);
    },
    configurable: true,
  },
  isLeaf: {
    get(this: Tensor) {
      return isLeaf(this);
    },
    configurable: true,
  },
});

Tensor.prototype.backward = function (this: Tensor, gradient?: Tensor | null, opts: Omit<BackwardOptions, 'inputs'> = {}): void {
  backward(this, gradient ?? null, opts);
};

Tensor.prototype.detach = function (this: Tensor): Tensor {
  return Tensor.fromStorage(this.storage, this.shape, this.strides, this.offset);
};

Tensor.prototype.requiresGrad_ = function <T extends Tensor>(this: T, flag = true): T {
  setRequiresGrad(this, flag);
  return this;
};

Tensor.prototype.retainGrad = function <T extends Tensor>(this: T): T {
  retainGrad(this);
  return this;
};
