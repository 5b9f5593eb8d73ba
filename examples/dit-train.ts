/**
 * A small class-conditional DiT trained on synthetic 16×16 shapes (one coloured shape per class)
 * with DiT's recipe (the diffusion loss with learned variance, uniform timesteps, label dropout for
 * classifier-free guidance, AdamW, an EMA of the weights), then sampled per class with guidance
 * into a PNG grid, one row per class. It is the `tessera` CLI's `dit train` followed by
 * `dit sample`:
 *
 *     npx tsx --tsconfig tsconfig.test.json examples/dit-train.ts [--steps 3000] [--backend auto|cpu|wasm|webgpu]
 *         [--sampler ddpm|ddim] [--out dit-samples.png] [--ckpt dit-ema.safetensors]
 *
 * On wasm (the default when it loads) the default run takes about 7 minutes on two cores and ends
 * near loss 0.025 with samples of the right colour and rough shape in every row. On cpu, pass
 * smaller flags (`tessera dit train --help` lists them).
 * @module
 */
import { parseArgs } from 'node:util';
import { main } from '@tessera/models/cli';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '3000' },
    backend: { type: 'string', default: 'auto' },
    sampler: { type: 'string', default: 'ddpm' },
    out: { type: 'string', default: 'dit-samples.png' },
    ckpt: { type: 'string', default: 'dit-ema.safetensors' },
  },
});

let code = await main(['dit', 'train', '--steps', values.steps!, '--backend', values.backend!, '--out', values.ckpt!]);
if (code === 0) {
  code = await main(['dit', 'sample', '--ckpt', values.ckpt!, '--sampler', values.sampler!, '--backend', values.backend!, '--out', values.out!]);
}
process.exitCode = code;
