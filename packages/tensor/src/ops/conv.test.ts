import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../cpu/index.js';
import { run1 } from '../dispatch.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d } from './conv.js';
import { permute } from './views.js';
import { fromFloat64 } from '../testing/cpu64.js';

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A float32 cpu tensor from flat values. */
function t(data: ArrayLike<number>, shape: number[]): Tensor {
  return Tensor.fromBuffer(cpuBackend, Float32Array.from(data), shape, 'float32');
}

/** Deterministic pseudo-random values in [-1, 1) (a small LCG; the tests need no RNG module). */
function rand(shape: number[], seed: number): Tensor {
  let s = seed >>> 0;
  const data = Array.from({ length: prod(shape) }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
  return t(data, shape);
}

const data = (x: Tensor): number[] => Array.from(x.dataSync());

/** Every multi-index of `shape`, row-major. */
function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const idx = new Array<number>(shape.length).fill(0);
  if (prod(shape) === 0) return out;
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

/** Row-major flat offset of `idx` in `shape`. */
const flat = (idx: readonly number[], shape: readonly number[]): number => idx.reduce((o, v, i) => o * shape[i]! + v, 0);

interface Geometry {
  stride: number[];
  padBefore: number[];
  padAfter: number[];
  dilation: number[];
  groups: number;
}

/**
 * An independent N-d convolution: per batch and group, unfold the input into a column matrix
 * (im2col: one row per (input channel, kernel offset), one column per output position) and
 * multiply by the weight matrix.
 */
function im2colConv(x: Tensor, w: Tensor, bias: Tensor | null, g: Geometry): { shape: number[]; data: number[] } {
  const xs = x.shape;
  const ws = w.shape;
  const xd = data(x);
  const wd = data(w);
  const bd = bias ? data(bias) : null;
  const [N, Cin] = [xs[0]!, xs[1]!];
  const Cout = ws[0]!;
  const cinG = Cin / g.groups;
  const coutG = Cout / g.groups;
  const inSp = xs.slice(2);
  const kSp = ws.slice(2);
  const outSp = inSp.map((s, i) => Math.floor((s + g.padBefore[i]! + g.padAfter[i]! - g.dilation[i]! * (kSp[i]! - 1) - 1) / g.stride[i]!) + 1);
  const outPos = indices(outSp);
  const kPos = indices(kSp);
  const out = new Array<number>(N * Cout * prod(outSp)).fill(0);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      // cols[r][c]: r = (ci, kernel offset), c = output position
      const cols: number[][] = [];
      for (let ci = 0; ci < cinG; ci++) {
        for (const k of kPos) {
          cols.push(
            outPos.map((o) => {
              const pos = o.map((v, i) => v * g.stride[i]! - g.padBefore[i]! + k[i]! * g.dilation[i]!);
              if (pos.some((p, i) => p < 0 || p >= inSp[i]!)) return 0;
              return xd[flat([n, grp * cinG + ci, ...pos], xs)]!;
            }),
          );
        }
      }
      for (let co = 0; co < coutG; co++) {
        const c = grp * coutG + co;
        const wRow = wd.slice(c * cinG * prod(kSp), (c + 1) * cinG * prod(kSp));
        outPos.forEach((_, j) => {
          let acc = bd ? bd[c]! : 0;
          cols.forEach((row, r) => (acc += wRow[r]! * row[j]!));
          out[(n * Cout + c) * outPos.length + j] = acc;
        });
      }
    }
  }
  return { shape: [N, Cout, ...outSp], data: out };
}

