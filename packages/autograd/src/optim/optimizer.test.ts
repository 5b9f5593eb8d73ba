import { describe, expect, it } from 'vitest';
import { type Tensor, ArgumentError, fromArray, memory, tensor, tidy } from '@tessera/tensor';
import '../index.js';
import { noGrad } from '../functional.js';
import {
  Adam,
  AdamW,
  LinearLR,
  type Optimizer,
  SGD,
  disposeOptimizerState,
  loadOptimizerState,
  saveOptimizerState,
  warmupCosine,
} from './index.js';

const leaf = (data: number[], shape = [data.length]): Tensor => fromArray(data, shape).requiresGrad_();
const values = (t: Tensor): number[] => [...t.dataSync()];

/** A deterministic gradient that depends on the parameter (so trajectories diverge if state is lost). */
function setGrads(params: Tensor[], k: number): void {
  noGrad(() => {
    params.forEach((p, i) => {
      p.grad = tidy(() => p.mul(0.3).add(Math.sin(k + 1.7 * i)).mul(k % 3 === 0 ? 2 : 0.5));
    });
  });
}

function freeAll(params: Tensor[], ...opts: Optimizer<any>[]): void {
  for (const o of opts) o.disposeState();
  for (const p of params) {
    p.grad = null;
    p.dispose();
  }
}

describe('SGD', () => {
  it('takes p - lr·g', () => {
    const p = leaf([1, 2]);
    p.grad = tensor([0.5, -1]);
    new SGD([p], { lr: 0.1 }).step();
    expect(values(p)).toEqual([Math.fround(1 - Math.fround(0.05)), Math.fround(2 + 0.1)]);
    freeAll([p]);
  });

  it('momentum: the first step copies g into the buffer, then buf = m·buf + (1-d)·g', () => {
    const p = leaf([0]);
    const opt = new SGD([p], { lr: 1, momentum: 0.5, dampening: 0.5 });
    p.grad = tensor([1]);
    opt.step(); // buf = 1, p = -1
    expect(values(p)).toEqual([-1]);
    p.grad = tensor([1]);
    opt.step(); // buf = 0.5 + 0.5 = 1, p = -2
    expect(values(p)).toEqual([-2]);
    p.grad = tensor([2]);
    opt.step(); // buf = 0.5 + 1 = 1.5, p = -3.5
    expect(values(p)).toEqual([-3.5]);
    expect(values(opt.state.get(p)!.momentumBuffer as Tensor)).toEqual([1.5]);
    freeAll([p], opt);
  });

  it('keeps the parameter object and updates it in place (assign)', () => {
    const p = leaf([1, 2, 3]);
    const opt = new SGD([p], { lr: 0.5 });
    p.grad = tensor([1, 1, 1]);
    opt.step();
    expect(values(p)).toEqual([0.5, 1.5, 2.5]);
    expect(opt.paramGroups[0]!.params[0]).toBe(p);
    expect(p.requiresGrad).toBe(true);
    freeAll([p], opt);
  });

  it('skips parameters without a gradient and creates no state for them', () => {
    const a = leaf([1]);
    const b = leaf([1]);
    const opt = new SGD([a, b], { lr: 1, momentum: 0.9 });
    a.grad = tensor([1]);
    opt.step();
    expect(values(a)).toEqual([0]);
    expect(values(b)).toEqual([1]);
    expect(opt.state.has(a)).toBe(true);
    expect(opt.state.has(b)).toBe(false);
    freeAll([a, b], opt);
  });

  it('validates hyperparameters like PyTorch', () => {
    const p = leaf([1]);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/invalid learning rate/);
    expect(() => new SGD([p], { lr: 0.1, momentum: -0.1 })).toThrow(/invalid momentum/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening/);
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(ArgumentError);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow(/more than one parameter group/);
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 })).toThrow(/more than one parameter group/);
    const nonLeaf = p.mul(2);
    expect(() => new SGD([nonLeaf], { lr: 0.1 })).toThrow(/non-leaf/);
    nonLeaf.dispose();
    p.dispose();
  });
});

