import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../cpu/index.js';
import { run1, runOp } from '../dispatch.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { avgPool1d, avgPool2d, avgPool3d, maxPool1d, maxPool2d, maxPool3d } from './pool.js';
import { permute } from './views.js';
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

function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  if (prod(shape) === 0) return out;
  const idx = new Array<number>(shape.length).fill(0);
  for (;;) {
    out.push([...idx]);
    let d = shape.length - 1;
    for (; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
    if (d < 0) return out;
  }
}

const flat = (idx: readonly number[], shape: readonly number[]): number => idx.reduce((o, v, i) => o * shape[i]! + v, 0);

interface PoolGeom {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
}

/** Output size written out from PyTorch's docs (ceil/floor, then drop a last window starting in the right padding). */
function outSize(size: number, g: PoolGeom, i: number): number {
  const span = (size + 2 * g.padding[i]! - g.dilation[i]! * (g.kernel[i]! - 1) - 1) / g.stride[i]!;
  let o = (g.ceilMode ? Math.ceil(span) : Math.floor(span)) + 1;
  if (g.ceilMode && (o - 1) * g.stride[i]! >= size + g.padding[i]!) o--;
  return o;
}

/** Naive N-d max pooling: enumerate each window, skip positions outside the input, keep the first maximum. */
function naiveMax(x: Tensor, g: PoolGeom): { shape: number[]; values: number[]; indices: number[] } {
  const sp = x.shape.slice(2);
  const os = sp.map((s, i) => outSize(s, g, i));
  const xd = data(x);
  const values: number[] = [];
  const idxs: number[] = [];
  for (const [n, c] of indices(x.shape.slice(0, 2))) {
    for (const o of indices(os)) {
      let best = -Infinity;
      let bestIdx = -1;
      for (const k of indices(g.kernel)) {
        const pos = o.map((v, i) => v * g.stride[i]! - g.padding[i]! + k[i]! * g.dilation[i]!);
        if (pos.some((p, i) => p < 0 || p >= sp[i]!)) continue;
        const v = xd[flat([n!, c!, ...pos], x.shape)]!;
        if (v > best) {
          best = v;
          bestIdx = flat(pos, sp);
        }
      }
      values.push(best);
      idxs.push(bestIdx);
    }
  }
  return { shape: [...x.shape.slice(0, 2), ...os], values, indices: idxs };
}

/** Naive N-d average pooling following the documented divisor rules. */
function naiveAvg(x: Tensor, g: PoolGeom, countIncludePad: boolean, divisorOverride?: number): { shape: number[]; values: number[] } {
  const sp = x.shape.slice(2);
  const os = sp.map((s, i) => outSize(s, g, i));
  const xd = data(x);
  const values: number[] = [];
  for (const [n, c] of indices(x.shape.slice(0, 2))) {
    for (const o of indices(os)) {
      let sum = 0;
      let inside = 0;
      let padded = 0; // window positions inside the padded input
      for (const k of indices(g.kernel)) {
        const pos = o.map((v, i) => v * g.stride[i]! - g.padding[i]! + k[i]!);
        if (pos.every((p, i) => p < sp[i]! + g.padding[i]!)) padded++;
        if (pos.some((p, i) => p < 0 || p >= sp[i]!)) continue;
        inside++;
        sum += xd[flat([n!, c!, ...pos], x.shape)]!;
      }
      values.push(inside === 0 ? 0 : sum / (divisorOverride ?? (countIncludePad ? padded : inside)));
    }
  }
  return { shape: [...x.shape.slice(0, 2), ...os], values };
}

function expectClose(actual: number[], expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)))) throw new Error(`element ${i}: got ${a}, expected ${expected[i]}`);
  });
}

