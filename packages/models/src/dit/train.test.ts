/**
 * Training proof: a tiny class-conditional DiT learns the synthetic shapes with DiT's loss
 * (ε-MSE + the VB term for the learned variance) and AdamW, until the loss falls clearly below
 * its start. Sized for a few seconds on the reference cpu backend: hidden 32, one block, batch 8,
 * a high learning rate, and timesteps stratified over [0, 1000) to keep the loss's noise low
 * (uniform in expectation, like train.py's randint).
 */
import { describe, expect, it } from 'vitest';
import { Generator, tensor, tidy } from '@tessera/tensor';
import { optim } from '@tessera/autograd';
import { createDiffusion } from '../diffusion/index.js';
import { shapesBatch } from '../data/shapes.js';
import { DiT } from './index.js';

describe('DiT training', () => {
  it('drives the diffusion loss clearly below its start', () => {
    const g = new Generator(0);
    const B = 8;
    const model = new DiT({ inputSize: 16, patchSize: 4, inChannels: 3, hiddenSize: 32, depth: 1, numHeads: 2, numClasses: 4, generator: g });
    const diffusion = createDiffusion('');
    const opt = new optim.AdamW(model.trainableParameters(), { lr: 1e-2, weightDecay: 0 });
    const ema = new optim.EMA(model, { decay: 0.9 });
    const losses: number[] = [];
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    for (let step = 0; step < 40; step++) {
      const { images, labels } = shapesBatch(B, { generator: g });
      const t = tensor(Int32Array.from({ length: B }, (_, i) => Math.floor(((i + g.uniform()) / B) * 1000)));
      losses.push(
        tidy(() => {
          const loss = diffusion.trainingLosses((x, tt) => model.forward(x, tt, labels), images, t, { generator: g }).loss.mean();
          loss.backward();
          return loss.item();
        }),
      );
      opt.step();
      opt.zeroGrad();
      ema.update();
      images.dispose();
      labels.dispose();
      t.dispose();
      if (losses.length >= 5 && mean(losses.slice(-3)) < 0.7 * losses[0]!) break;
    }
    // At adaLN-Zero initialisation the output is 0, so the ε-MSE starts at E[ε²] = 1.
    expect(losses[0]).toBeGreaterThan(0.9);
    expect(mean(losses.slice(-3)), `losses: ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(0.7 * losses[0]!);
    expect(losses.every(Number.isFinite)).toBe(true);
    // The frozen position table did not move; the EMA tracks the trained weights.
    expect(model.pos_embed.grad).toBeNull();
    expect(ema.numUpdates).toBe(losses.length);
    ema.dispose();
    opt.disposeState();
    model.dispose();
    diffusion.dispose();
  });
});
