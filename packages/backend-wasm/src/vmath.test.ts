// Accuracy of the SIMD transcendental functions (assembly/vmath.ts) over [-100, 100] against the
// reference's float64 functions rounded to float32: within 3e-7 relative (a few ulp) where the
// result is not tiny, and infinities/NaN exactly where the reference has them.
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor, tidy } from '@tessera/tensor';
import { erf as erf64, geluExact, geluTanh, sigmoid } from '../../tensor/src/cpu/math.js';
import './index.js';

const N = 200001;
const xs = new Float32Array(N);
for (let i = 0; i < N; i++) xs[i] = -100 + (200 * i) / (N - 1);
const near0 = new Float32Array(4001);
for (let i = 0; i < near0.length; i++) near0[i] = (i - 2000) / 1000; // [-2, 2] in steps of 1e-3

const cases: [string, (x: number) => number, (t: Tensor) => Tensor, number, number][] = [
  // name, reference, op, max relative error, max absolute error
  ['exp', Math.exp, (t) => t.exp(), 2e-7, Infinity],
  ['log', Math.log, (t) => t.abs().log(), 2e-7, 1e-6],
  ['tanh', Math.tanh, (t) => t.tanh(), 2e-7, 1e-7],
  ['sigmoid', sigmoid, (t) => t.sigmoid(), 3e-7, 1e-7],
  ['silu', (x) => x * sigmoid(x), (t) => t.silu(), 3e-7, 5e-6],
  ['erf', erf64, (t) => t.erf(), 4e-7, 3e-7],
  // GELU's far negative tail is ~1e-16 where the reference itself (1 + erf in float64) cancels:
  // compare absolutely there.
  ['gelu', geluExact, (t) => t.gelu(), 1e-6, 1e-6],
  ['gelu tanh', geluTanh, (t) => t.gelu('tanh'), 1e-6, 1e-6],
];

describe('SIMD transcendental functions', () => {
  for (const [name, ref, op, maxRel, maxAbs] of cases) {
    it(`${name} within ${maxRel} relative / ${maxAbs} absolute`, () => {
      for (const grid of [xs, near0]) {
        const got = tidy(() => op(tensor(grid, { backend: 'wasm' })).dataSync());
        for (let i = 0; i < grid.length; i++) {
          const x = name === 'log' ? Math.abs(grid[i]!) : grid[i]!;
          const r = Math.fround(ref(x));
          const v = got[i]!;
          if (!Number.isFinite(r) || !Number.isFinite(v)) {
            if (!(Object.is(r, v) || (Number.isNaN(r) && Number.isNaN(v)))) expect.fail(`${name}(${x}) = ${v}, reference ${r}`);
            continue;
          }
          const d = Math.abs(r - v);
          if (d > maxAbs && d > maxRel * Math.abs(r)) expect.fail(`${name}(${x}) = ${v}, reference ${r} (|diff| ${d.toExponential(2)})`);
        }
      }
    });
  }

  // softmax and attention use vexpNeg (exp for x <= 0, exactly 0 from x = -88 down).
  // Rows of 16 (the vector path): 0 in lane 0, x in lane 1 + r % 15, -inf elsewhere, which give
  // 1/(1 + e^x), e^x/(1 + e^x) and exactly 0.
  it('softmax exp (x <= 0) within 5e-7 relative, exactly 0 for -inf', () => {
    const xsNeg = Array.from({ length: 20001 }, (_, i) => Math.fround(-104 + (104 * i) / 20000));
    xsNeg.push(-Infinity, -88.5, -88, -87.9, -87.7, -87.4, -87.3, -1e-30, 0);
    const R = xsNeg.length;
    const rows = new Float32Array(R * 16).fill(-Infinity);
    xsNeg.forEach((x, r) => {
      rows[r * 16] = 0;
      rows[r * 16 + 1 + (r % 15)] = x;
    });
    for (const dim of [1, 0]) {
      const got = tidy(() => {
        const t = tensor(rows, { backend: 'wasm' }).reshape([R, 16]);
        // dim 0: the same rows laid out as columns (the strided slab path)
        return (dim === 1 ? t.softmax(1) : t.transpose(0, 1).contiguous().softmax(0).transpose(0, 1).contiguous()).dataSync();
      });
      xsNeg.forEach((x, r) => {
        const ex = Math.exp(x);
        const xl = 1 + (r % 15);
        for (let lane = 0; lane < 16; lane++) {
          const want = lane === 0 ? 1 / (1 + ex) : lane === xl ? ex / (1 + ex) : 0;
          const v = got[r * 16 + lane]!;
          const d = Math.abs(v - want);
          // near 2^-126 the scale step itself rounds through the subnormals: compare absolutely there
          const ok = want < 2e-38 ? v === want || d < 1e-43 || (want < 1.2e-38 && v < 1.2e-38) : d <= 5e-7 * want;
          if (!ok) expect.fail(`softmax(dim ${dim}) of a row with 0 and ${x}: lane ${lane} is ${v}, reference ${want}`);
        }
      });
    }
  });

  it('handles infinities and NaN like the reference', () => {
    const sp = [Infinity, -Infinity, NaN, 0, -0, 88.7, 89, -87.5, -104, -200].map(Math.fround);
    for (const [name, ref, op] of cases) {
      const got = tidy(() => op(tensor(sp, { backend: 'wasm' })).dataSync());
      sp.forEach((x, i) => {
        const r = Math.fround(ref(name === 'log' ? Math.abs(x) : x));
        const v = got[i]!;
        if (Number.isNaN(r)) expect(v, `${name}(${x})`).toBeNaN();
        else if (!Number.isFinite(r)) expect(v, `${name}(${x})`).toBe(r);
        else expect(Math.abs(v - r), `${name}(${x}) = ${v} vs ${r}`).toBeLessThan(1e-6 + 1e-6 * Math.abs(r));
      });
    }
  });
});