describe('maxPool', () => {
  it('2x2 windows on a 4x4 ramp, with indices', () => {
    const x = t(Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
    const y = maxPool2d(x, 2);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(data(y)).toEqual([5, 7, 13, 15]);
    const [v, i] = maxPool2d(x, 2, { returnIndices: true });
    expect(data(v)).toEqual([5, 7, 13, 15]);
    expect(i.dtype).toBe('int32');
    expect(data(i)).toEqual([5, 7, 13, 15]);
  });

  it('indices are flat within each (n, c) volume', () => {
    const x = t([3, 1, 2, 9, 4, 0, 5, 8, 7, 6, 1, 2], [1, 2, 6]);
    const [v, i] = maxPool1d(x, 3, { returnIndices: true });
    expect(v.shape).toEqual([1, 2, 2]);
    expect(data(v)).toEqual([3, 9, 8, 6]);
    expect(data(i)).toEqual([0, 3, 1, 3]);
    // 3-d: index (d·H + h)·W + w
    const z = t([0, 1, 2, 3, 4, 5, 6, 7].map((k) => (k === 6 ? 100 : k)), [1, 1, 2, 2, 2]);
    const [zv, zi] = maxPool3d(z, 2, { returnIndices: true });
    expect(data(zv)).toEqual([100]);
    expect(data(zi)).toEqual([6]);
  });

  it('pads with -inf and takes the first maximum on ties', () => {
    const x = t([-5, -3, -3, -7], [1, 1, 4]);
    const [v, i] = maxPool1d(x, 3, { stride: 1, padding: 1, returnIndices: true });
    expect(data(v)).toEqual([-3, -3, -3, -3]);
    expect(data(i)).toEqual([1, 1, 1, 2]);
  });

  it('propagates NaN like PyTorch', () => {
    const x = t([1, NaN, 3, 4], [1, 1, 4]);
    const [v, i] = maxPool1d(x, 2, { returnIndices: true });
    expect(Number.isNaN(data(v)[0])).toBe(true);
    expect(data(i)).toEqual([1, 3]);
  });

  it('ceil mode keeps a last window only if it starts inside the input or left padding', () => {
    const x = t([1, 2, 3, 4, 5], [1, 1, 5]);
    expect(data(maxPool1d(x, 2, { ceilMode: true }))).toEqual([2, 4, 5]);
    expect(data(maxPool1d(x, 2))).toEqual([2, 4]);
    // floor((5 + 2 - 2 + 1) / 2) + 1 = 4, but window 3 would start at 5 (right padding): 3 outputs.
    const [v, i] = maxPool1d(x, 2, { padding: 1, ceilMode: true, returnIndices: true });
    expect(data(v)).toEqual([1, 3, 5]);
    expect(data(i)).toEqual([0, 2, 4]);
  });

  const cases: (PoolGeom & { shape: number[] })[] = [
    { shape: [2, 3, 11], kernel: [3], stride: [2], padding: [1], dilation: [2], ceilMode: false },
    { shape: [2, 2, 10], kernel: [4], stride: [3], padding: [2], dilation: [1], ceilMode: true },
    { shape: [2, 3, 7, 9], kernel: [3, 2], stride: [2, 2], padding: [1, 1], dilation: [1, 1], ceilMode: false },
    { shape: [1, 2, 8, 7], kernel: [3, 3], stride: [2, 3], padding: [1, 0], dilation: [2, 1], ceilMode: true },
    { shape: [1, 2, 5, 6, 7], kernel: [2, 3, 2], stride: [1, 2, 2], padding: [1, 1, 0], dilation: [1, 1, 2], ceilMode: false },
    { shape: [2, 1, 5, 5, 5], kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1], dilation: [1, 1, 1], ceilMode: true },
  ];
  const fns = [maxPool1d, maxPool2d, maxPool3d];
  cases.forEach((c, n) => {
    it(`matches a naive pooling (${c.shape.length - 2}d case ${n})`, () => {
      const x = rand(c.shape, 10 + n);
      const [v, i] = fns[c.shape.length - 3]!(x, c.kernel, { stride: c.stride, padding: c.padding, dilation: c.dilation, ceilMode: c.ceilMode, returnIndices: true });
      const ref = naiveMax(x, c);
      expect(v.shape).toEqual(ref.shape);
      expect(data(v)).toEqual(ref.values.map(Math.fround));
      expect(data(i)).toEqual(ref.indices);
    });
  });

  it('reads non-contiguous input and accepts unbatched input', () => {
    const xs = rand([2, 6, 5, 3], 5); // N H W C
    const x = permute(xs, [0, 3, 1, 2]);
    const y = maxPool2d(x, [3, 2], { stride: 1, padding: [1, 0] });
    expect(data(y)).toEqual(naiveMax(x.contiguous(), { kernel: [3, 2], stride: [1, 1], padding: [1, 0], dilation: [1, 1], ceilMode: false }).values.map(Math.fround));
    const u = rand([3, 6, 5], 6);
    const yu = maxPool2d(u, 2);
    expect(yu.shape).toEqual([3, 3, 2]);
    const [vu, iu] = maxPool2d(u, 2, { returnIndices: true });
    expect(vu.shape).toEqual([3, 3, 2]);
    expect(iu.shape).toEqual([3, 3, 2]);
  });

  it('the op has two outputs: values and int32 indices', () => {
    const outs = runOp('maxPool', [rand([1, 1, 4, 4], 1)], { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false });
    expect(outs.map((o) => o.dtype)).toEqual(['float32', 'int32']);
  });
});

