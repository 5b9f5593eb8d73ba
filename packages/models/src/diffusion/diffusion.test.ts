/**
 * Gaussian diffusion: the spec's check values (../shared/specs/models.md §2), respacing, the
 * samplers' algebra and the loss's stop-gradient. PyTorch parity is in dit/golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, full, memory, randn, tensor, zeros } from '@tessera/tensor';
import '@tessera/autograd';
import {
  GaussianDiffusion,
  LossSecondMomentResampler,
  UniformSampler,
  computeTables,
  createDiffusion,
  getNamedBetaSchedule,
  linspace64,
  roundHalfEven,
  spaceTimesteps,
} from './index.js';

const close = (a: number, b: number, rel = 1e-9): void => {
  expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.abs(b) + 1e-300);
};

const arr = (t: Tensor): number[] => Array.from(t.dataSync());

describe('beta schedules and tables', () => {
  it('linear T=1000 matches the spec test values', () => {
    const t = computeTables(getNamedBetaSchedule('linear', 1000));
    close(t.betas[0]!, 1e-4);
    close(t.betas[1]!, 1.1991991992e-4, 1e-10);
    close(t.betas[2]!, 1.3983983984e-4, 1e-10);
    close(t.betas[499]!, 1.004004004e-2, 1e-10);
    close(t.betas[999]!, 0.02);
    close(t.alphasCumprod[0]!, 0.9999, 1e-12);
    close(t.alphasCumprod[1]!, 9.9978009207e-1, 1e-10);
    close(t.alphasCumprod[2]!, 9.9964028298e-1, 1e-10);
    close(t.alphasCumprod[499]!, 7.8587242882e-2, 1e-9);
    close(t.alphasCumprod[999]!, 4.0358297654e-5, 1e-9);
    expect(t.posteriorVariance[0]).toBe(0);
    close(t.posteriorVariance[1]!, 5.4531876613e-5, 1e-9);
    close(t.posteriorVariance[2]!, 8.5489115231e-5, 1e-9);
    close(t.posteriorVariance[999]!, 1.9999983527e-2, 1e-9);
    close(t.posteriorLogVarianceClipped[0]!, -9.8167251353, 1e-10);
    close(t.posteriorLogVarianceClipped[1]!, -9.8167251353, 1e-10);
    close(t.posteriorLogVarianceClipped[2]!, -9.3671214974, 1e-10);
    close(t.posteriorLogVarianceClipped[499]!, -4.6020395501, 1e-10);
    close(t.posteriorLogVarianceClipped[999]!, -3.9120238291, 1e-10);
    close(t.logBetas[0]!, -9.210340372, 1e-10);
    close(t.logBetas[1]!, -9.0286863719, 1e-10);
    close(t.logBetas[499]!, -4.6011741767, 1e-10);
    close(t.logBetas[999]!, -3.9120230054, 1e-10);
    expect(t.alphasCumprodPrev[0]).toBe(1);
    expect(t.alphasCumprodNext[999]).toBe(0);
    expect(t.fixedLargeVariance[0]).toBe(t.posteriorVariance[1]);
    expect(t.fixedLargeVariance[5]).toBe(t.betas[5]);
  });

  it('linear scales by 1000/T; numpy linspace ends exactly on stop', () => {
    const b = getNamedBetaSchedule('linear', 100);
    close(b[0]!, 1e-3, 1e-12);
    expect(b[99]).toBe(10 * 0.02);
    const l = linspace64(0.1, 0.7, 7);
    expect(l[6]).toBe(0.7);
    expect(l[3]).toBe(3 * ((0.7 - 0.1) / 6) + 0.1);
  });

  it('squaredcos_cap_v2 follows ᾱ(s) = cos²((s+0.008)/1.008·π/2) and caps β at 0.999', () => {
    const b = getNamedBetaSchedule('squaredcos_cap_v2', 1000);
    const ab = (s: number): number => Math.cos(((s + 0.008) / 1.008) * Math.PI / 2) ** 2;
    close(b[0]!, 1 - ab(0.001) / ab(0), 1e-12);
    close(b[500]!, 1 - ab(0.501) / ab(0.5), 1e-12);
    expect(b[999]).toBe(0.999);
    expect(Math.max(...b)).toBeLessThanOrEqual(0.999);
  });

  it('rejects betas outside (0, 1]', () => {
    expect(() => computeTables([0.1, 0])).toThrow(/betas/);
    expect(() => computeTables([1.5])).toThrow(/betas/);
  });
});

describe('respacing', () => {
  it('rounds ties to even like Python', () => {
    expect([0.5, 1.5, 2.5, 166.5, 167.5, -0.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 166, 168, 0, 2, 3]);
    // count 7 on 1000 steps: stride 166.5, cur = 166.5 → 166 (JS Math.round would give 167).
    expect(spaceTimesteps(1000, '7')).toEqual([0, 166, 333, 500, 666, 832, 999]);
  });

  it('gives the spec check values', () => {
    const s250 = spaceTimesteps(1000, '250');
    expect(s250.length).toBe(250);
    expect(s250.slice(0, 8)).toEqual([0, 4, 8, 12, 16, 20, 24, 28]);
    expect(s250.slice(-5)).toEqual([983, 987, 991, 995, 999]);
    const s100 = spaceTimesteps(1000, '100');
    expect(s100.slice(0, 8)).toEqual([0, 10, 20, 30, 40, 50, 61, 71]);
    expect(s100.slice(-5)).toEqual([959, 969, 979, 989, 999]);
    expect(spaceTimesteps(1000, '50').slice(0, 5)).toEqual([0, 20, 41, 61, 82]);
    expect(spaceTimesteps(1000, '50').slice(-3)).toEqual([958, 979, 999]);
    expect(spaceTimesteps(1000, '25').slice(0, 5)).toEqual([0, 42, 83, 125, 166]);
    expect(spaceTimesteps(1000, '25').slice(-2)).toEqual([957, 999]);
    const d50 = spaceTimesteps(1000, 'ddim50');
    expect(d50.length).toBe(50);
    expect(d50[1]).toBe(20);
    expect(d50[49]).toBe(980);
  });

  it('splits comma lists into sections and validates', () => {
    const s = spaceTimesteps(1000, '10,15,20');
    expect(s.length).toBe(45);
    expect(s.filter((v) => v < 334).length).toBe(10);
    expect(spaceTimesteps(1000, [2, 2])).toEqual([0, 499, 500, 999]);
    expect(() => spaceTimesteps(10, '11')).toThrow(/cannot divide/);
    expect(() => spaceTimesteps(1000, 'ddim999')).toThrow(/integer stride/);
    expect(() => spaceTimesteps(1000, 'ddimx')).toThrow(/invalid count/);
  });

  it("the respaced process has its own betas and maps timesteps for the model", () => {
    const d = createDiffusion('250');
    expect(d.numTimesteps).toBe(250);
    close(d.betas[0]!, 1e-4, 1e-12);
    close(d.betas[1]!, 5.990656e-4, 1e-6);
    close(d.betas[2]!, 9.17603e-4, 1e-6);
    close(d.betas[249]!, 0.077519345, 1e-8);
    // ᾱ of the spaced process equals the original ᾱ at the kept steps.
    const base = computeTables(getNamedBetaSchedule('linear', 1000));
    d.timestepMap.forEach((orig, k) => close(d.alphasCumprod[k]!, base.alphasCumprod[orig]!, 1e-12));
    const seen: number[][] = [];
    const model = (x: Tensor, t: Tensor): Tensor => {
      seen.push(arr(t));
      return zeros([x.shape[0]!, 2 * x.shape[1]!, ...x.shape.slice(2)]);
    };
    const x = zeros([3, 1, 2, 2]);
    d.pMeanVariance(model, x, tensor(new Int32Array([0, 1, 249])));
    expect(seen[0]).toEqual([0, 4, 999]);
    expect(createDiffusion('').numTimesteps).toBe(1000);
    expect(createDiffusion(null).timestepMap[999]).toBe(999);
  });
});

describe('core operations', () => {
  const d = new GaussianDiffusion({ betas: getNamedBetaSchedule('linear', 1000) });

  it('qSample and the x0/eps conversions are consistent', () => {
    const g = new Generator(1);
    const x0 = randn([2, 3, 4, 4], { generator: g });
    const eps = randn([2, 3, 4, 4], { generator: g });
    const t = tensor(new Int32Array([10, 900]));
    const xt = d.qSample(x0, t, eps);
    const ab = d.tables.alphasCumprod[900]!;
    close(xt.dataSync()[60]!, Math.fround(Math.sqrt(ab)) * x0.dataSync()[60]! + Math.fround(Math.sqrt(1 - ab)) * eps.dataSync()[60]!, 1e-5);
    const x0b = d.predictXstartFromEps(xt, t, eps);
    const epsb = d.predictEpsFromXstart(xt, t, x0);
    arr(x0b).forEach((v, i) => expect(Math.abs(v - x0.dataSync()[i]!)).toBeLessThan(1e-3));
    arr(epsb).forEach((v, i) => expect(Math.abs(v - eps.dataSync()[i]!)).toBeLessThan(1e-3));
    // The posterior of the true x0 is what pMeanVariance returns for a perfect ε-predictor.
    const post = d.qPosterior(x0, xt, t);
    const fixed = new GaussianDiffusion({ betas: d.betas, modelVarType: 'fixedSmall' });
    const out = fixed.pMeanVariance(() => eps, xt, t, { clipDenoised: false });
    arr(out.mean).forEach((v, i) => expect(Math.abs(v - post.mean.dataSync()[i]!)).toBeLessThan(1e-4));
    expect(arr(out.variance)).toEqual(arr(post.variance));
  });

  it('learned-range variance interpolates between log σ̃² and log β', () => {
    const x = zeros([2, 1, 1, 1]);
    const t = tensor(new Int32Array([5, 5]));
    const out = d.pMeanVariance(() => tensor([[[[0]], [[-1]]], [[[0]], [[1]]]]), x, t);
    const lv = arr(out.logVariance);
    close(lv[0]!, Math.fround(d.tables.posteriorLogVarianceClipped[5]!), 1e-6);
    close(lv[1]!, Math.fround(d.tables.logBetas[5]!), 1e-6);
    expect(() => d.pMeanVariance(() => zeros([2, 1, 1, 1]), x, t)).toThrow(/2C|\[2,2,1,1\]/);
  });
});

describe('samplers', () => {
  const d = createDiffusion('10', { learnSigma: false });
  const eps0 = (x: Tensor): Tensor => x.mul(0);

  it('DDIM with eta 0 is deterministic; the generator drives DDPM and eta > 0', () => {
    const noise = randn([2, 1, 3, 3], { generator: new Generator(3) });
    const a = d.ddimSampleLoop((x) => x.mul(0.5), noise.shape, { noise, generator: new Generator(1) });
    const b = d.ddimSampleLoop((x) => x.mul(0.5), noise.shape, { noise, generator: new Generator(2) });
    expect(arr(a)).toEqual(arr(b));
    const c1 = d.pSampleLoop((x) => x.mul(0.5), noise.shape, { noise, generator: new Generator(1) });
    const c2 = d.pSampleLoop((x) => x.mul(0.5), noise.shape, { noise, generator: new Generator(1) });
    const c3 = d.pSampleLoop((x) => x.mul(0.5), noise.shape, { noise, generator: new Generator(2) });
    expect(arr(c1)).toEqual(arr(c2));
    expect(arr(c1)).not.toEqual(arr(c3));
    const e1 = d.ddimSampleLoop((x) => x.mul(0.5), noise.shape, { noise, eta: 1, generator: new Generator(1) });
    expect(arr(e1)).not.toEqual(arr(a));
    expect(noise.isDisposed).toBe(false);
  });

  it('a DDIM step with eta 0 and ε = 0 scales x by √(ᾱ′/ᾱ); reverse DDIM inverts it', () => {
    const x = full([1, 1, 2, 2], 0.7);
    const t = tensor(new Int32Array([5]));
    const step = d.ddimSample(eps0, x, t, { clipDenoised: false });
    const ab = Math.fround(d.alphasCumprod[5]!);
    const abp = Math.fround(d.tables.alphasCumprodPrev[5]!);
    close(step.sample.dataSync()[0]!, 0.7 * Math.sqrt(abp / ab), 1e-5);
    const back = d.ddimReverseSample(eps0, step.sample, tensor(new Int32Array([4])), { clipDenoised: false });
    close(back.sample.dataSync()[0]!, 0.7, 1e-5);
    expect(() => d.ddimReverseSample(eps0, x, t, { eta: 0.5 })).toThrow(/eta/);
  });

  it('DDPM adds no noise at t = 0 and reports progress', () => {
    const x = full([2, 1, 2, 2], 0.3);
    const t0 = tensor(new Int32Array([0, 0]));
    const out = d.pSample(eps0, x, t0, { clipDenoised: false, generator: new Generator(9) });
    const mean = d.pMeanVariance(eps0, x, t0, { clipDenoised: false }).mean;
    expect(arr(out.sample)).toEqual(arr(mean));
    const calls: number[] = [];
    d.pSampleLoop(eps0, [1, 1, 2, 2], { generator: new Generator(0), progress: (k, n) => calls.push(k * 100 + n) });
    expect(calls).toEqual(Array.from({ length: 10 }, (_, k) => (k + 1) * 100 + 10));
  });
});

describe('memory', () => {
  it('loops, the loss and pMeanVariance free their intermediates', () => {
    const d = createDiffusion('5');
    const model = (x: Tensor): Tensor => x.mul(0.5).add(0.1).reshape([x.shape[0]!, 1, 2, 2]).expand([x.shape[0]!, 2, 2, 2]).mul(1);
    const noise = randn([2, 1, 2, 2], { generator: new Generator(0) });
    const x0 = randn([2, 1, 2, 2], { generator: new Generator(1) });
    const t = tensor(new Int32Array([0, 3]));
    // Warm the float32 table caches, then count.
    d.ddimSampleLoop(model, noise.shape, { noise }).dispose();
    d.pSampleLoop(model, noise.shape, { noise }).dispose();
    const l0 = d.trainingLosses(model, x0, t, { noise });
    for (const v of new Set(Object.values(l0))) v.dispose();
    const before = memory().numTensors;
    d.ddimSampleLoop(model, noise.shape, { noise, eta: 0.5 }).dispose();
    d.pSampleLoop(model, noise.shape, { noise }).dispose();
    d.pSampleLoop(model, noise.shape, { generator: new Generator(2) }).dispose();
    const l = d.trainingLosses(model, x0, t, { generator: new Generator(3) });
    for (const v of new Set(Object.values(l))) v.dispose();
    const p = d.pMeanVariance(model, noise, t);
    for (const v of Object.values(p)) v.dispose();
    expect(memory().numTensors).toBe(before);
    d.dispose();
    expect(memory().numTensors).toBeLessThan(before);
  });
});

describe('training loss', () => {
  it('is mse + vb per sample; the VB term reaches only the variance channels', () => {
    const d = createDiffusion('');
    const g = new Generator(4);
    const x0 = randn([3, 2, 4, 4], { generator: g }).clamp(-1, 1);
    const noise = randn([3, 2, 4, 4], { generator: g });
    const t = tensor(new Int32Array([0, 10, 999]));
    const w = randn([1, 4, 4, 4], { generator: g }).mul(0.3);
    w.requiresGrad = true;
    const model = (x: Tensor): Tensor => w.expand([x.shape[0]!, 4, 4, 4]).add(0);
    const terms = d.trainingLosses(model, x0, t, { noise });
    const [loss, mse, vb] = [arr(terms.loss), arr(terms.mse!), arr(terms.vb!)];
    loss.forEach((v, i) => close(v, mse[i]! + vb[i]!, 1e-6));
    // With the VB term cut off from ε, d(vb)/d(ε channels) = 0: ε's gradient is the MSE's alone.
    terms.vb!.sum().backward();
    const grad = arr(w.grad!);
    const C = 2;
    for (let c = 0; c < 4; c++) {
      const block = grad.slice(c * 16, (c + 1) * 16);
      if (c < C) expect(block.every((v) => v === 0)).toBe(true);
      else expect(block.some((v) => v !== 0)).toBe(true);
    }
  });

  it('uses the decoder NLL at t = 0 and the KL elsewhere (bits)', () => {
    const d = createDiffusion('');
    const x0 = full([2, 1, 2, 2], 0.5);
    const noise = zeros([2, 1, 2, 2]);
    // Predict ε exactly (0) and v = 1 (variance β): the KL to the true posterior is small but not 0.
    const model = (x: Tensor): Tensor => tensor(new Float32Array(16).map((_, i) => ((i >> 2) % 2 === 1 ? 1 : 0)), { shape: [2, 2, 2, 2] }).add(x.mul(0).narrow(1, 0, 1));
    const vb = arr(d.trainingLosses(model, x0, tensor(new Int32Array([0, 500])), { noise }).vb!);
    expect(vb[0]).toBeGreaterThan(0); // −log2 of a bin's mass
    expect(vb[1]).toBeGreaterThan(0);
    expect(vb[1]).toBeLessThan(0.1);
  });
});

describe('timestep samplers', () => {
  it('uniform gives weights 1 and covers the range', () => {
    const s = new UniformSampler({ numTimesteps: 50 });
    const { timesteps, weights } = s.sample(2000, { generator: new Generator(0) });
    const ts = arr(timesteps);
    expect(Math.min(...ts)).toBe(0);
    expect(Math.max(...ts)).toBe(49);
    expect(arr(weights).every((w) => w === 1)).toBe(true);
  });

  it('loss-second-moment reweights after warm-up', () => {
    const s = new LossSecondMomentResampler({ numTimesteps: 4 }, 2, 0);
    expect(s.warmedUp()).toBe(false);
    s.updateWithAllLosses([0, 0, 1, 1, 2, 2, 3, 3], [1, 1, 1, 1, 1, 1, 3, 3]);
    expect(s.warmedUp()).toBe(true);
    const w = s.weights();
    close(w[3]!, 0.5, 1e-12);
    const { timesteps, weights } = s.sample(1000, { generator: new Generator(0) });
    const ts = arr(timesteps);
    const frac3 = ts.filter((v) => v === 3).length / ts.length;
    expect(frac3).toBeGreaterThan(0.4);
    expect(arr(weights)[ts.indexOf(3)]).toBeCloseTo(0.5);
  });
});
