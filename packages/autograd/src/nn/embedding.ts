/**
 * `Embedding`: a lookup table of `numEmbeddings` vectors of size `embeddingDim`, `weight` drawn
 * from N(0, 1) as in PyTorch.
 * @module
 */
import { ArgumentError, DTypeError, type Tensor, arange, embedding, eq, fmtShape, tidy, unsqueeze, where } from '@tessera/tensor';
import { detach, noGrad } from '../functional.js';
import * as init from '../init.js';
import { Module } from './module.js';
import { type FactoryOptions, checkPositiveInt, emptyParam } from './param.js';

/** Options of `Embedding`. */
export interface EmbeddingOptions extends FactoryOptions {
  /**
   * A row that starts at zero and receives no gradient (e.g. padding tokens); negative counts from
   * the end, as in PyTorch.
   */
  paddingIdx?: number | null;
}

/** Maps int32 indices of any shape to `[...indices, embeddingDim]` rows of `weight`. */
export class Embedding extends Module {
  /** `[numEmbeddings, embeddingDim]`, N(0, 1). */
  declare readonly weight: Tensor;
  /** Rows in the table. */
  readonly numEmbeddings: number;
  /** Size of each row. */
  readonly embeddingDim: number;
  /** The padding row (normalised to >= 0), or null. */
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkPositiveInt('Embedding', 'numEmbeddings', numEmbeddings, 0);
    this.embeddingDim = checkPositiveInt('Embedding', 'embeddingDim', embeddingDim, 0);
    const p = opts.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings)) {
      throw new ArgumentError(`Embedding: paddingIdx must be within [-${numEmbeddings}, ${numEmbeddings}), got ${p}`);
    }
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    const weight = init.normal(emptyParam([numEmbeddings, embeddingDim], opts), 0, 1, { generator: opts.generator });
    const pad = this.paddingIdx;
    if (pad !== null) {
      // PyTorch zeroes the padding row at initialisation.
      noGrad(() =>
        tidy(() => {
          const rows = arange(0, numEmbeddings, 1, { dtype: 'int32', backend: weight.backend.name }).reshape([numEmbeddings, 1]);
          weight.assign(where(eq(rows, pad), 0, weight));
        }),
      );
    }
    this.registerParameter('weight', weight);
  }

  /** Looks up `indices` (int32, any shape). */
  forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int32') throw new DTypeError(`${this.toString()}: indices ${fmtShape(indices.shape)} must be int32, got ${indices.dtype}`);
    const pad = this.paddingIdx;
    if (pad === null) return embedding(indices, this.weight);
    // Positions that look up the padding row pass no gradient to it (PyTorch's padding_idx).
    return tidy(() => {
      const out = embedding(indices, this.weight);
      return where(unsqueeze(eq(indices, pad), -1), detach(out), out);
    });
  }

  /** PyTorch's repr: `Embedding(10, 4)`. */
  override toString(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''})`;
  }
}
