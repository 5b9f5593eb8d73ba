import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../cpu/index.js';
import { run1 } from '../dispatch.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { interpolate, type InterpolateOptions } from './interpolate.js';
import { permute, reshape } from './views.js';
import { fromFloat64 } from '../testing/cpu64.js';

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function t(data: ArrayLike<number>, shape: number[]): Tensor {
  return Tensor.fromBuffer(cpuBackend, Float32Array.from(data), shape, 'float32');
}

/** Deterministic pseudo-random values in [-1, 1). */
function rand(shape: number[], seed: number): Tensor {
  let s = seed >>> 0;
  return t(
    Array.from({ length: prod(shape) }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32) * 2 - 1;
    }),
    shape,
  );
}

const data = (x: Tensor): number[] => Array.from(x.dataSync());
const ramp = (n: number): Tensor => t(Array.from({ length: n }, (_, i) => i), [1, 1, n]);

function expectClose(actual: number[], expected: number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)))) throw new Error(`element ${i}: got ${a}, expected ${expected[i]}`);
  });
}

describe('interpolate nearest (PyTorch legacy)', () => {
  it('src = floor(dst · in/out)', () => {
    expect(data(interpolate(t([1, 2, 3], [1, 1, 3]), { size: 5 }))).toEqual([1, 1, 2, 2, 3]);
    expect(data(interpolate(t([1, 2, 3], [1, 1, 3]), { scaleFactor: 2 }))).toEqual([1, 1, 2, 2, 3, 3]);
    expect(data(interpolate(ramp(4), { size: 2 }))).toEqual([0, 2]);
    expect(data(interpolate(ramp(5), { size: 3 }))).toEqual([0, 1, 3]);
    expect(data(interpolate(ramp(4), { size: 6 }))).toEqual([0, 0, 1, 2, 2, 3]);
  });

  it('with scaleFactor, src = floor(dst / scale) (recompute_scale_factor unset)', () => {
    // in 4, scale 1.7: out floor(6.8) = 6, src = floor(dst · 0.588…), unlike size 6 above
    expect(data(interpolate(ramp(4), { scaleFactor: 1.7 }))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(data(interpolate(ramp(5), { scaleFactor: 0.7 }))).toEqual([0, 1, 2]);
  });

  it('uses the scale factor even when out == in or out == 2·in (PyTorch 1.13 channels-first cpu)', () => {
    // out 3 == in 3, but floor(dst / 1.2) repeats element 0
    expect(data(interpolate(ramp(3), { scaleFactor: 1.2 }))).toEqual([0, 0, 1]);
    // out 6 == 2·in, but floor(2 / 2.1) = 0
    expect(data(interpolate(ramp(3), { scaleFactor: 2.1 }))).toEqual([0, 0, 0, 1, 1, 2]);
    expect(data(interpolate(ramp(3), { scaleFactor: 1.2, mode: 'nearest-exact' }))).toEqual([0, 1, 2]);
  });

  it('2d and 3d, per-dim sizes', () => {
    const x = t([1, 2, 3, 4], [1, 1, 2, 2]);
    const y = interpolate(x, { size: [3, 4] });
    expect(y.shape).toEqual([1, 1, 3, 4]);
    expect(y.toArraySync()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4]]]]);
    const z = interpolate(t([1, 2], [1, 1, 2, 1, 1]), { scaleFactor: [2, 1, 3] });
    expect(z.shape).toEqual([1, 1, 4, 1, 3]);
    expect(data(z)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });

  it("'nearest-exact': src = floor((dst + 0.5) · in/out)", () => {
    expect(data(interpolate(ramp(3), { size: 5, mode: 'nearest-exact' }))).toEqual([0, 0, 1, 2, 2]);
    expect(data(interpolate(ramp(4), { size: 2, mode: 'nearest-exact' }))).toEqual([1, 3]);
    expect(data(interpolate(ramp(3), { scaleFactor: 2, mode: 'nearest-exact' }))).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

describe('interpolate linear modes', () => {
  it('linear, half-pixel centres clamped at 0', () => {
    expect(data(interpolate(t([0, 10], [1, 1, 2]), { size: 4, mode: 'linear' }))).toEqual([0, 2.5, 7.5, 10]);
    expect(data(interpolate(ramp(4), { size: 2, mode: 'linear' }))).toEqual([0.5, 2.5]);
    // on a ramp the value is the (clamped) source position: (dst + 0.5)·4/6 - 0.5
    expectClose(data(interpolate(ramp(4), { size: 6, mode: 'linear' })), [0, 0.5, 7 / 6, 11 / 6, 2.5, 3]);
    // with scaleFactor the positions use 1/scale: (dst + 0.5)/1.7 - 0.5
    expectClose(
      data(interpolate(ramp(4), { scaleFactor: 1.7, mode: 'linear' })),
      [0, 1, 2, 3, 4, 5].map((o) => Math.min(Math.max((o + 0.5) / 1.7 - 0.5, 0), 3)),
    );
  });

  it('linear with alignCorners', () => {
    expectClose(data(interpolate(t([0, 10], [1, 1, 2]), { size: 4, mode: 'linear', alignCorners: true })), [0, 10 / 3, 20 / 3, 10]);
    expectClose(data(interpolate(ramp(5), { size: 3, mode: 'linear', alignCorners: true })), [0, 2, 4]);
    // scaleFactor does not change the positions when corners align
    expectClose(data(interpolate(ramp(4), { scaleFactor: 1.7, mode: 'linear', alignCorners: true })), [0, 0.6, 1.2, 1.8, 2.4, 3]);
    // a single output takes the first element
    expect(data(interpolate(ramp(4), { size: 1, mode: 'linear', alignCorners: true }))).toEqual([0]);
  });

  it('bilinear', () => {
    const x = t([0, 1, 2, 3], [1, 1, 2, 2]);
    expectClose(data(interpolate(x, { size: 3, mode: 'bilinear', alignCorners: true })), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
    const p = [0, 0.25, 0.75, 1];
    expectClose(
      data(interpolate(x, { size: 4, mode: 'bilinear' })),
      p.flatMap((h) => p.map((w) => 2 * h + w)),
    );
    expectClose(data(interpolate(x, { scaleFactor: 2, mode: 'bilinear' })), p.flatMap((h) => p.map((w) => 2 * h + w)));
  });

  it('same size is the identity, even from a scale factor (as in PyTorch)', () => {
    expect(data(interpolate(ramp(3), { scaleFactor: 1.2, mode: 'linear' }))).toEqual([0, 1, 2]);
    expectClose(data(interpolate(ramp(3), { scaleFactor: 2.1, mode: 'linear' })), [0, 0.2142857, 0.6904762, 1.1666667, 1.6428571, 2]);
    const x = rand([2, 3, 4, 5], 1);
    expect(data(interpolate(x, { size: [4, 5], mode: 'bilinear' }))).toEqual(data(x));
    expect(data(interpolate(x, { size: [4, 5], mode: 'bilinear', alignCorners: true }))).toEqual(data(x));
    expect(data(interpolate(x, { size: [4, 5] }))).toEqual(data(x));
  });

  /** Applies 1-d linear interpolation along `dim` of a 5-d tensor, by moving it last. */
  function linearAlong(x: Tensor, dim: number, size: number, opts: Pick<InterpolateOptions, 'alignCorners'> & { scale?: number }): Tensor {
    const order = [0, 1, 2, 3, 4].filter((d) => d !== dim).concat(dim);
    const moved = permute(x, order);
    const lead = moved.shape.slice(0, 4);
    const flat3 = reshape(moved, [1, prod(lead), moved.shape[4]!]);
    const y = interpolate(flat3, { mode: 'linear', alignCorners: opts.alignCorners, ...(opts.scale ? { scaleFactor: opts.scale } : { size }) });
    const back = reshape(y, [...lead, y.shape[2]!]);
    const inverse = order.map((_, i) => order.indexOf(i));
    return permute(back, inverse);
  }

  for (const alignCorners of [false, true]) {
    it(`trilinear is linear along each dim in turn (alignCorners ${alignCorners})`, () => {
      const x = rand([2, 3, 3, 4, 5], 7);
      const size = [5, 3, 8];
      const y = interpolate(x, { size, mode: 'trilinear', alignCorners });
      expect(y.shape).toEqual([2, 3, 5, 3, 8]);
      let ref = x;
      for (let i = 0; i < 3; i++) ref = linearAlong(ref, i + 2, size[i]!, { alignCorners });
      expectClose(data(y), data(ref.contiguous()), 1e-5);
      const scales = [1.5, 0.8, 2.5];
      const ys = interpolate(x, { scaleFactor: scales, mode: 'trilinear', alignCorners });
      let refs = x;
      for (let i = 0; i < 3; i++) refs = linearAlong(refs, i + 2, 0, { alignCorners, scale: scales[i]! });
      expect(ys.shape).toEqual([2, 3, 4, 3, 12]);
      expectClose(data(ys), data(refs.contiguous()), 1e-5);
    });
  }

  it('reads non-contiguous input', () => {
    const xs = rand([2, 4, 3, 3], 9); // N H W C
    const x = permute(xs, [0, 3, 1, 2]);
    expect(data(interpolate(x, { size: [7, 5], mode: 'bilinear' }))).toEqual(data(interpolate(x.contiguous(), { size: [7, 5], mode: 'bilinear' })));
    expect(data(interpolate(x, { size: [7, 5] }))).toEqual(data(interpolate(x.contiguous(), { size: [7, 5] })));
  });
});

describe('interpolate validation', () => {
  const x = rand([1, 2, 4, 4], 1);
  it('mode must fit the rank', () => {
    expect(() => interpolate(x, { size: 8, mode: 'linear' })).toThrow(ShapeError);
    expect(() => interpolate(x, { size: 8, mode: 'linear' })).toThrow("interpolate: mode 'linear' needs a 3-d input, got shape [1,2,4,4] (4-d)");
    expect(() => interpolate(x, { size: 8, mode: 'trilinear' })).toThrow(/mode 'trilinear' needs a 5-d input/);
    expect(() => interpolate(rand([1, 2, 3, 4, 4], 1), { size: 8, mode: 'bilinear' })).toThrow(/mode 'bilinear' needs a 4-d input/);
    expect(() => interpolate(x, { size: 8, mode: 'bicubic' as 'bilinear' })).toThrow(ArgumentError);
    expect(() => interpolate(rand([4, 4], 1), { size: 8 })).toThrow('interpolate: input must have rank 3, 4 or 5 (batch, channels, 1 to 3 spatial dims), got shape [4,4]');
  });

  it('checks size, scaleFactor and alignCorners like PyTorch', () => {
    expect(() => interpolate(x, {})).toThrow('interpolate: exactly one of size and scaleFactor must be given');
    expect(() => interpolate(x, { size: 8, scaleFactor: 2 })).toThrow(ArgumentError);
    expect(() => interpolate(x, { size: [8, 8, 8] })).toThrow(/interpolate: size must be a number or a list of 2 numbers/);
    expect(() => interpolate(x, { scaleFactor: -1 })).toThrow(/scaleFactor\[0\] must be a positive number/);
    expect(() => interpolate(x, { scaleFactor: 0.1 })).toThrow(/interpolate: output size must be positive integers, got \[0,0\]/);
    expect(() => interpolate(x, { size: 8, alignCorners: true })).toThrow(/alignCorners can only be set with the linear modes/);
    expect(() => interpolate(x, { size: 8, mode: 'nearest-exact', alignCorners: false })).toThrow(/alignCorners can only be set with the linear modes/);
    expect(() => interpolate(t([], [1, 1, 0]), { size: 2 })).toThrow(/empty spatial dim/);
  });

  it('float32 only', () => {
    const xi = Tensor.fromBuffer(cpuBackend, new Int32Array(4), [1, 1, 4], 'int32');
    expect(() => interpolate(xi, { size: 8 })).toThrow(DTypeError);
    expect(() => run1('interpolate', [x], { size: [8], mode: 'nearest', alignCorners: false })).toThrow('interpolate: size must be a list of 2 ints, got [8]');
  });
});

describe('interpolate on the cpu64 oracle', () => {
  it('keeps float64 precision', () => {
    const x = fromFloat64([1 + 1e-12, 2], [1, 1, 2]);
    expect(Array.from(interpolate(x, { size: 4 }).dataSync())).toEqual([1 + 1e-12, 1 + 1e-12, 2, 2]);
    expect(interpolate(x, { size: 3, mode: 'linear', alignCorners: true }).dataSync()[0]).toBe(1 + 1e-12);
  });
});
