import { describe, expect, it } from 'vitest';
import { type Tensor, fromArray, manualSeed, memory, randn, tensor, tidy } from '@tessera/tensor';
import '../index.js';
import { SGD, clipGradNorm, clipGradValue } from './index.js';

const leaf = (data: number[]): Tensor => fromArray(data, [data.length]).requiresGrad_();
const values = (t: Tensor): number[] => [...t.dataSync()];
function free(ps: Tensor[]): void {
  for (const p of ps) {
    p.grad = null;
    p.dispose();
  }
}

describe('clipGradNorm', () => {
  it('returns the total 2-norm and scales by maxNorm / (norm + 1e-6) when above maxNorm', () => {
    const a = leaf([0, 0]);
    const b = leaf([0]);
    a.grad = tensor([3, 0]);
    b.grad = tensor([4]);
    const norm = clipGradNorm([a, b], 1);
    expect(norm.shape).toEqual([]);
    expect(norm.item()).toBeCloseTo(5, 6);
    const c = 1 / (5 + 1e-6);
    expect(values(a.grad!)[0]).toBeCloseTo(3 * c, 7);
    expect(values(b.grad!)[0]).toBeCloseTo(4 * c, 7);
    expect(values(a.grad!)[0]).toBeLessThan(0.6); // the 1e-6 makes the clipped norm slightly below maxNorm
    norm.dispose();
    free([a, b]);
  });

  it('leaves gradients below maxNorm unchanged (coefficient clamped to 1)', () => {
    const a = leaf([0, 0]);
    a.grad = tensor([0.3, -0.4]);
    const g = a.grad;
    const norm = clipGradNorm(a, 1);
    expect(norm.item()).toBeCloseTo(0.5, 6);
    expect(values(a.grad!)).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
    expect(a.grad).toBe(g); // in place: the gradient object is kept
    norm.dispose();
    free([a]);
  });

  it('supports inf, 1 and general p norms, and skips parameters without gradients', () => {
    const a = leaf([0, 0, 0]);
    const b = leaf([0]);
    const none = leaf([0]);
    const set = (): void => {
      a.grad = tensor([1, -2, 2]);
      b.grad = tensor([-4]);
    };
    const cases: [number, number][] = [
      [Infinity, 4],
      [1, 9],
      [2, 5],
      [3, Math.cbrt(1 + 8 + 8 + 64)],
    ];
    for (const [p, want] of cases) {
      set();
      const n = clipGradNorm([a, b, none], 100, p);
      expect(n.item()).toBeCloseTo(want, 5);
      n.dispose();
    }
    set();
    const n = clipGradNorm([a, b], 2, Infinity);
    expect(values(b.grad!)[0]).toBeCloseTo((-4 * 2) / (4 + 1e-6), 6);
    n.dispose();
    const z = clipGradNorm([none], 1);
    expect(z.item()).toBe(0);
    z.dispose();
    free([a, b, none]);
  });

  it('does not leak', () => {
    const a = leaf([1, 2, 3]);
    a.grad = tensor([10, 20, 30]);
    clipGradNorm(a, 1).dispose();
    const before = memory().numTensors;
    for (let i = 0; i < 50; i++) clipGradNorm(a, 1).dispose();
    expect(memory().numTensors).toBe(before);
    free([a]);
  });
});

describe('clipGradValue', () => {
  it('clamps each element into [-v, v]', () => {
    const a = leaf([0, 0, 0]);
    a.grad = tensor([-3, 0.5, 7]);
    clipGradValue([a], 1);
    expect(values(a.grad!)).toEqual([-1, 0.5, 1]);
    expect(() => clipGradValue([a], -1)).toThrow(/non-negative/);
    free([a]);
  });
});

describe('gradient accumulation', () => {
  it('K micro-batches with loss/K, then one step = one step on the whole batch', () => {
    manualSeed(3);
    const x = randn([8, 3]);
    const y = randn([8, 1]);
    const w0 = randn([3, 1]);
    const mse = (w: Tensor, xs: Tensor, ys: Tensor): Tensor => xs.matmul(w).sub(ys).square().mean();

    // One batch of 8.
    const wBig = w0.clone().requiresGrad_();
    const optBig = new SGD([wBig], { lr: 0.1, momentum: 0.9 });
    // K = 4 micro-batches of 2, each loss scaled by 1/K; gradients add up in .grad.
    const wAcc = w0.clone().requiresGrad_();
    const optAcc = new SGD([wAcc], { lr: 0.1, momentum: 0.9 });
    const K = 4;
    for (let step = 0; step < 3; step++) {
      tidy(() => mse(wBig, x, y).backward());
      optBig.step();
      optBig.zeroGrad();
      for (let k = 0; k < K; k++) {
        tidy(() => mse(wAcc, x.narrow(0, 2 * k, 2), y.narrow(0, 2 * k, 2)).div(K).backward());
      }
      clipGradNorm([wAcc], 1e9).dispose(); // clipping sits here, after the last micro-batch
      optAcc.step();
      optAcc.zeroGrad();
      const [a, b] = [values(wAcc), values(wBig)];
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
    }
    optBig.disposeState();
    optAcc.disposeState();
    for (const t of [x, y, w0, wBig, wAcc]) t.dispose();
  });
});