function expectClose(actual: number[], expected: number[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]!) > tol * (1 + Math.abs(expected[i]!))) {
      throw new Error(`element ${i}: got ${a}, expected ${expected[i]}`);
    }
  });
}

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('conv hand-computed', () => {
  it('conv1d, with and without padding', () => {
    const x = t([1, 2, 3, 4], [1, 1, 4]);
    const w = t([1, 0, -1], [1, 1, 3]);
    expect(data(conv1d(x, w))).toEqual([-2, -2]);
    expect(data(conv1d(x, w, null, { padding: 1 }))).toEqual([-2, -2, -2, 3]);
    expect(data(conv1d(x, w, t([10], [1]), { padding: 1, stride: 2 }))).toEqual([8, 8]);
  });

  it("padding 'same' pads the extra element on the right, like PyTorch", () => {
    const x = t([1, 2, 3, 4], [1, 1, 4]);
    // k=2: total 1, nothing before, one after: [1,2,3,4,0]
    expect(data(conv1d(x, t([1, 1], [1, 1, 2]), null, { padding: 'same' }))).toEqual([3, 5, 7, 4]);
    // k=2, dilation 2: total 2, one each side: [0,1,2,3,4,0], out[i] = p[i] + p[i+2]
    expect(data(conv1d(x, t([1, 1], [1, 1, 2]), null, { padding: 'same', dilation: 2 }))).toEqual([2, 4, 6, 3]);
    // k=4: total 3, one before, two after
    const y = conv1d(x, t([1, 2, 3, 4], [1, 1, 4]), null, { padding: 'same' });
    expect(y.shape).toEqual([1, 1, 4]);
    expect(data(y)).toEqual([0 * 1 + 1 * 2 + 2 * 3 + 3 * 4, 1 + 4 + 9 + 16, 2 + 6 + 12, 3 + 8]);
    expect(data(conv1d(x, t([1, 1], [1, 1, 2]), null, { padding: 'valid' }))).toEqual([3, 5, 7]);
  });

  it('conv2d on a 3x3 image', () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = t([1, 0, 0, 1], [1, 1, 2, 2]);
    const y = conv2d(x, w);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(data(y)).toEqual([1 + 5, 2 + 6, 4 + 8, 5 + 9]);
  });

  it('accepts unbatched input like PyTorch', () => {
    const x = rand([3, 5, 6], 1);
    const w = rand([4, 3, 3, 3], 2);
    const y = conv2d(x, w, null, { padding: 1 });
    expect(y.shape).toEqual([4, 5, 6]);
    const yb = conv2d(run1('reshape', [x], { shape: [1, 3, 5, 6] }), w, null, { padding: 1 });
    expect(data(y)).toEqual(data(yb));
    expect(convTranspose1d(rand([2, 4], 3), rand([2, 3, 2], 4)).shape).toEqual([3, 5]);
  });
});