describe('Adam / AdamW', () => {
  it('first Adam step moves each element by lr·sign(g) (bias correction)', () => {
    const p = leaf([1, 1, 1]);
    p.grad = tensor([3, -0.001, 20]);
    const opt = new Adam([p], { lr: 0.1 });
    opt.step();
    // m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps).
    const got = values(p);
    [0.9, 1.1, 0.9].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(opt.state.get(p)!.step).toBe(1);
    freeAll([p], opt);
  });

  it('AdamW decays the parameter by (1 - lr·wd) independently of the gradient; Adam adds wd·p to it', () => {
    const a = leaf([2]);
    const b = leaf([2]);
    a.grad = tensor([0]);
    b.grad = tensor([0]);
    const adamw = new AdamW([a], { lr: 0.1, weightDecay: 0.5 });
    const adam = new Adam([b], { lr: 0.1, weightDecay: 0.5 });
    adamw.step();
    adam.step();
    expect(values(a)[0]).toBeCloseTo(2 * (1 - 0.05), 6); // g = 0: only the decoupled decay
    expect(values(b)[0]).toBeCloseTo(2 - 0.1, 5); // g' = wd·p = 1 -> a full lr step
    expect(adamw.defaults.weightDecay).toBe(0.5);
    expect(new AdamW([leaf([0])]).defaults.weightDecay).toBe(0.01);
    expect(new Adam([leaf([0])]).defaults).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    freeAll([a, b], adamw, adam);
  });

  it('amsgrad keeps the running max of v', () => {
    const p = leaf([0]);
    const opt = new Adam([p], { lr: 0.1, amsgrad: true, betas: [0.5, 0.5] });
    p.grad = tensor([4]);
    opt.step(); // v = 8
    p.grad = tensor([0]);
    opt.step(); // v = 4, vmax = 8
    expect(values(opt.state.get(p)!.expAvgSq as Tensor)).toEqual([4]);
    expect(values(opt.state.get(p)!.maxExpAvgSq as Tensor)).toEqual([8]);
    freeAll([p], opt);
  });

  it('validates betas and eps', () => {
    const p = leaf([1]);
    expect(() => new Adam([p], { betas: [1, 0.9] })).toThrow(/beta parameter at index 0/);
    expect(() => new Adam([p], { betas: [0.9, -0.1] })).toThrow(/beta parameter at index 1/);
    expect(() => new AdamW([p], { eps: -1 })).toThrow(/epsilon/);
    p.dispose();
  });
});

describe('parameter groups', () => {
  it('take the defaults unless they override them; lr may be changed between steps', () => {
    const a = leaf([1]);
    const b = leaf([1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: undefined }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([
      [0.1, 0.9],
      [0.5, 0.9],
    ]);
    a.grad = tensor([1]);
    b.grad = tensor([1]);
    opt.step();
    expect(values(a)[0]).toBeCloseTo(0.9, 6);
    expect(values(b)[0]).toBeCloseTo(0.5, 6);
    opt.paramGroups[1]!.lr = 0;
    opt.step();
    expect(values(b)[0]).toBeCloseTo(0.5, 6);
    opt.addParamGroup({ params: [leaf([0])], lr: 3 });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 3, momentum: 0.9, nesterov: false });
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than one/);
    freeAll([a, b, opt.paramGroups[2]!.params[0]!], opt);
  });

  it('zeroGrad clears (default) or zero-fills the gradients', () => {
    const p = leaf([1, 2]);
    const opt = new SGD([p], { lr: 1 });
    p.grad = tensor([1, 1]);
    opt.zeroGrad(false);
    expect(values(p.grad!)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    freeAll([p], opt);
  });

  it('step(closure) evaluates the closure with grad enabled and returns its loss', () => {
    const p = leaf([3]);
    const opt = new SGD([p], { lr: 0.25 });
    const loss = opt.step(() => {
      p.grad = tensor([4]);
      return tensor(7);
    });
    expect(loss!.item()).toBe(7);
    expect(values(p)).toEqual([2]);
    loss!.dispose();
    freeAll([p], opt);
  });
});

describe('memory', () => {
  for (const [name, make] of [
    ['SGD nesterov', (ps: Tensor[]) => new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })],
    ['Adam amsgrad', (ps: Tensor[]) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
    ['AdamW', (ps: Tensor[]) => new AdamW(ps, { lr: 0.01, maximize: true })],
  ] as const) {
    it(`${name}: no growth over 200 steps`, () => {
      const params = [leaf([1, 2, 3, 4, 5, 6], [2, 3]), leaf([0.5, -0.5])];
      const opt = make(params);
      setGrads(params, 0);
      opt.step();
      const before = memory();
      for (let k = 1; k <= 200; k++) {
        setGrads(params, k);
        opt.step();
      }
      const after = memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      expect(after.numBuffers).toBe(before.numBuffers);
      freeAll(params, opt);
    });
  }
});

