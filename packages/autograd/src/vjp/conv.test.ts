import { describe, expect, it } from 'vitest';
import { Generator, conv1d, conv2d, convTranspose1d, runOp } from '@tessera/tensor';
import { checkVjp, draw, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(53);

interface Case {
  x: number[];
  w: number[];
  bias?: boolean;
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
  outputPadding?: number[];
  layout?: 'transposed' | 'strided';
}

function check(name: 'conv' | 'convTranspose', c: Case): void {
  let x = draw(gen, c.x);
  if (c.layout) x = relayout(x, c.layout);
  const cout = name === 'conv' ? c.w[0]! : c.w[1]! * c.groups;
  const inputs = [x, draw(gen, c.w), ...(c.bias ? [draw(gen, [cout])] : [])];
  const { x: _x, w: _w, bias: _b, layout: _l, ...attrs } = c;
  checkVjp(name, inputs, (xs) => runOp(name, xs, attrs)[0]!);
}

describe('conv VJP matches finite differences', () => {
  const cases: [string, Case][] = [
    ['1-d, groups 2, stride 2, dilation 2, asymmetric padding, bias', { x: [2, 4, 9], w: [6, 2, 3], bias: true, stride: [2], padding: [1, 2], dilation: [2], groups: 2 }],
    ['1-d, stride 3 leaving a remainder, no padding', { x: [1, 2, 10], w: [3, 2, 2], stride: [3], padding: [0, 0], dilation: [1], groups: 1 }],
    ['2-d, mixed strides and dilations, transposed input', { x: [1, 3, 6, 5], w: [4, 3, 2, 3], bias: true, stride: [2, 1], padding: [1, 0, 0, 1], dilation: [1, 2], groups: 1, layout: 'transposed' }],
    ['2-d depthwise (groups = channels), stride 2, padding 1', { x: [2, 2, 5, 5], w: [4, 1, 3, 3], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 2 }],
    ['2-d 1x1 kernel, size-1 batch and spatial dims, strided input', { x: [1, 3, 1, 4], w: [2, 3, 1, 1], bias: true, stride: [1, 2], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1, layout: 'strided' }],
    ['3-d, groups 2, mixed attributes', { x: [1, 2, 4, 3, 4], w: [2, 1, 2, 2, 3], bias: true, stride: [1, 2, 1], padding: [0, 1, 1, 1, 0, 1], dilation: [2, 1, 1], groups: 2 }],
  ];
  for (const [name, c] of cases) it(name, () => check('conv', c));

  it('unbatched input through the free functions (the batch dim they add is a view, then disposed)', () => {
    checkVjp('conv', [draw(gen, [2, 7]), draw(gen, [3, 2, 3]), draw(gen, [3])], ([x, w, b]) => conv1d(x!, w!, b!, { stride: 2, padding: 1 }));
    checkVjp('convTranspose', [draw(gen, [2, 4]), draw(gen, [2, 3, 3])], ([x, w]) => convTranspose1d(x!, w!, null, { stride: 2, outputPadding: 1 }));
  });

  it("conv2d with padding 'same' and an even kernel (one more after)", () => {
    checkVjp('conv', [draw(gen, [1, 2, 4, 5]), draw(gen, [2, 2, 2, 4])], ([x, w]) => conv2d(x!, w!, null, { padding: 'same' }));
  });
});

describe('convTranspose VJP matches finite differences', () => {
  const cases: [string, Case][] = [
    ['1-d, groups 2, stride 3, outputPadding 2, bias', { x: [2, 4, 5], w: [4, 3, 3], bias: true, stride: [3], padding: [1, 1], outputPadding: [2], dilation: [1], groups: 2 }],
    ['1-d, outputPadding above the stride (below the dilation)', { x: [1, 2, 4], w: [2, 2, 3], stride: [1], padding: [2, 0], outputPadding: [2], dilation: [3], groups: 1 }],
    ['1-d, padding above outputPadding', { x: [1, 2, 6], w: [2, 1, 4], stride: [2], padding: [3, 2], outputPadding: [1], dilation: [1], groups: 1 }],
    ['2-d, asymmetric padding, mixed stride and dilation, transposed input', { x: [1, 2, 3, 4], w: [2, 3, 2, 3], bias: true, stride: [2, 2], padding: [0, 1, 1, 0], outputPadding: [1, 0], dilation: [1, 2], groups: 1, layout: 'transposed' }],
    ['2-d depthwise, strided input', { x: [2, 2, 3, 3], w: [2, 1, 3, 3], stride: [2, 1], padding: [1, 1, 1, 1], outputPadding: [1, 0], dilation: [1, 1], groups: 2, layout: 'strided' }],
    ['3-d, groups 2', { x: [1, 2, 2, 3, 2], w: [2, 2, 2, 1, 2], bias: true, stride: [2, 1, 2], padding: [0, 0, 1, 1, 0, 0], outputPadding: [1, 0, 0], dilation: [1, 1, 2], groups: 2 }],
  ];
  for (const [name, c] of cases) it(name, () => check('convTranspose', c));
});

it('every conv rule was checked against finite differences', () => {
  expect(uncheckedRules('conv')).toEqual([]);
});