describe('conv against im2col', () => {
  const cases: { name: string; x: number[]; w: number[]; bias: boolean; stride: number[]; padding: number[]; dilation: number[]; groups: number }[] = [
    { name: '1d plain', x: [2, 3, 9], w: [4, 3, 3], bias: true, stride: [1], padding: [0], dilation: [1], groups: 1 },
    { name: '1d stride/pad/dilation/groups', x: [2, 4, 11], w: [6, 2, 3], bias: true, stride: [2], padding: [2], dilation: [2], groups: 2 },
    { name: '2d plain', x: [2, 3, 6, 7], w: [5, 3, 3, 3], bias: true, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
    { name: '2d mixed', x: [1, 4, 9, 8], w: [6, 2, 3, 2], bias: false, stride: [2, 3], padding: [1, 2], dilation: [2, 1], groups: 2 },
    { name: '2d depthwise', x: [2, 4, 5, 5], w: [8, 1, 3, 3], bias: true, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 4 },
    { name: '2d 1x1', x: [1, 6, 4, 3], w: [2, 6, 1, 1], bias: true, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
    { name: '3d', x: [1, 2, 4, 5, 6], w: [3, 2, 2, 3, 2], bias: true, stride: [1, 2, 1], padding: [1, 0, 1], dilation: [1, 1, 2], groups: 1 },
    { name: '3d groups', x: [2, 6, 3, 4, 4], w: [3, 2, 3, 2, 2], bias: false, stride: [2, 1, 2], padding: [1, 1, 0], dilation: [1, 2, 1], groups: 3 },
  ];
  const fns = [conv1d, conv2d, conv3d];
  for (const c of cases) {
    it(c.name, () => {
      const x = rand(c.x, 11);
      const w = rand(c.w, 12);
      const b = c.bias ? rand([c.w[0]!], 13) : null;
      const y = fns[c.x.length - 3]!(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
      const ref = im2colConv(x, w, b, { stride: c.stride, padBefore: c.padding, padAfter: c.padding, dilation: c.dilation, groups: c.groups });
      expect(y.shape).toEqual(ref.shape);
      expectClose(data(y), ref.data);
    });
  }

  it('asymmetric padding through the op attributes', () => {
    const x = rand([1, 2, 5, 6], 21);
    const w = rand([3, 2, 2, 3], 22);
    const y = run1('conv', [x, w], { stride: [1, 2], padding: [0, 1, 2, 0], dilation: [1, 1], groups: 1 });
    const ref = im2colConv(x, w, null, { stride: [1, 2], padBefore: [0, 1], padAfter: [2, 0], dilation: [1, 1], groups: 1 });
    expect(y.shape).toEqual(ref.shape);
    expectClose(data(y), ref.data);
  });

  it("'same' keeps the size for every kernel, dilation and dim", () => {
    for (const [k, d] of [[1, 1], [2, 1], [3, 1], [4, 1], [2, 3], [3, 2]] as const) {
      const x = rand([1, 2, 7, 6], 30 + k);
      const w = rand([3, 2, k, k], 40 + k);
      const y = conv2d(x, w, null, { padding: 'same', dilation: d });
      const total = d * (k - 1);
      const ref = im2colConv(x, w, null, {
        stride: [1, 1],
        padBefore: [Math.floor(total / 2), Math.floor(total / 2)],
        padAfter: [total - Math.floor(total / 2), total - Math.floor(total / 2)],
        dilation: [d, d],
        groups: 1,
      });
      expect(y.shape).toEqual([1, 3, 7, 6]);
      expectClose(data(y), ref.data);
    }
    expect(conv3d(rand([1, 1, 3, 4, 5], 1), rand([2, 1, 2, 3, 4], 2), null, { padding: 'same' }).shape).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads non-contiguous input and weight', () => {
    // Channels-last storage permuted to NCHW, weight stored [kH, kW, Cin, Cout].
    const xNhwc = rand([2, 5, 4, 3], 51);
    const wHwio = rand([3, 3, 3, 4], 52);
    const x = permute(xNhwc, [0, 3, 1, 2]);
    const w = permute(wHwio, [3, 2, 0, 1]);
    expect(x.isContiguous()).toBe(false);
    const y = conv2d(x, w, null, { padding: 1, stride: [2, 1] });
    const ref = im2colConv(x.contiguous(), w.contiguous(), null, { stride: [2, 1], padBefore: [1, 1], padAfter: [1, 1], dilation: [1, 1], groups: 1 });
    expectClose(data(y), ref.data);
  });

  it('conv1d and conv3d agree with conv2d on size-1 dims', () => {
    const x = rand([2, 3, 10], 61);
    const w = rand([4, 3, 3], 62);
    const b = rand([4], 63);
    const y1 = conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 });
    const x2 = run1('reshape', [x], { shape: [2, 3, 1, 10] });
    const w2 = run1('reshape', [w], { shape: [4, 3, 1, 3] });
    const y2 = conv2d(x2, w2, b, { stride: [1, 2], padding: [0, 1], dilation: [1, 2] });
    expectClose(data(y1), data(y2), 1e-6);
    const x3 = run1('reshape', [x], { shape: [2, 3, 1, 1, 10] });
    const w3 = run1('reshape', [w], { shape: [4, 3, 1, 1, 3] });
    const y3 = conv3d(x3, w3, b, { stride: [1, 1, 2], padding: [0, 0, 1], dilation: [1, 1, 2] });
    expectClose(data(y1), data(y3), 1e-6);
  });

  it('batch of zero gives an empty output', () => {
    const y = conv2d(t([], [0, 2, 4, 4]), rand([3, 2, 3, 3], 1));
    expect(y.shape).toEqual([0, 3, 2, 2]);
  });
});

describe('convTranspose', () => {
  it('hand-computed 1d', () => {
    const x = t([1, 2], [1, 1, 2]);
    const w = t([1, 1, 1], [1, 1, 3]);
    expect(data(convTranspose1d(x, w, null, { stride: 2 }))).toEqual([1, 1, 3, 2, 2]);
    expect(data(convTranspose1d(x, w, null, { stride: 2, padding: 1 }))).toEqual([1, 3, 2]);
    expect(data(convTranspose1d(x, w, null, { stride: 2, outputPadding: 1 }))).toEqual([1, 1, 3, 2, 2, 0]);
    expect(data(convTranspose1d(x, w, t([5], [1]), { dilation: 2 }))).toEqual([6, 7, 6, 7, 6, 7]);
  });

  it('output size (in-1)·stride - 2·pad + dil·(k-1) + outputPadding + 1', () => {
    const y = convTranspose2d(rand([2, 4, 5, 3], 1), rand([4, 3, 3, 2], 2), rand([6], 3), { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2], dilation: [1, 2], groups: 2 });
    expect(y.shape).toEqual([2, 6, 4 * 2 - 2 + 2 + 1 + 1, 2 * 3 + 2 + 2 + 1]);
    expect(convTranspose3d(rand([1, 2, 2, 3, 4], 1), rand([2, 1, 2, 2, 2], 2), null, { stride: 2 }).shape).toEqual([1, 1, 4, 6, 8]);
  });

  // <conv(x; w), y> == <x, convT(y; w)>: the transposed convolution is the adjoint of the
  // convolution with the same weight and geometry, outputPadding picking the input's size.
  const adj: { x: number[]; w: number[]; stride: number[]; padding: number[]; dilation: number[]; groups: number }[] = [
    { x: [2, 3, 9], w: [4, 3, 3], stride: [1], padding: [0], dilation: [1], groups: 1 },
    { x: [2, 4, 12], w: [6, 2, 3], stride: [3], padding: [2], dilation: [2], groups: 2 },
    { x: [2, 3, 7, 8], w: [4, 3, 3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 },
    { x: [1, 4, 9, 10], w: [6, 2, 3, 2], stride: [2, 3], padding: [1, 1], dilation: [2, 3], groups: 2 },
    { x: [1, 6, 6, 5], w: [6, 1, 3, 3], stride: [1, 2], padding: [0, 1], dilation: [1, 1], groups: 6 },
    { x: [1, 2, 5, 6, 7], w: [3, 2, 3, 2, 3], stride: [2, 1, 3], padding: [1, 0, 1], dilation: [1, 2, 1], groups: 1 },
    { x: [2, 4, 4, 5, 4], w: [2, 2, 2, 3, 2], stride: [1, 2, 2], padding: [1, 1, 0], dilation: [2, 1, 1], groups: 2 },
  ];
  const convs = [conv1d, conv2d, conv3d];
  const convTs = [convTranspose1d, convTranspose2d, convTranspose3d];
  adj.forEach((c, idx) => {
    it(`is the adjoint of conv (${c.x.length - 2}d case ${idx})`, () => {
      const n = c.x.length - 2;
      const x = rand(c.x, 100 + idx);
      const w = rand(c.w, 200 + idx);
      const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
      const cx = convs[n - 1]!(x, w, null, opts);
      const y = rand([...cx.shape], 300 + idx);
      const outputPadding = c.x.slice(2).map((s, i) => s - ((cx.shape[i + 2]! - 1) * c.stride[i]! - 2 * c.padding[i]! + c.dilation[i]! * (c.w[i + 2]! - 1) + 1));
      const ty = convTs[n - 1]!(y, w, null, { ...opts, outputPadding });
      expect(ty.shape).toEqual(c.x);
      const lhs = dot(data(cx), data(y));
      const rhs = dot(data(x), data(ty));
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * (1 + Math.abs(lhs)));
    });
  });

  it('is the adjoint of conv with asymmetric padding (op attributes)', () => {
    const x = rand([1, 2, 6, 7], 7);
    const w = rand([3, 2, 2, 4], 8);
    const attrs = { stride: [1, 2], padding: [0, 1, 1, 2], dilation: [1, 1], groups: 1 };
    const cx = run1('conv', [x, w], attrs);
    const y = rand([...cx.shape], 9);
    // in = (out-1)·s - pb - pa + d·(k-1) + 1 + outputPadding
    const outputPadding = [0, 1].map((i) => x.shape[i + 2]! - ((cx.shape[i + 2]! - 1) * attrs.stride[i]! - attrs.padding[i]! - attrs.padding[i + 2]! + (w.shape[i + 2]! - 1) + 1));
    const ty = run1('convTranspose', [y, w], { ...attrs, outputPadding });
    expect(ty.shape).toEqual(x.shape);
    expect(dot(data(cx), data(y))).toBeCloseTo(dot(data(x), data(ty)), 4);
  });

  it('equals a convolution of the zero-stuffed input with the flipped, transposed weight', () => {
    const [Cin, CoutG, groups, k, s, p, d, op] = [4, 3, 2, [3, 2], [2, 3], [1, 0], [1, 2], [1, 2]];
    const x = rand([2, Cin, 3, 4], 71);
    const w = rand([Cin, CoutG, k[0]!, k[1]!], 72);
    const b = rand([CoutG * groups], 73);
    const y = convTranspose2d(x, w, b, { stride: s, padding: p, dilation: d, outputPadding: op, groups });
    // Stuff stride-1 zeros between input elements.
    const [H, W] = [x.shape[2]!, x.shape[3]!];
    const [SH, SW] = [(H - 1) * s[0]! + 1, (W - 1) * s[1]! + 1];
    const xd = data(x);
    const stuffed = new Array<number>(2 * Cin * SH * SW).fill(0);
    for (const [n, c, h, ww] of indices(x.shape)) stuffed[flat([n!, c!, h! * s[0]!, ww! * s[1]!], [2, Cin, SH, SW])] = xd[flat([n!, c!, h!, ww!], x.shape)]!;
    // Weight [Cout, Cin/groups, k] flipped in space: w'[g·CoutG+co, ci, a, b] = w[g·CinG+ci, co, kH-1-a, kW-1-b].
    const CinG = Cin / groups;
    const wd = data(w);
    const wf = new Array<number>(groups * CoutG * CinG * k[0]! * k[1]!);
    for (const [o, ci, a, bb] of indices([groups * CoutG, CinG, k[0]!, k[1]!])) {
      const g = Math.floor(o! / CoutG);
      wf[flat([o!, ci!, a!, bb!], [groups * CoutG, CinG, k[0]!, k[1]!])] = wd[flat([g * CinG + ci!, o! % CoutG, k[0]! - 1 - a!, k[1]! - 1 - bb!], w.shape)]!;
    }
    const full = (i: number): number => d[i]! * (k[i]! - 1) - p[i]!;
    const ref = im2colConv(t(stuffed, [2, Cin, SH, SW]), t(wf, [groups * CoutG, CinG, k[0]!, k[1]!]), b, {
      stride: [1, 1],
      padBefore: [full(0), full(1)],
      padAfter: [full(0) + op[0]!, full(1) + op[1]!],
      dilation: d,
      groups,
    });
    expect(y.shape).toEqual(ref.shape);
    expectClose(data(y), ref.data);
  });
});

