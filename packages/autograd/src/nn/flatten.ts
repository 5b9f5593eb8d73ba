/**
 * `Flatten`: merges dims `startDim..endDim` (PyTorch's defaults 1 and -1, keeping the batch dim).
 * @module
 */
import { type Tensor, flatten } from '@tessera/tensor';
import { Module } from './module.js';

/** Flattens a contiguous range of dims into one. No parameters. */
export class Flatten extends Module {
  constructor(
    /** First dim flattened. */
    readonly startDim = 1,
    /** Last dim flattened (inclusive). */
    readonly endDim = -1,
  ) {
    super();
  }

  /** `x.flatten(startDim, endDim)`. */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
