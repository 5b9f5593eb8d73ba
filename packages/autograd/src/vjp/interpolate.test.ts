import { describe, expect, it } from 'vitest';
import { type InterpolateOptions, Generator, interpolate } from '@tessera/tensor';
import { checkVjp, draw, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(61);

function check(shape: number[], opts: InterpolateOptions, layout?: 'transposed' | 'strided'): void {
  let x = draw(gen, shape);
  if (layout) x = relayout(x, layout);
  checkVjp('interpolate', [x], ([t]) => interpolate(t!, opts));
}

describe('interpolate VJP matches finite differences', () => {
  it('nearest: up, down, by a scale factor, 1 to 3 spatial dims', () => {
    check([2, 3, 5], { size: 8 });
    check([2, 3, 5], { size: 3 }, 'strided');
    check([1, 2, 5], { scaleFactor: 1.7 });
    check([1, 2, 4, 5], { size: [7, 3] }, 'transposed');
    check([1, 1, 2, 3, 4], { size: [3, 5, 2] });
  });

  it('nearest-exact', () => {
    check([1, 2, 5], { size: 7, mode: 'nearest-exact' });
    check([1, 2, 4, 5], { size: [3, 8], mode: 'nearest-exact' }, 'transposed');
    check([1, 1, 3, 2, 4], { scaleFactor: [1.5, 2, 0.75], mode: 'nearest-exact' });
  });

  it('linear with both alignCorners conventions, up and down, by size and by scale', () => {
    for (const alignCorners of [false, true]) {
      check([2, 2, 5], { size: 9, mode: 'linear', alignCorners });
      check([2, 2, 5], { size: 3, mode: 'linear', alignCorners }, 'strided');
      check([1, 2, 4], { scaleFactor: 1.5, mode: 'linear', alignCorners });
      check([1, 1, 3], { size: 1, mode: 'linear', alignCorners });
    }
  });

  it('bilinear and trilinear, including a dim whose size does not change', () => {
    for (const alignCorners of [false, true]) {
      check([1, 2, 4, 3], { size: [6, 5], mode: 'bilinear', alignCorners }, 'transposed');
      check([2, 1, 4, 3], { size: [2, 7], mode: 'bilinear', alignCorners });
      check([1, 1, 4, 3], { size: [4, 6], mode: 'bilinear', alignCorners });
      check([1, 1, 3, 2, 4], { size: [4, 3, 2], mode: 'trilinear', alignCorners });
    }
  });
});

it('every interpolate rule was checked against finite differences', () => {
  expect(uncheckedRules('interpolate')).toEqual([]);
});
