/**
 * What every layer's constructor shares: where its parameters are drawn from and which backend
 * holds them, and the checks of integer hyper-parameters.
 * @module
 */
import { ArgumentError, type Generator, type Tensor, zeros } from '@tessera/tensor';

/** Options every layer accepts (PyTorch's factory kwargs, plus the generator to draw from). */
export interface FactoryOptions {
  /** Generator for the default initialisation (default: the global one seeded by `manualSeed`). */
  generator?: Generator;
  /** Backend to create the parameters on (default: the active backend). */
  backend?: string;
}

/** A float32 tensor of `shape` to be filled by an init function. @internal */
export function emptyParam(shape: readonly number[], opts: FactoryOptions): Tensor {
  return zeros(shape, opts.backend === undefined ? {} : { backend: opts.backend });
}

/** Checks a positive (or >= `min`) integer hyper-parameter, PyTorch-style message. @internal */
export function checkPositiveInt(layer: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ArgumentError(`${layer}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}