describe('stateDict / loadStateDict', () => {
  it('has PyTorch layout: state by parameter index, groups with hyperparameters and indices', () => {
    const a = leaf([1, 2]);
    const b = leaf([3]);
    const c = leaf([4]);
    const opt = new Adam([{ params: [a, b] }, { params: [c], lr: 0.5 }], { lr: 0.1, amsgrad: true });
    b.grad = tensor([1]);
    c.grad = tensor([1]);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state).sort()).toEqual(['1', '2']);
    expect(sd.state[1]!.step).toBe(1);
    expect(Object.keys(sd.state[2]!).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [0, 1] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [2] },
    ]);
    expect(() => new Adam([a, b, c]).loadStateDict(sd)).toThrow(/2 parameter groups/);
    expect(() => new Adam([{ params: [a] }, { params: [b, c] }]).loadStateDict(sd)).toThrow(/group 0 of the dict has 2 parameters/);
    // Loading its own live state dict works (copies before disposing).
    opt.loadStateDict(sd);
    expect(values(opt.state.get(c)!.expAvg as Tensor)[0]).toBeCloseTo(0.1, 7);
    freeAll([a, b, c], opt);
  });

  const makers: [string, (ps: Tensor[]) => Optimizer<any>][] = [
    ['SGD momentum + nesterov', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['Adam amsgrad + wd', (ps) => new Adam(ps, { lr: 0.02, amsgrad: true, weightDecay: 0.05 })],
    ['AdamW, two groups', (ps) => new AdamW([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.003, betas: [0.8, 0.9] }], { lr: 0.01 })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: save after N steps, load into a fresh optimizer, continue = uninterrupted run, bit for bit`, async () => {
      const N = 7;
      const M = 9;
      const init = (): Tensor[] => [leaf([0.3, -1.2, 2, 0.01, -0.7, 1.1], [2, 3]), leaf([5, -3])];

      // Uninterrupted, with a warm-up + cosine schedule.
      const ref = init();
      const refOpt = make(ref);
      const refSched = warmupCosine(refOpt, { warmupSteps: 3, totalSteps: N + M, startFactor: 0.1, etaMin: 1e-4 });
      for (let k = 0; k < N + M; k++) {
        setGrads(ref, k);
        refOpt.step();
        refSched.step();
      }

      // N steps, then save parameters, optimizer and scheduler.
      const run = init();
      const opt1 = make(run);
      const sched1 = warmupCosine(opt1, { warmupSteps: 3, totalSteps: N + M, startFactor: 0.1, etaMin: 1e-4 });
      for (let k = 0; k < N; k++) {
        setGrads(run, k);
        opt1.step();
        sched1.step();
      }
      const bytes = await saveOptimizerState(opt1.stateDict());
      const schedJson = JSON.stringify(sched1.stateDict());
      const saved = run.map((p) => ({ data: [...p.dataSync()], shape: [...p.shape] }));
      freeAll(run, opt1);

      // A fresh process, in effect: new parameters, new optimizer (other hyperparameters), load.
      const resumed = saved.map((s) => leaf(s.data, s.shape));
      const opt2 = make(resumed);
      for (const g of opt2.paramGroups) g.lr = 123;
      const sched2 = warmupCosine(opt2, { warmupSteps: 3, totalSteps: N + M, startFactor: 0.1, etaMin: 1e-4 });
      const sd = loadOptimizerState(bytes);
      opt2.loadStateDict(sd);
      disposeOptimizerState(sd);
      sched2.loadStateDict(JSON.parse(schedJson));
      for (let k = N; k < N + M; k++) {
        setGrads(resumed, k);
        opt2.step();
        sched2.step();
      }
      resumed.forEach((p, i) => expect(values(p)).toEqual(values(ref[i]!)));
      expect(opt2.paramGroups.map((g) => g.lr)).toEqual(refOpt.paramGroups.map((g) => g.lr));
      freeAll(ref, refOpt);
      freeAll(resumed, opt2);
    });
  }

  it('loadStateDict checks shapes before changing anything', () => {
    const a = leaf([1, 2]);
    const opt = new Adam([a]);
    a.grad = tensor([1, 1]);
    opt.step();
    const sd = opt.stateDict();
    const b = leaf([1, 2, 3]);
    const other = new Adam([b]);
    expect(() => other.loadStateDict(sd)).toThrow(/state 'expAvg' of parameter 0 is \[2\], the parameter \[3\]/);
    expect(other.state.size).toBe(0);
    freeAll([a, b], opt, other);
  });

  it('a scheduler resumes from its state and keeps initialLr in the optimizer state dict', () => {
    const p = leaf([1]);
    const opt = new SGD([p], { lr: 0.1 });
    const s = new LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
    s.step();
    expect(opt.stateDict().paramGroups[0]).toMatchObject({ lr: 0.1 * (0.5 + 0.5 / 4), initialLr: 0.1 });
    freeAll([p], opt);
  });
});
