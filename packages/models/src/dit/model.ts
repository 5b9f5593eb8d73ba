/**
 * DiT, the Diffusion Transformer (Peebles & Xie 2023), faithful to facebookresearch/DiT
 * `models.py`: the same module tree, parameter names and shapes (a released checkpoint's state
 * dict loads with `loadStateDict`), the same forward pass, `forward_with_cfg` and initialisation.
 *
 * ```
 * x [B, C, H, W] ─ x_embedder (patchify) + pos_embed ─┐
 * t [B] ─ t_embedder ─┐                               │
 *                     ├─ c = t_emb + y_emb ─── blocks (adaLN-Zero) ── final_layer ── unpatchify ─ [B, Cout, H, W]
 * y [B] ─ y_embedder ─┘
 * ```
 * @module
 */
import { init, nn } from '@tessera/autograd';
import { ArgumentError, type Generator, ShapeError, type Tensor, cat, fmtShape, fromArray, rearrange, tidy } from '@tessera/tensor';
import { DiTBlock, FinalLayer } from './block.js';
import { DIT_DEFAULTS, type DiTConfig, type DiTName, ditConfig } from './configs.js';
import { LabelEmbedder, PatchEmbed, TimestepEmbedder } from './embed.js';
import { sincosPosEmbed2d } from './pos-embed.js';

/** Options of `DiT`: any of the architecture's hyper-parameters, plus where parameters live. */
export interface DiTOptions extends Partial<DiTConfig>, nn.FactoryOptions {}

/** Options of `DiT.forward`. */
export interface DiTForwardOptions {
  /** `[B]` int32, 1 = replace the label by the null class (in any mode). */
  forceDropIds?: Tensor | null;
}

/** The Diffusion Transformer. */
export class DiT extends nn.Module {
  /** `(1, N, D)` fixed 2-D sin-cos table: a parameter that does not require grad, as in the reference. */
  declare readonly pos_embed: Tensor;
  /** Patchify. */
  declare readonly x_embedder: PatchEmbed;
  /** Timestep embedder. */
  declare readonly t_embedder: TimestepEmbedder;
  /** Class embedder with the null class. */
  declare readonly y_embedder: LabelEmbedder;
  /** The transformer blocks. */
  declare readonly blocks: nn.ModuleList<DiTBlock>;
  /** adaLN + Linear to patch pixels. */
  declare readonly final_layer: FinalLayer;
  /** The architecture. */
  readonly config: DiTConfig;
  /** C. */
  readonly inChannels: number;
  /** 2C with learnSigma, else C. */
  readonly outChannels: number;
  /** p. */
  readonly patchSize: number;
  /** Attention heads. */
  readonly numHeads: number;

  constructor(opts: DiTOptions = {}) {
    super();
    const { generator, backend, ...arch } = opts;
    const c: DiTConfig = { ...DIT_DEFAULTS, ...arch };
    for (const k of ['inputSize', 'patchSize', 'inChannels', 'hiddenSize', 'depth', 'numHeads', 'numClasses'] as const) {
      if (!Number.isInteger(c[k]) || c[k] < (k === 'depth' ? 0 : 1)) throw new ArgumentError(`DiT: ${k} must be a positive integer, got ${c[k]}`);
    }
    if (c.hiddenSize % 4 !== 0) throw new ArgumentError(`DiT: hiddenSize ${c.hiddenSize} must be divisible by 4 (the 2-D sin-cos table)`);
    if (c.hiddenSize % c.numHeads !== 0) throw new ArgumentError(`DiT: hiddenSize ${c.hiddenSize} must be divisible by numHeads ${c.numHeads}`);
    this.config = Object.freeze(c);
    this.inChannels = c.inChannels;
    this.outChannels = c.learnSigma ? 2 * c.inChannels : c.inChannels;
    this.patchSize = c.patchSize;
    this.numHeads = c.numHeads;
    const f: nn.FactoryOptions = { generator, backend };

    const xEmb = this.registerModule('x_embedder', new PatchEmbed(c.inputSize, c.patchSize, c.inChannels, c.hiddenSize, { ...f, bias: true }));
    this.registerModule('t_embedder', new TimestepEmbedder(c.hiddenSize, 256, f));
    this.registerModule('y_embedder', new LabelEmbedder(c.numClasses, c.hiddenSize, c.classDropoutProb, f));
    const N = xEmb.numPatches;
    const pos = fromArray(new Float32Array(N * c.hiddenSize), [1, N, c.hiddenSize], backend === undefined ? {} : { backend });
    this.registerParameter('pos_embed', pos);
    pos.requiresGrad = false;
    this.registerModule('blocks', new nn.ModuleList(Array.from({ length: c.depth }, () => new DiTBlock(c.hiddenSize, c.numHeads, { ...f, mlpRatio: c.mlpRatio }))));
    this.registerModule('final_layer', new FinalLayer(c.hiddenSize, c.patchSize, this.outChannels, f));
    this.initializeWeights(generator);
  }

