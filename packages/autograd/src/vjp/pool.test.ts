import { describe, expect, it } from 'vitest';
import { Generator, maxPool2d, runOp } from '@tessera/tensor';
import { checkVjp, draw, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(59);

function check(name: 'maxPool' | 'avgPool', shape: number[], attrs: object, layout?: 'transposed' | 'strided'): void {
  let x = draw(gen, shape);
  if (layout) x = relayout(x, layout);
  checkVjp(name, [x], (xs) => runOp(name, xs, attrs));
}

describe('maxPool VJP matches finite differences (distinct values, so no ties)', () => {
  it('1-d with padding, and with dilation and ceilMode', () => {
    check('maxPool', [2, 3, 9], { kernelSize: [3], stride: [2], padding: [1], dilation: [1], ceilMode: false });
    check('maxPool', [1, 2, 8], { kernelSize: [3], stride: [2], padding: [0], dilation: [2], ceilMode: true }, 'strided');
  });
  it('2-d overlapping windows (one maximum feeding several outputs), ceilMode, transposed input', () => {
    check('maxPool', [1, 2, 5, 6], { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], dilation: [1, 1], ceilMode: true }, 'transposed');
    checkVjp('maxPool', [draw(gen, [2, 4, 4])], ([x]) => maxPool2d(x!, 2)); // unbatched, through the free function
  });
  it('3-d with mixed strides, padding and dilation', () => {
    check('maxPool', [1, 1, 4, 4, 3], { kernelSize: [2, 2, 2], stride: [2, 1, 2], padding: [1, 0, 1], dilation: [1, 2, 1], ceilMode: false });
  });
});

describe('avgPool VJP matches finite differences', () => {
  const base = { ceilMode: false, countIncludePad: true };
  it('1-d: ceilMode with and without counting the padding', () => {
    check('avgPool', [2, 2, 7], { ...base, kernelSize: [3], stride: [2], padding: [1], ceilMode: true });
    check('avgPool', [2, 2, 7], { ...base, kernelSize: [3], stride: [2], padding: [1], ceilMode: true, countIncludePad: false }, 'strided');
  });
  it('1-d: trailing input elements no window reaches get 0', () => {
    check('avgPool', [1, 1, 8], { ...base, kernelSize: [3], stride: [3], padding: [0] });
  });
  it('2-d: divisorOverride, ceilMode, transposed input; overlapping windows', () => {
    check('avgPool', [1, 2, 5, 6], { kernelSize: [2, 3], stride: [2, 2], padding: [1, 1], ceilMode: true, countIncludePad: false, divisorOverride: 5 }, 'transposed');
    check('avgPool', [2, 1, 4, 4], { ...base, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1] });
  });
  it('3-d with mixed strides and padding', () => {
    check('avgPool', [1, 1, 3, 4, 5], { ...base, kernelSize: [2, 2, 3], stride: [1, 2, 2], padding: [0, 1, 1] });
    check('avgPool', [1, 2, 3, 3, 3], { ...base, kernelSize: [2, 2, 2], stride: [2, 2, 2], padding: [1, 0, 1], ceilMode: true, countIncludePad: false });
  });
});

it('every pool rule was checked against finite differences', () => {
  expect(uncheckedRules('pool')).toEqual([]);
});
