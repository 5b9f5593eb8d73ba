/**
 * `init`: PyTorch's `torch.nn.init` formulas (gains, fans, bounds) and the statistics of what each
 * function draws, on tensors large enough for tight tolerances.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, memory, tensor, zeros } from '@tessera/tensor';
import '../index.js';
import * as init from '../init.js';

function stats(t: Tensor): { min: number; max: number; mean: number; std: number } {
  const d = t.dataSync();
  let min = Infinity;
  let max = -Infinity;
  let s = 0;
  for (const v of d) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    s += v;
  }
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(ss / d.length) };
}

const gen = (): { generator: Generator } => ({ generator: new Generator(5) });

describe('calculateGain and calculateFanInAndFanOut (PyTorch values)', () => {
  it('gains', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('conv_transpose3d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish' as init.Nonlinearity)).toThrow("calculateGain: unsupported nonlinearity 'swish'");
  });

  it('fans', () => {
    expect(init.calculateFanInAndFanOut([3, 4])).toEqual([4, 3]); // Linear [out, in]
    expect(init.calculateFanInAndFanOut([8, 2, 3, 5])).toEqual([30, 120]); // Conv2d [out, in/g, kh, kw]
    expect(init.calculateFanInAndFanOut(zeros([6, 2, 3]))).toEqual([6, 18]);
    expect(() => init.calculateFanInAndFanOut([5])).toThrow('calculateFanInAndFanOut: fan in and fan out need a tensor with at least 2 dims, got [5]');
  });
});

describe('distributions', () => {
  it('uniform(a, b) stays in [a, b] with the right mean and std', () => {
    const s = stats(init.uniform(zeros([200, 100]), -2, 3, gen()));
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(3);
    expect(s.mean).toBeCloseTo(0.5, 1);
    expect(s.std).toBeCloseTo(5 / Math.sqrt(12), 1);
  });

  it('normal(mean, std)', () => {
    const s = stats(init.normal(zeros([200, 100]), 1.5, 0.25, gen()));
    expect(s.mean).toBeCloseTo(1.5, 2);
    expect(s.std / 0.25).toBeCloseTo(1, 1);
  });

  it('constant, zeros, ones', () => {
    expect(init.constant(zeros([2, 2]), 0.5).toArraySync()).toEqual([[0.5, 0.5], [0.5, 0.5]]);
    expect(init.ones(zeros([3])).toArraySync()).toEqual([1, 1, 1]);
    expect(init.zeros(tensor([1, 2])).toArraySync()).toEqual([0, 0]);
  });

  it('xavierUniform: U(±gain·√(6/(fanIn+fanOut)))', () => {
    const t = init.xavierUniform(zeros([300, 100]), 2, gen());
    const a = 2 * Math.sqrt(6 / 400);
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-a);
    expect(s.max).toBeLessThanOrEqual(a);
    expect(s.max).toBeGreaterThan(0.99 * a);
    expect(s.std / (a / Math.sqrt(3))).toBeCloseTo(1, 1);
  });

  it('xavierNormal: std gain·√(2/(fanIn+fanOut))', () => {
    const s = stats(init.xavierNormal(zeros([100, 50, 3]), 1, gen())); // fans 150, 300
    expect(s.std / Math.sqrt(2 / 450)).toBeCloseTo(1, 1);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
  });

  it('kaimingUniform: bound gain·√(3/fan); a = √5 gives 1/√fanIn (Linear, Conv)', () => {
    const s = stats(init.kaimingUniform(zeros([400, 64]), { a: Math.sqrt(5), ...gen() }));
    expect(s.min).toBeGreaterThanOrEqual(-1 / 8);
    expect(s.max).toBeLessThanOrEqual(1 / 8);
    expect(s.max).toBeGreaterThan(0.99 / 8);
    const r = stats(init.kaimingUniform(zeros([64, 400]), { mode: 'fan_out', nonlinearity: 'relu', ...gen() }));
    const bound = Math.SQRT2 * Math.sqrt(3 / 64);
    expect(r.max).toBeLessThanOrEqual(bound);
    expect(r.max).toBeGreaterThan(0.99 * bound);
    expect(() => init.kaimingUniform(zeros([2, 2]), { mode: 'fan_avg' as init.FanMode })).toThrow(/mode must be 'fan_in' or 'fan_out'/);
  });

  it('kaimingNormal: std gain/√fan', () => {
    const s = stats(init.kaimingNormal(zeros([200, 50, 2]), { nonlinearity: 'relu', ...gen() })); // fanIn 100
    expect(s.std / (Math.SQRT2 / 10)).toBeCloseTo(1, 1);
  });

  it('truncNormal stays in [a, b] with the truncated distribution’s std', () => {
    const s = stats(init.truncNormal(zeros([200, 100]), 0, 1, -2, 2, gen()));
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(2);
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(s.std).toBeCloseTo(0.8796, 1); // std of N(0,1) truncated to [-2, 2]
    // ViT's trunc_normal_(std=.02): the bounds ±2 are 100 std away, so it is a plain N(0, 0.02²).
    const v = stats(init.truncNormal(zeros([200, 100]), 0, 0.02, -2, 2, gen()));
    expect(v.std / 0.02).toBeCloseTo(1, 1);
    // One-sided: N(1, 1) on [1, 3] has mean 1 + φ(0)-φ(2) / (Φ(2)-Φ(0)) ≈ 1.7228.
    const o = stats(init.truncNormal(zeros([200, 100]), 1, 1, 1, 3, gen()));
    expect(o.min).toBeGreaterThanOrEqual(1);
    expect(o.mean).toBeCloseTo(1.7228, 1);
  });
});

describe('in place, reproducible, no leaks', () => {
  it('fills the given tensor object (held references see the new values) and returns it', () => {
    const t = zeros([3, 3]);
    const p = t.requiresGrad_();
    expect(init.ones(t)).toBe(t);
    expect(p.toArraySync()).toEqual([[1, 1, 1], [1, 1, 1], [1, 1, 1]]);
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
  });

  it('the same generator seed gives the same values', () => {
    const a = init.kaimingUniform(zeros([4, 4]), { generator: new Generator(1) }).toArraySync();
    const b = init.kaimingUniform(zeros([4, 4]), { generator: new Generator(1) }).toArraySync();
    const c = init.kaimingUniform(zeros([4, 4]), { generator: new Generator(2) }).toArraySync();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('releases the replaced buffers', () => {
    const t = zeros([16, 16]);
    const before = memory().numBuffers;
    init.xavierUniform(t);
    init.truncNormal(t);
    init.constant(t, 3);
    expect(memory().numBuffers).toBe(before);
  });

  it('rejects non-float tensors and bad arguments', () => {
    expect(() => init.normal(zeros([2], { dtype: 'int32' }))).toThrow('init.normal: tensor [2] must be float32, got int32');
    expect(() => init.uniform(zeros([2]), 1, 0)).toThrow('init.uniform: expected a <= b, got a=1, b=0');
    expect(() => init.truncNormal(zeros([2]), 0, 1, 2, 2)).toThrow(/expected a < b/);
  });
});
