import { describe, expect, it } from 'vitest';
import { fromArray, memory, tensor } from '@tessera/tensor';
import '../index.js';
import { Module } from '../nn/module.js';
import { EMA } from './index.js';

class Tiny extends Module {
  declare w: import('@tessera/tensor').Tensor;
  declare b: import('@tessera/tensor').Tensor;
  constructor(w: number[], b: number[]) {
    super();
    this.registerParameter('w', fromArray(w, [w.length]));
    this.registerParameter('b', fromArray(b, [b.length]));
  }
}

const values = (t: import('@tessera/tensor').Tensor): number[] => [...t.dataSync()];

describe('EMA', () => {
  it('starts as a copy, then ema = decay·ema + (1 - decay)·param', () => {
    const m = new Tiny([1, 2], [0]);
    const ema = new EMA(m, { decay: 0.9 });
    expect(values(ema.stateDict().w!)).toEqual([1, 2]);
    m.w.assign(tensor([11, 12]));
    ema.update();
    expect(values(ema.stateDict().w!)[0]).toBeCloseTo(0.9 * 1 + 0.1 * 11, 6);
    expect(values(ema.stateDict().w!)[1]).toBeCloseTo(0.9 * 2 + 0.1 * 12, 6);
    ema.update();
    expect(values(ema.stateDict().w!)[0]).toBeCloseTo(0.9 * 2 + 0.1 * 11, 5);
    expect(ema.numUpdates).toBe(2);
    // The model is untouched by update; the EMA does not track gradients.
    expect(values(m.w)).toEqual([11, 12]);
    expect(ema.stateDict().w!.requiresGrad).toBe(false);
    ema.update(0); // decay 0 = copy
    expect(values(ema.stateDict().w!)).toEqual([11, 12]);
    ema.dispose();
    m.dispose();
  });

  it('copyTo writes the average into a model of the same architecture; stateDict loads into a model', () => {
    const m = new Tiny([1, 1], [1]);
    const ema = new EMA(m, { decay: 0.5 });
    m.w.assign(tensor([3, 5]));
    ema.update();
    const evalModel = new Tiny([0, 0], [0]);
    ema.copyTo(evalModel);
    expect(values(evalModel.w)).toEqual([2, 3]);
    expect(values(evalModel.b)).toEqual([1]);
    // Later updates do not reach the copy.
    ema.update();
    expect(values(evalModel.w)).toEqual([2, 3]);
    const other = new Tiny([0, 0], [0]);
    other.loadStateDict(ema.stateDict());
    expect(values(other.w)).toEqual([2.5, 4]);
    const ema2 = new EMA(other, { decay: 0.5 });
    ema2.loadStateDict({ w: tensor([7, 7]), b: tensor([7]) });
    expect(values(ema2.stateDict().b!)).toEqual([7]);
    expect(() => ema2.copyTo(new Tiny([0], [0]))).toThrow(/'w' is \[1\] in the model, \[2\] in the average/);
    for (const x of [m, evalModel, other]) x.dispose();
    ema.dispose();
    ema2.dispose();
  });

  it('update() does not grow memory', () => {
    const m = new Tiny([1, 2, 3], [4]);
    const ema = new EMA(m, { decay: 0.99 });
    ema.update();
    const before = memory();
    for (let i = 0; i < 100; i++) ema.update();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
    ema.dispose();
    m.dispose();
  });
});
