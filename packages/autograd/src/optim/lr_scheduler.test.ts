import { describe, expect, it } from 'vitest';
import { type Tensor, fromArray } from '@tessera/tensor';
import '../index.js';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  SGD,
  SequentialLR,
  StepLR,
  warmupCosine,
} from './index.js';

function setup(lrs = [1]): { opt: SGD; params: Tensor[] } {
  const params = lrs.map(() => fromArray([0], [1]).requiresGrad_());
  return { opt: new SGD(lrs.map((lr, i) => ({ params: [params[i]!], lr })), { lr: lrs[0]! }), params };
}

/** The lr of group 0 used by each of `n` steps (read before each scheduler.step()). */
function trace(opt: SGD, sched: { step(): void }, n: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    out.push(opt.paramGroups[0]!.lr);
    sched.step();
  }
  return out;
}

const close = (got: number[], want: number[]): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
};

describe('lr schedules (hand-computed)', () => {
  it('LinearLR warm-up: factor goes linearly from startFactor to endFactor over totalIters, then stays', () => {
    const { opt } = setup([0.8]);
    close(trace(opt, new LinearLR(opt, { startFactor: 0.25, totalIters: 3 }), 6), [0.2, 0.4, 0.6, 0.8, 0.8, 0.8]);
  });

  it('LinearLR can start from 0', () => {
    const { opt } = setup([1]);
    close(trace(opt, new LinearLR(opt, { startFactor: 0, totalIters: 4 }), 6), [0, 0.25, 0.5, 0.75, 1, 1]);
  });

  it('StepLR and MultiStepLR decay by gamma', () => {
    let { opt } = setup([1]);
    close(trace(opt, new StepLR(opt, { stepSize: 2, gamma: 0.5 }), 7), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
    ({ opt } = setup([1]));
    close(trace(opt, new MultiStepLR(opt, { milestones: [4, 1], gamma: 0.1 }), 6), [1, 0.1, 0.1, 0.1, 0.01, 0.01]);
    ({ opt } = setup([2]));
    close(trace(opt, new ExponentialLR(opt, { gamma: 0.5 }), 4), [2, 1, 0.5, 0.25]);
  });

  it('CosineAnnealingLR: etaMin + (base - etaMin)(1 + cos(πt/T))/2, continuing past T', () => {
    const { opt } = setup([1.1]);
    // T = 4: cos(πt/4) = 1, √½, 0, -√½, -1, -√½, 0
    const h = Math.SQRT1_2;
    const want = [1, (1 + h) / 2, 0.5, (1 - h) / 2, 0, (1 - h) / 2, 0.5].map((f) => 0.1 + 1 * f);
    close(trace(opt, new CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.1 }), 7), want);
  });

  it('LambdaLR: base·f(t), one function or one per group', () => {
    const { opt } = setup([1, 10]);
    const s = new LambdaLR(opt, [(t) => 1 / (t + 1), (t) => t]);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([1, 0]);
    s.step();
    s.step();
    expect(s.getLastLr()).toEqual([1 / 3, 20]);
    expect(() => new LambdaLR(opt, [(t) => t])).toThrow(/expected 2 lrLambdas/);
  });

  it('warm-up then cosine: SequentialLR restarts the cosine at the milestone', () => {
    const { opt } = setup([1]);
    const sched = warmupCosine(opt, { warmupSteps: 2, totalSteps: 6, startFactor: 0.5, etaMin: 0 });
    // warm-up 0.5, 0.75; then cosine over T = 4 from 1: 1, (1+√½)/2, 0.5, (1-√½)/2, 0
    const h = Math.SQRT1_2;
    close(trace(opt, sched, 7), [0.5, 0.75, 1, (1 + h) / 2, 0.5, (1 - h) / 2, 0]);
  });

  it('SequentialLR of three, with a LambdaLR in the middle', () => {
    const { opt } = setup([1]);
    const a = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const b = new LambdaLR(opt, (t) => 1 / (t + 1));
    const c = new ExponentialLR(opt, { gamma: 0.5 });
    const s = new SequentialLR(opt, [a, b, c], [2, 4]);
    close(trace(opt, s, 7), [0.5, 0.75, 1, 0.5, 1, 0.5, 0.25]);
    expect(() => new SequentialLR(opt, [a, b], [])).toThrow(/one milestone fewer/);
    const other = setup([1]).opt;
    expect(() => new SequentialLR(other, [a], [])).toThrow(/same optimizer/);
  });

  it('sets initialLr once (the first scheduler wins) and resumes with lastEpoch', () => {
    const { opt } = setup([0.5]);
    new StepLR(opt, { stepSize: 1, gamma: 0.1 }).step();
    expect(opt.paramGroups[0]!.initialLr).toBe(0.5);
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.05, 15);
    // A new scheduler resuming at step 3 uses initialLr, not the current lr.
    const s = new StepLR(opt, { stepSize: 1, gamma: 0.5, lastEpoch: 3 });
    expect(s.lastEpoch).toBe(4);
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.5 / 16, 15);
    const fresh = setup([1]).opt;
    expect(() => new StepLR(fresh, { stepSize: 1, lastEpoch: 3 })).toThrow(/initialLr is not set/);
  });

  it('stateDict / loadStateDict round-trips through JSON', () => {
    const { opt } = setup([1]);
    const s = new CosineAnnealingLR(opt, { tMax: 10 });
    for (let i = 0; i < 3; i++) s.step();
    const json = JSON.stringify(s.stateDict());
    const { opt: opt2 } = setup([1]);
    const s2 = new CosineAnnealingLR(opt2, { tMax: 10 });
    s2.loadStateDict(JSON.parse(json));
    expect(s2.lastEpoch).toBe(3);
    expect(opt2.paramGroups[0]!.lr).toBe(opt.paramGroups[0]!.lr);
    s.step();
    s2.step();
    expect(s2.getLastLr()).toEqual(s.getLastLr());
  });
});
