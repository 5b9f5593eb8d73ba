/**
 * DiT's input embedders (facebookresearch/DiT `models.py`): the patch embedding (timm
 * `PatchEmbed`), the timestep embedder and the class-label embedder with its null class.
 * @module
 */
import { nn } from '@tessera/autograd';
import { ArgumentError, DTypeError, type Generator, ShapeError, type Tensor, cat, fmtShape, rand, tensor, tidy, where, zeros } from '@tessera/tensor';

/**
 * The sinusoidal timestep features (`TimestepEmbedder.timestep_embedding`): for `half = dim/2`,
 * `f_j = exp(−ln(maxPeriod)·j/half)` (float32) and `a = t·f`, the vector is
 * `[cos(a_0 … a_{half−1}), sin(a_0 … a_{half−1})]` (cosine FIRST), zero-padded when `dim` is odd.
 * `t: [B]` (int32 or float32, fractional allowed) → `[B, dim]`.
 */
export function timestepEmbedding(t: Tensor, dim: number, maxPeriod = 10000): Tensor {
  if (t.ndim !== 1) throw new ShapeError(`timestepEmbedding: t must be 1-D [B], got ${fmtShape(t.shape)}`);
  const half = Math.floor(dim / 2);
  // The reference computes the frequencies in float32: exp((−ln(P)·j) / half).
  const c = Math.fround(-Math.log(maxPeriod));
  const freqs = Float32Array.from({ length: half }, (_, j) => Math.exp(Math.fround(Math.fround(c * j) / half)));
  return tidy(() => {
    const f = tensor(freqs, { backend: t.backend.name }).reshape([1, half]);
    const args = (t.dtype === 'float32' ? t : t.cast('float32')).reshape([t.shape[0]!, 1]).mul(f);
    const parts = [args.cos(), args.sin()];
    if (dim % 2) parts.push(zeros([t.shape[0]!, 1], { backend: t.backend.name }));
    return cat(parts, -1);
  });
}

/** Embeds scalar timesteps: frequency features (256) → Linear → SiLU → Linear (`t_embedder`). */
export class TimestepEmbedder extends nn.Module {
  /** `mlp.0` Linear(freq, D), `mlp.1` SiLU, `mlp.2` Linear(D, D). */
  declare readonly mlp: nn.Sequential;
  /** Size of the sinusoidal features (256). */
  readonly frequencyEmbeddingSize: number;

  constructor(hiddenSize: number, frequencyEmbeddingSize = 256, opts: nn.FactoryOptions = {}) {
    super();
    this.frequencyEmbeddingSize = frequencyEmbeddingSize;
    this.registerModule(
      'mlp',
      new nn.Sequential(new nn.Linear(frequencyEmbeddingSize, hiddenSize, opts), new nn.SiLU(), new nn.Linear(hiddenSize, hiddenSize, opts)),
    );
  }

  /** `[B]` timesteps → `[B, D]`. */
  forward(t: Tensor): Tensor {
    return tidy(() => this.mlp.forward(timestepEmbedding(t, this.frequencyEmbeddingSize)));
  }
}

/**
 * Embeds class labels (`y_embedder`). With `dropoutProb > 0` the table has one extra row, the
 * null class `numClasses`, used for classifier-free guidance: in training each label is replaced
 * by it with probability `dropoutProb` (`rand < p`, drawn from the embedder's generator), and
 * `forceDropIds` (1 = drop) replaces labels in any mode.
 */
export class LabelEmbedder extends nn.Module {
  /** `[numClasses (+1), D]`. */
  declare readonly embedding_table: nn.Embedding;
  /** Number of real classes; also the null class's id. */
  readonly numClasses: number;
  /** Label-dropout probability in training. */
  readonly dropoutProb: number;
  /** Where label dropout draws from (null: the global generator). */
  generator: Generator | null;

  constructor(numClasses: number, hiddenSize: number, dropoutProb: number, opts: nn.FactoryOptions = {}) {
    super();
    if (!(dropoutProb >= 0 && dropoutProb <= 1)) throw new ArgumentError(`LabelEmbedder: dropoutProb must be in [0, 1], got ${dropoutProb}`);
    this.numClasses = numClasses;
    this.dropoutProb = dropoutProb;
    this.generator = opts.generator ?? null;
    this.registerModule('embedding_table', new nn.Embedding(numClasses + (dropoutProb > 0 ? 1 : 0), hiddenSize, opts));
  }

  /** Replaces dropped labels by the null class (`token_drop`). */
  tokenDrop(labels: Tensor, forceDropIds?: Tensor | null): Tensor {
    return tidy(() => {
      const drop = forceDropIds
        ? forceDropIds.eq(1)
        : rand([labels.shape[0]!], { backend: labels.backend.name, ...(this.generator ? { generator: this.generator } : {}) }).lt(this.dropoutProb);
      return where(drop, this.numClasses, labels);
    });
  }

  /** `[B]` int32 labels → `[B, D]`; `train` enables label dropout (DiT passes `model.training`). */
  forward(labels: Tensor, train: boolean, forceDropIds?: Tensor | null): Tensor {
    if (labels.dtype !== 'int32') throw new DTypeError(`LabelEmbedder: labels must be int32, got ${labels.dtype}`);
    return tidy(() => {
      const useDropout = this.dropoutProb > 0;
      const y = (train && useDropout) || forceDropIds ? this.tokenDrop(labels, forceDropIds) : labels;
      return this.embedding_table.forward(y);
    });
  }
}

/**
 * timm's `PatchEmbed`: a Conv2d(C → D, kernel p, stride p), then the `(H/p)·(W/p)` positions
 * flattened row-major into tokens: `[B, C, H, W] → [B, N, D]`, token k = r·(W/p) + c.
 */
export class PatchEmbed extends nn.Module {
  /** Conv2d(inChans, embedDim, p, stride p). */
  declare readonly proj: nn.Conv2d;
  /** Input height = width. */
  readonly imgSize: number;
  /** p. */
  readonly patchSize: number;
  /** (imgSize/p)². */
  readonly numPatches: number;

  constructor(imgSize: number, patchSize: number, inChans: number, embedDim: number, opts: nn.FactoryOptions & { bias?: boolean } = {}) {
    super();
    if (imgSize % patchSize !== 0) throw new ArgumentError(`PatchEmbed: input size ${imgSize} is not divisible by the patch size ${patchSize}`);
    this.imgSize = imgSize;
    this.patchSize = patchSize;
    this.numPatches = (imgSize / patchSize) ** 2;
    this.registerModule('proj', new nn.Conv2d(inChans, embedDim, patchSize, { ...opts, stride: patchSize, bias: opts.bias ?? true }));
  }

  /** `[B, C, H, W]` with H = W = imgSize → `[B, N, D]`. */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[2] !== this.imgSize || x.shape[3] !== this.imgSize) {
      throw new ShapeError(`PatchEmbed: input ${fmtShape(x.shape)} must be [B, C, ${this.imgSize}, ${this.imgSize}]`);
    }
    return tidy(() => this.proj.forward(x).flatten(2).transpose(1, 2));
  }
}
