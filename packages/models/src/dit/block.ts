/**
 * The DiT block with adaLN-Zero conditioning and the final layer (Peebles & Xie 2023, §3.2 and
 * Fig. 3; facebookresearch/DiT `models.py` `DiTBlock`, `FinalLayer`, `modulate`).
 * @module
 */
import { nn } from '@tessera/autograd';
import { type Tensor, tidy } from '@tessera/tensor';

/** `x·(1 + scale) + shift`, with `shift, scale: [B, D]` broadcast over the tokens of `x: [B, N, D]`. */
export function modulate(x: Tensor, shift: Tensor, scale: Tensor): Tensor {
  return tidy(() => x.mul(scale.unsqueeze(1).add(1)).add(shift.unsqueeze(1)));
}

/** timm's `Mlp` as DiT configures it: `fc1` (D → hidden) → GELU (tanh) → `fc2` (hidden → D), no dropout. */
export class Mlp extends nn.Module {
  /** Linear(in, hidden). */
  declare readonly fc1: nn.Linear;
  /** GELU, tanh approximation. */
  declare readonly act: nn.GELU;
  /** Linear(hidden, out). */
  declare readonly fc2: nn.Linear;

  constructor(inFeatures: number, hiddenFeatures: number, opts: nn.FactoryOptions = {}) {
    super();
    this.registerModule('fc1', new nn.Linear(inFeatures, hiddenFeatures, opts));
    this.registerModule('act', new nn.GELU({ approximate: 'tanh' }));
    this.registerModule('fc2', new nn.Linear(hiddenFeatures, inFeatures, opts));
  }

  /** `[..., D] → [..., D]`. */
  forward(x: Tensor): Tensor {
    return tidy(() => this.fc2.forward(this.act.forward(this.fc1.forward(x))));
  }
}

/** Options of `DiTBlock`. */
export interface DiTBlockOptions extends nn.FactoryOptions {
  /** MLP width as a multiple of D (default 4). */
  mlpRatio?: number;
}

/**
 * A transformer block conditioned by adaLN-Zero: `c` gives six D-wide vectors, in this order,
 * `shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp`, and
 *
 *     x = x + gate_msa · Attn(modulate(LN(x), shift_msa, scale_msa))
 *     x = x + gate_mlp · Mlp (modulate(LN(x), shift_mlp, scale_mlp))
 *
 * LN has eps 1e-6 and no affine parameters; SiLU is applied to `c` inside `adaLN_modulation`.
 */
export class DiTBlock extends nn.Module {
  /** LayerNorm(D, eps 1e-6), no parameters. */
  declare readonly norm1: nn.LayerNorm;
  /** timm Attention with qkv bias. */
  declare readonly attn: nn.Attention;
  /** LayerNorm(D, eps 1e-6), no parameters. */
  declare readonly norm2: nn.LayerNorm;
  /** The MLP. */
  declare readonly mlp: Mlp;
  /** `0` SiLU, `1` Linear(D, 6D). */
  declare readonly adaLN_modulation: nn.Sequential;

  constructor(hiddenSize: number, numHeads: number, opts: DiTBlockOptions = {}) {
    super();
    const f: nn.FactoryOptions = { generator: opts.generator, backend: opts.backend };
    this.registerModule('norm1', new nn.LayerNorm(hiddenSize, { ...f, elementwiseAffine: false, eps: 1e-6 }));
    this.registerModule('attn', new nn.Attention(hiddenSize, { ...f, numHeads, qkvBias: true }));
    this.registerModule('norm2', new nn.LayerNorm(hiddenSize, { ...f, elementwiseAffine: false, eps: 1e-6 }));
    this.registerModule('mlp', new Mlp(hiddenSize, Math.trunc(hiddenSize * (opts.mlpRatio ?? 4)), f));
    this.registerModule('adaLN_modulation', new nn.Sequential(new nn.SiLU(), new nn.Linear(hiddenSize, 6 * hiddenSize, f)));
  }

  /** `x: [B, N, D]`, `c: [B, D]` → `[B, N, D]`. */
  forward(x: Tensor, c: Tensor): Tensor {
    return tidy(() => {
      const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = this.adaLN_modulation.forward(c).chunk(6, 1) as [
        Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
      ];
      const h = x.add(gateMsa.unsqueeze(1).mul(this.attn.forward(modulate(this.norm1.forward(x), shiftMsa, scaleMsa))));
      return h.add(gateMlp.unsqueeze(1).mul(this.mlp.forward(modulate(this.norm2.forward(h), shiftMlp, scaleMlp))));
    });
  }
}

/** The last layer: adaLN (`shift, scale`, shift first) then Linear(D → p·p·Cout) per token. */
export class FinalLayer extends nn.Module {
  /** LayerNorm(D, eps 1e-6), no parameters. */
  declare readonly norm_final: nn.LayerNorm;
  /** Linear(D, p·p·Cout). */
  declare readonly linear: nn.Linear;
  /** `0` SiLU, `1` Linear(D, 2D). */
  declare readonly adaLN_modulation: nn.Sequential;

  constructor(hiddenSize: number, patchSize: number, outChannels: number, opts: nn.FactoryOptions = {}) {
    super();
    const f: nn.FactoryOptions = { generator: opts.generator, backend: opts.backend };
    this.registerModule('norm_final', new nn.LayerNorm(hiddenSize, { ...f, elementwiseAffine: false, eps: 1e-6 }));
    this.registerModule('linear', new nn.Linear(hiddenSize, patchSize * patchSize * outChannels, f));
    this.registerModule('adaLN_modulation', new nn.Sequential(new nn.SiLU(), new nn.Linear(hiddenSize, 2 * hiddenSize, f)));
  }

  /** `x: [B, N, D]`, `c: [B, D]` → `[B, N, p·p·Cout]`. */
  forward(x: Tensor, c: Tensor): Tensor {
    return tidy(() => {
      const [shift, scale] = this.adaLN_modulation.forward(c).chunk(2, 1) as [Tensor, Tensor];
      return this.linear.forward(modulate(this.norm_final.forward(x), shift, scale));
    });
  }
}
