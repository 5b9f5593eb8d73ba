/**
 * Dropout (Srivastava et al. 2014): in training, zeroes each element with probability `p` and
 * scales the rest by 1/(1-p), so the expected value is unchanged; in eval, the identity.
 * @module
 */
import { ArgumentError, type Generator, type Tensor, cast, ge, mul, rand, tidy } from '@tessera/tensor';
import { Module } from './module.js';

/** Options of `Dropout` and `dropout`. */
export interface DropoutOptions {
  /** Generator for the masks (default: the global one seeded by `manualSeed`). */
  generator?: Generator;
}

function checkP(op: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`${op}: probability has to be between 0 and 1, but got ${String(p)}`);
  return p;
}

/**
 * `x · mask / (1-p)` with mask ~ Bernoulli(1-p) when `training` (PyTorch's `F.dropout`); `x`
 * itself when not training or p = 0.
 */
export function dropout(x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  checkP('dropout', p);
  if (!training || p === 0) return x;
  // tidy: the scalar operands and the mask go; the tape keeps what backward needs.
  return tidy(() => {
    if (p === 1) return mul(x, 0); // keeps the graph: x receives a zero gradient
    // u ~ U[0, 1): P(u >= p) = 1 - p keeps an element.
    const u = rand(x.shape, { backend: x.backend.name, ...(opts.generator ? { generator: opts.generator } : {}) });
    return mul(x, mul(cast(ge(u, p), 'float32'), 1 / (1 - p)));
  });
}

/** Randomly zeroes elements during training (`train()`); the identity after `eval()`. No parameters. */
export class Dropout extends Module {
  /** Probability of zeroing an element. */
  readonly p: number;
  /** Where masks are drawn from (null: the global generator). */
  generator: Generator | null;

  constructor(p = 0.5, opts: DropoutOptions = {}) {
    super();
    this.p = checkP('Dropout', p);
    this.generator = opts.generator ?? null;
  }

  /** `x` in eval mode; otherwise dropout with this layer's p (and generator unless one is given). */
  forward(x: Tensor, opts: DropoutOptions = {}): Tensor {
    const generator = opts.generator ?? this.generator;
    return dropout(x, this.p, this.training, generator ? { generator } : {});
  }

  /** PyTorch's repr: `Dropout(p=0.5, inplace=False)`. */
  override toString(): string {
    return `Dropout(p=${this.p}, inplace=False)`;
  }
}
