/**
 * The named DiT configurations (facebookresearch/DiT `models.py`, `DiT_models`; paper Table 1)
 * and the state-dict shapes of any configuration, computed without allocating a model.
 * @module
 */
import { ArgumentError } from '@tessera/tensor';

/** The architecture hyper-parameters of a DiT (the reference's constructor arguments). */
export interface DiTConfig {
  /** Latent height = width (32 for 256² images through the SD VAE). */
  inputSize: number;
  /** p. */
  patchSize: number;
  /** C (4 for SD-VAE latents). */
  inChannels: number;
  /** D. */
  hiddenSize: number;
  /** Number of blocks. */
  depth: number;
  /** Attention heads. */
  numHeads: number;
  /** MLP width / D. */
  mlpRatio: number;
  /** Label dropout for classifier-free guidance (a null-class row exists when > 0). */
  classDropoutProb: number;
  /** Number of classes. */
  numClasses: number;
  /** Output 2C channels (ε and the variance interpolation) instead of C. */
  learnSigma: boolean;
}

/** The reference's defaults (`DiT.__init__`): DiT-XL/2 at 256². */
export const DIT_DEFAULTS: DiTConfig = Object.freeze({
  inputSize: 32,
  patchSize: 2,
  inChannels: 4,
  hiddenSize: 1152,
  depth: 28,
  numHeads: 16,
  mlpRatio: 4,
  classDropoutProb: 0.1,
  numClasses: 1000,
  learnSigma: true,
});

/** The registry names. */
export type DiTName = `DiT-${'XL' | 'L' | 'B' | 'S'}/${2 | 4 | 8}`;

const SIZES = {
  XL: { depth: 28, hiddenSize: 1152, numHeads: 16 },
  L: { depth: 24, hiddenSize: 1024, numHeads: 16 },
  B: { depth: 12, hiddenSize: 768, numHeads: 12 },
  S: { depth: 12, hiddenSize: 384, numHeads: 6 },
} as const;

/** Every registry name, in the reference's order. */
export const DIT_NAMES: readonly DiTName[] = Object.freeze(
  (['XL', 'L', 'B', 'S'] as const).flatMap((s) => ([2, 4, 8] as const).map((p): DiTName => `DiT-${s}/${p}`)),
);

/** The full configuration of a named model, with `overrides` (e.g. `inputSize: 64` for 512²). */
export function ditConfig(name: DiTName, overrides: Partial<DiTConfig> = {}): DiTConfig {
  const m = /^DiT-(XL|L|B|S)\/(2|4|8)$/.exec(name);
  if (!m) throw new ArgumentError(`ditConfig: unknown model '${name}' (expected one of ${DIT_NAMES.join(', ')})`);
  const size = SIZES[m[1] as keyof typeof SIZES];
  return { ...DIT_DEFAULTS, ...size, patchSize: Number(m[2]), ...overrides };
}

/**
 * The state dict's keys and shapes for `config`, in PyTorch's order (`pos_embed` first, then the
 * submodules in registration order), without allocating anything.
 */
export function ditStateDictShapes(config: Partial<DiTConfig> = {}): [string, number[]][] {
  const c = { ...DIT_DEFAULTS, ...config };
  const D = c.hiddenSize;
  const p = c.patchSize;
  const N = (c.inputSize / p) ** 2;
  const cout = c.learnSigma ? 2 * c.inChannels : c.inChannels;
  const H = Math.trunc(D * c.mlpRatio);
  const out: [string, number[]][] = [
    ['pos_embed', [1, N, D]],
    ['x_embedder.proj.weight', [D, c.inChannels, p, p]],
    ['x_embedder.proj.bias', [D]],
    ['t_embedder.mlp.0.weight', [D, 256]],
    ['t_embedder.mlp.0.bias', [D]],
    ['t_embedder.mlp.2.weight', [D, D]],
    ['t_embedder.mlp.2.bias', [D]],
    ['y_embedder.embedding_table.weight', [c.numClasses + (c.classDropoutProb > 0 ? 1 : 0), D]],
  ];
  for (let i = 0; i < c.depth; i++) {
    const b = `blocks.${i}`;
    out.push(
      [`${b}.attn.qkv.weight`, [3 * D, D]],
      [`${b}.attn.qkv.bias`, [3 * D]],
      [`${b}.attn.proj.weight`, [D, D]],
      [`${b}.attn.proj.bias`, [D]],
      [`${b}.mlp.fc1.weight`, [H, D]],
      [`${b}.mlp.fc1.bias`, [H]],
      [`${b}.mlp.fc2.weight`, [D, H]],
      [`${b}.mlp.fc2.bias`, [D]],
      [`${b}.adaLN_modulation.1.weight`, [6 * D, D]],
      [`${b}.adaLN_modulation.1.bias`, [6 * D]],
    );
  }
  out.push(
    ['final_layer.linear.weight', [p * p * cout, D]],
    ['final_layer.linear.bias', [p * p * cout]],
    ['final_layer.adaLN_modulation.1.weight', [2 * D, D]],
    ['final_layer.adaLN_modulation.1.bias', [2 * D]],
  );
  return out;
}

/** Parameter count of `config`; `trainableOnly` (default true) leaves out the frozen `pos_embed`. */
export function ditParameterCount(config: Partial<DiTConfig> = {}, trainableOnly = true): number {
  return ditStateDictShapes(config)
    .filter(([k]) => !(trainableOnly && k === 'pos_embed'))
    .reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
}