describe('conv validation', () => {
  const x = rand([1, 4, 8, 8], 1);
  it('names the op, argument and shapes', () => {
    expect(() => conv2d(x, rand([8, 3, 3, 3], 2))).toThrow(ShapeError);
    expect(() => conv2d(x, rand([8, 3, 3, 3], 2))).toThrow('conv2d: weight [8,3,3,3] expects 3 input channels (groups 1), input [1,4,8,8] has 4');
    expect(() => conv2d(x, rand([8, 2, 3, 3], 2), null, { groups: 3 })).toThrow(/conv2d: .*not divisible by groups 3/);
    expect(() => conv2d(x, rand([6, 1, 3, 3], 2), null, { groups: 4 })).toThrow('conv2d: weight [6,1,3,3] has 6 output channels, not divisible by groups 4');
    expect(() => conv2d(x, rand([8, 4, 3, 3], 2), rand([4], 3))).toThrow('conv2d: bias must have shape [8] (one per output channel), got [4]');
    expect(() => conv2d(x, rand([8, 4, 3], 2))).toThrow(/conv2d: weight must have rank 4/);
    expect(() => conv2d(rand([4, 8], 1), rand([8, 4, 3, 3], 2))).toThrow('conv2d: input must have rank 3 (unbatched) or 4 (batched), got shape [4,8]');
    expect(() => conv2d(x, rand([8, 4, 9, 3], 2))).toThrow(/conv2d: .*smaller than the kernel/);
    expect(() => conv2d(x, rand([8, 4, 3, 3], 2), null, { stride: 0 })).toThrow(ArgumentError);
    expect(() => conv2d(x, rand([8, 4, 3, 3], 2), null, { padding: [1, 1, 1] })).toThrow(/conv2d: padding must be an int or a list of 2 ints/);
    expect(() => conv2d(x, rand([8, 4, 3, 3], 2), null, { padding: 'same', stride: 2 })).toThrow(/'same' is not supported for strided/);
    expect(() => conv1d(rand([1, 4, 8], 1), rand([8, 4, 3], 2), null, { padding: 'full' as 'same' })).toThrow(ArgumentError);
  });

  it('rejects non-float32 tensors with a DTypeError', () => {
    const xi = Tensor.fromBuffer(cpuBackend, new Int32Array(16), [1, 1, 4, 4], 'int32');
    expect(() => conv2d(xi, rand([1, 1, 2, 2], 1))).toThrow(DTypeError);
    expect(() => conv2d(xi, rand([1, 1, 2, 2], 1))).toThrow('conv2d: input [1,1,4,4] has dtype int32, expected float32');
    const bi = Tensor.fromBuffer(cpuBackend, new Int32Array(1), [1], 'int32');
    expect(() => convTranspose2d(rand([1, 1, 4, 4], 1), rand([1, 1, 2, 2], 1), bi)).toThrow('convTranspose2d: bias [1] has dtype int32, expected float32');
  });

  it('convTranspose checks channels and outputPadding like PyTorch', () => {
    expect(() => convTranspose2d(x, rand([3, 2, 3, 3], 2))).toThrow('convTranspose2d: weight [3,2,3,3] expects 3 input channels, input [1,4,8,8] has 4');
    expect(() => convTranspose2d(x, rand([4, 2, 3, 3], 2), null, { outputPadding: 1 })).toThrow(/convTranspose2d: outputPadding must be smaller than either stride or dilation/);
    // Allowed when below the dilation even with stride 1.
    expect(convTranspose2d(x, rand([4, 2, 3, 3], 2), null, { outputPadding: 1, dilation: 2 }).shape).toEqual([1, 2, 13, 13]);
    expect(() => convTranspose2d(x, rand([4, 2, 3, 3], 2), null, { groups: 3 })).toThrow(/not divisible by groups 3/);
    expect(() => convTranspose1d(rand([1, 1, 1], 1), rand([1, 1, 1], 2), null, { padding: 1 })).toThrow(/convTranspose1d: output size -1 .* too small/);
  });

  it('the op validates raw attributes too', () => {
    expect(() => run1('conv', [x, rand([8, 4, 3, 3], 2)], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 })).toThrow(
      'conv2d: padding must be a list of 4 ints, got [0,0]',
    );
    expect(() => run1('conv', [rand([2, 3], 1), rand([2, 3], 2)], {})).toThrow(/conv: input must have rank 3, 4 or 5/);
  });
});

describe('conv on the cpu64 oracle', () => {
  it('keeps float64 precision', () => {
    const x = fromFloat64([1 + 1e-12, 2], [1, 1, 2]);
    const w = fromFloat64([1, 1], [1, 1, 1]);
    expect(Array.from(conv1d(x, w).dataSync())).toEqual([1 + 1e-12, 2]);
    expect(Array.from(convTranspose1d(x, w).dataSync())).toEqual([1 + 1e-12, 2]);
  });
});