describe('avgPool', () => {
  it('hand-computed 1d: padding, countIncludePad, divisorOverride, ceil mode', () => {
    const x = t([1, 2, 3, 4, 5], [1, 1, 5]);
    expect(data(avgPool1d(x, 2))).toEqual([1.5, 3.5]);
    // the last ceil-mode window [4, 6) is clipped to the input: divisor 1
    expect(data(avgPool1d(x, 2, { ceilMode: true }))).toEqual([1.5, 3.5, 5]);
    expect(data(avgPool1d(x, 2, { padding: 1 }))).toEqual([0.5, 2.5, 4.5]);
    expect(data(avgPool1d(x, 2, { padding: 1, countIncludePad: false }))).toEqual([1, 2.5, 4.5]);
    expectClose(data(avgPool1d(x, 2, { padding: 1, divisorOverride: 3 })), [1 / 3, 5 / 3, 3]);
    expectClose(data(avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true })), [3 / 3, 9 / 3, 9 / 3]);
  });

  it('2d on a 4x4 ramp', () => {
    const x = t(Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
    expect(data(avgPool2d(x, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(data(avgPool2d(x, 2, { stride: 1 }))).toEqual([2.5, 3.5, 4.5, 6.5, 7.5, 8.5, 10.5, 11.5, 12.5]);
  });

  const cases: (PoolGeom & { shape: number[]; cip: boolean; div?: number })[] = [
    { shape: [2, 3, 11], kernel: [3], stride: [2], padding: [1], dilation: [1], ceilMode: true, cip: true },
    { shape: [2, 3, 11], kernel: [3], stride: [2], padding: [1], dilation: [1], ceilMode: true, cip: false },
    { shape: [2, 3, 7, 9], kernel: [3, 2], stride: [2, 2], padding: [1, 1], dilation: [1, 1], ceilMode: false, cip: true },
    { shape: [1, 2, 8, 7], kernel: [3, 4], stride: [2, 3], padding: [1, 2], dilation: [1, 1], ceilMode: true, cip: false },
    { shape: [1, 2, 8, 7], kernel: [3, 4], stride: [2, 3], padding: [1, 2], dilation: [1, 1], ceilMode: true, cip: true, div: 5 },
    { shape: [1, 2, 5, 6, 7], kernel: [2, 3, 2], stride: [1, 2, 2], padding: [1, 1, 0], dilation: [1, 1, 1], ceilMode: false, cip: true },
    { shape: [2, 1, 6, 5, 5], kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1], dilation: [1, 1, 1], ceilMode: true, cip: false },
  ];
  const fns = [avgPool1d, avgPool2d, avgPool3d];
  cases.forEach((c, n) => {
    it(`matches a naive pooling (${c.shape.length - 2}d case ${n})`, () => {
      const x = rand(c.shape, 40 + n);
      const y = fns[c.shape.length - 3]!(x, c.kernel, { stride: c.stride, padding: c.padding, ceilMode: c.ceilMode, countIncludePad: c.cip, divisorOverride: c.div });
      const ref = naiveAvg(x, c, c.cip, c.div);
      expect(y.shape).toEqual(ref.shape);
      expectClose(data(y), ref.values);
    });
  });

  it('reads non-contiguous input and accepts unbatched input', () => {
    const x = permute(rand([2, 6, 5, 3], 5), [0, 3, 1, 2]);
    const g = { kernel: [2, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 1], ceilMode: false };
    expectClose(data(avgPool2d(x, [2, 3], { stride: [2, 1], padding: 1 })), naiveAvg(x.contiguous(), g, true).values);
    expect(avgPool3d(rand([2, 4, 4, 4], 1), 2).shape).toEqual([2, 2, 2, 2]);
  });
});

describe('pool validation', () => {
  const x = rand([1, 2, 6, 6], 1);
  it('rejects padding over half the kernel, like PyTorch', () => {
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow(ArgumentError);
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow('maxPool2d: padding should be at most half of kernel size, got padding [2,2] for kernelSize [3,3]');
    expect(() => avgPool2d(x, 2, { padding: [1, 2] })).toThrow(/avgPool2d: padding should be at most half/);
    // half of the kernel, not of the dilated window
    expect(() => maxPool1d(rand([1, 1, 9], 1), 2, { padding: 2, dilation: 3 })).toThrow(/at most half/);
  });

  it('rejects outputs that would be empty', () => {
    expect(() => maxPool2d(x, 7)).toThrow(ShapeError);
    expect(() => maxPool2d(x, 7)).toThrow(/maxPool2d: input \[1,2,6,6\] gives output size \[0,0\], too small/);
    expect(() => avgPool1d(rand([1, 1, 2], 1), 3)).toThrow(/avgPool1d: .*too small/);
    // PyTorch's avg_pool3d alone wants the unpadded input to hold the window
    expect(() => avgPool3d(rand([1, 1, 1, 4, 4], 1), 2, { padding: 1 })).toThrow('avgPool3d: input [1,1,1,4,4] is smaller than kernelSize [2,2,2] (PyTorch requires this for avg_pool3d even with padding)');
    expect(avgPool2d(rand([1, 1, 1, 4], 1), 2, { padding: 1 }).shape).toEqual([1, 1, 1, 3]);
  });

  it('checks ranks, dtypes and arguments', () => {
    expect(() => maxPool2d(rand([6, 6], 1), 2)).toThrow('maxPool2d: input must have rank 3 (unbatched) or 4 (batched), got shape [6,6]');
    const xi = Tensor.fromBuffer(cpuBackend, new Int32Array(36), [1, 1, 6, 6], 'int32');
    expect(() => maxPool2d(xi, 2)).toThrow(DTypeError);
    expect(() => avgPool2d(xi, 2)).toThrow('avgPool2d: input [1,1,6,6] has dtype int32, expected float32');
    expect(() => maxPool2d(x, [2, 2, 2])).toThrow(/maxPool2d: kernelSize must be an int or a list of 2 ints/);
    expect(() => maxPool2d(x, 0)).toThrow(ArgumentError);
    expect(() => avgPool2d(x, 2, { divisorOverride: 0 })).toThrow('avgPool2d: divisorOverride must not be zero');
    expect(() => run1('avgPool', [x], { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: 'yes' })).toThrow(ArgumentError);
  });
});

describe('pool on the cpu64 oracle', () => {
  it('keeps float64 precision', () => {
    const x = fromFloat64([1 + 1e-12, 1, 3, 3 + 3e-12], [1, 1, 4]);
    expect(Array.from(maxPool1d(x, 2).dataSync())).toEqual([1 + 1e-12, 3 + 3e-12]);
    expect(Array.from(avgPool1d(x, 2).dataSync())).toEqual([1 + 0.5e-12, 3 + 1.5e-12]);
  });
});
