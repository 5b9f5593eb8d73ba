/**
 * Activation layers (no parameters): `GELU`, `SiLU`, `ReLU`, `Sigmoid`, `Tanh`, `Softmax`.
 * @module
 */
import { ArgumentError, type Tensor, gelu, relu, sigmoid, silu, softmax, tanh } from '@tessera/tensor';
import { Module } from './module.js';

/** Options of `GELU`. */
export interface GELUOptions {
  /** `'none'` (exact, x·Φ(x), the default) or `'tanh'` (Hendrycks & Gimpel's approximation). */
  approximate?: 'none' | 'tanh';
}

/** GELU(x) = x·Φ(x), exact or tanh-approximated. */
export class GELU extends Module {
  /** Which formula. */
  readonly approximate: 'none' | 'tanh';

  constructor(opts: GELUOptions = {}) {
    super();
    const a = opts.approximate ?? 'none';
    if (a !== 'none' && a !== 'tanh') throw new ArgumentError(`GELU: approximate must be 'none' or 'tanh', got '${String(a)}'`);
    this.approximate = a;
  }

  /** Elementwise GELU. */
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }

  /** PyTorch's repr. */
  override toString(): string {
    return `GELU(approximate='${this.approximate}')`;
  }
}

/** SiLU(x) = x·σ(x) (swish). */
export class SiLU extends Module {
  /** Elementwise SiLU. */
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** ReLU(x) = max(x, 0). */
export class ReLU extends Module {
  /** Elementwise ReLU. */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** σ(x) = 1 / (1 + e^-x). */
export class Sigmoid extends Module {
  /** Elementwise sigmoid. */
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** tanh(x). */
export class Tanh extends Module {
  /** Elementwise tanh. */
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Softmax along `dim`. */
export class Softmax extends Module {
  /** @param dim the dim normalised over */
  constructor(
    /** The dim normalised over. */
    readonly dim: number,
  ) {
    super();
  }

  /** Softmax of `x` along `dim`. */
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}