  /**
   * The reference's `initialize_weights`: Xavier-uniform weights and zero biases for every Linear
   * (qkv as one `(3D, D)` matrix), the sin-cos `pos_embed`, Xavier-uniform on the patch conv viewed
   * as `(D, C·p·p)`, N(0, 0.02) for the label table and both timestep-MLP weights, and zeros for
   * every adaLN modulation and the final linear layer (adaLN-Zero: each block starts as the
   * identity and the output as 0).
   */
  initializeWeights(generator?: Generator): void {
    const g = generator ? { generator } : {};
    for (const [, m] of this.namedModules()) {
      if (m instanceof nn.Linear) {
        init.xavierUniform(m.weight, 1, g);
        if (m.bias) init.zeros(m.bias);
      }
    }
    const D = this.config.hiddenSize;
    const grid = Math.round(Math.sqrt(this.x_embedder.numPatches));
    const table = fromArray(Float32Array.from(sincosPosEmbed2d(D, grid)), this.pos_embed.shape, { backend: this.pos_embed.backend.name });
    this.pos_embed.assign(table);
    table.dispose();
    const w = this.x_embedder.proj.weight;
    const fanIn = w.size / w.shape[0]!;
    const a = Math.sqrt(6 / (fanIn + w.shape[0]!));
    init.uniform(w, -a, a, g);
    if (this.x_embedder.proj.bias) init.zeros(this.x_embedder.proj.bias);
    init.normal(this.y_embedder.embedding_table.weight, 0, 0.02, g);
    init.normal((this.t_embedder.mlp.at(0) as nn.Linear).weight, 0, 0.02, g);
    init.normal((this.t_embedder.mlp.at(2) as nn.Linear).weight, 0, 0.02, g);
    const zeroLinear = (l: nn.Linear): void => {
      init.zeros(l.weight);
      if (l.bias) init.zeros(l.bias);
    };
    for (const block of this.blocks) zeroLinear(block.adaLN_modulation.at(-1) as nn.Linear);
    zeroLinear(this.final_layer.adaLN_modulation.at(-1) as nn.Linear);
    zeroLinear(this.final_layer.linear);
  }

  /** Tokens `[B, N, p·p·Cout]` (vector order `(py, px, c)`) → images `[B, Cout, H, W]`. */
  unpatchify(x: Tensor): Tensor {
    const p = this.patchSize;
    const h = Math.round(Math.sqrt(x.shape[1]!));
    if (h * h !== x.shape[1]) throw new ShapeError(`DiT.unpatchify: ${x.shape[1]} tokens do not form a square grid`);
    return rearrange(x, 'n (h w) (p q c) -> n c (h p) (w q)', { h, p, q: p, c: this.outChannels });
  }

  /**
   * `x: [B, C, H, W]` latents, `t: [B]` timesteps on the original 0…999 scale (int32 or float32),
   * `y: [B]` int32 labels (the null class `numClasses` allowed) → `[B, Cout, H, W]`. Label dropout
   * is active in training mode (`train()`, the default for a new Module), as in PyTorch.
   */
  forward(x: Tensor, t: Tensor, y: Tensor, opts: DiTForwardOptions = {}): Tensor {
    const B = x.shape[0];
    if (t.ndim !== 1 || t.shape[0] !== B || y.ndim !== 1 || y.shape[0] !== B) {
      throw new ShapeError(`DiT: t ${fmtShape(t.shape)} and y ${fmtShape(y.shape)} must both be [B] with B = ${B} (x ${fmtShape(x.shape)})`);
    }
    return tidy(() => {
      let h = this.x_embedder.forward(x).add(this.pos_embed);
      const c = this.t_embedder.forward(t).add(this.y_embedder.forward(y, this.training, opts.forceDropIds));
      for (const block of this.blocks) h = block.forward(h, c);
      return this.unpatchify(this.final_layer.forward(h, c));
    });
  }

  /**
   * Classifier-free guidance exactly as the reference's `forward_with_cfg`: the first half of `x`
   * is duplicated (the second half is ignored), the model runs on `[x_half; x_half]` with the given
   * `t` and `y` (the sampler passes `y = [labels; null…]`), and guidance
   * `ε_u + s·(ε_c − ε_u)` is applied to the first `guidedChannels` output channels only — 3 in the
   * reference, a deliberate quirk kept for reproducibility (pass `inChannels` for standard CFG on
   * all of ε). The other channels pass through unguided.
   */
  forwardWithCfg(x: Tensor, t: Tensor, y: Tensor, cfgScale: number, guidedChannels = 3): Tensor {
    const B = x.shape[0]!;
    if (B % 2 !== 0) throw new ShapeError(`DiT.forwardWithCfg: the batch must be even ([cond; uncond]), got ${fmtShape(x.shape)}`);
    if (!(guidedChannels >= 0 && guidedChannels <= this.outChannels)) {
      throw new ArgumentError(`DiT.forwardWithCfg: guidedChannels must be in [0, ${this.outChannels}], got ${guidedChannels}`);
    }
    const n = B / 2;
    return tidy(() => {
      const half = x.narrow(0, 0, n);
      const out = this.forward(cat([half, half], 0), t, y);
      const eps = out.narrow(1, 0, guidedChannels);
      const rest = out.narrow(1, guidedChannels, this.outChannels - guidedChannels);
      const [condEps, uncondEps] = eps.split(n, 0) as [Tensor, Tensor];
      const halfEps = uncondEps.add(condEps.sub(uncondEps).mul(cfgScale));
      return cat([cat([halfEps, halfEps], 0), rest], 1);
    });
  }

  /** Parameters that train (all but the frozen `pos_embed`). */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }
}

/** A named DiT (`'DiT-XL/2'` … `'DiT-S/8'`), with any option overridden (e.g. `inputSize: 64`). */
export function createDiT(name: DiTName, opts: DiTOptions = {}): DiT {
  const { generator, backend, ...overrides } = opts;
  return new DiT({ ...ditConfig(name, overrides), generator, backend });
}
