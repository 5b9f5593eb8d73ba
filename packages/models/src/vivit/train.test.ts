/**
 * A small factorised-encoder ViViT learns the motion set above chance in a few seconds on the cpu
 * backend (the full run to >= 95% is examples/vivit-train.ts). Deterministic: fixed seeds for the
 * weights, the training stream and the held-out clips.
 */
import { describe, expect, it } from 'vitest';
import { Generator } from '@tessera/tensor';
import { motionStats, motionVideos } from '../data/motion.js';
import { ViViT } from './index.js';
import { evaluateClassifier, trainClassifier } from './train.js';

describe('trainClassifier', () => {
  it('trains a small ViViT on moving squares above chance (1/8)', () => {
    const data = { frames: 4, size: 16, squareSize: [3, 5] as [number, number], speed: [1.5, 2.5] as [number, number], distractors: 0, noise: 0.05 };
    const { mean, std } = motionStats({ ...data, seed: 99 }, 32);
    const test = motionVideos({ ...data, n: 128, seed: 2 });
    const testX = test.x.sub(mean).div(std);
    const model = new ViViT({
      imageSize: 16,
      patchSize: 8,
      numFrames: 4,
      tubeletSize: 2,
      numClasses: 8,
      inChannels: 1,
      dim: 16,
      depth: 1,
      heads: 2,
      dimHead: 8,
      scaleDim: 2,
      generator: new Generator(0),
    });
    const before = evaluateClassifier(model, testX, test.y);
    const losses: number[] = [];
    trainClassifier(model, {
      steps: 40,
      lr: 1e-2,
      batch: (step) => {
        const b = motionVideos({ ...data, n: 16, seed: 1000 + step });
        return { x: b.x.sub(mean).div(std), y: b.y };
      },
      onStep: (_step, loss) => losses.push(loss.item()),
    });
    expect(losses).toHaveLength(40);
    const after = evaluateClassifier(model, testX, test.y);
    expect(model.training).toBe(true); // evaluateClassifier restores the mode
    expect(after).toBeGreaterThan(0.2);
    expect(after).toBeGreaterThan(before);
    const avg = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(avg(losses.slice(-8))).toBeLessThan(avg(losses.slice(0, 8)));
    model.dispose();
  });

  it('rejects a step count that is not a positive integer', () => {
    const model = new ViViT({ imageSize: 8, patchSize: 4, numFrames: 2, numClasses: 2, dim: 8, depth: 1, heads: 1, dimHead: 8 });
    expect(() => trainClassifier(model, { steps: 0, batch: () => ({ x: motionVideos({ n: 1 }).x, y: motionVideos({ n: 1 }).y }) })).toThrow(
      /steps must be an integer >= 1, got 0/,
    );
    model.dispose();
  });
});
