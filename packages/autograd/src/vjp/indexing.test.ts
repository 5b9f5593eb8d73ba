import { describe, expect, it } from 'vitest';
import { type Tensor, Generator, fromArray, gather, indexSelect, runOp, scatterAdd } from '@tessera/tensor';
import { checkVjp, draw, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(43);
const ints = (v: number[], shape: number[]): Tensor => fromArray(new Int32Array(v), shape, { backend: 'cpu64' });

describe('indexing VJPs match finite differences', () => {
  it('gather along each dim, repeated indices accumulating', () => {
    const x = draw(gen, [3, 4]);
    checkVjp('gather', [x, ints([0, 2, 2, 1, 1, 1, 0, 0], [2, 4])], ([t, i]) => gather(t!, 0, i!));
    checkVjp('gather', [relayout(x, 'transposed'), ints([3, 3, 0, 1, 2, 1], [3, 2])], ([t, i]) => gather(t!, 1, i!));
    checkVjp('gather', [relayout(draw(gen, [2, 1, 3]), 'strided'), ints([2, 0, 2, 2], [2, 1, 2])], ([t, i]) => gather(t!, -1, i!));
  });

  it('indexSelect with repeats, along each dim', () => {
    checkVjp('indexSelect', [draw(gen, [4, 3]), ints([1, 1, 3, 0, 1], [5])], ([t, i]) => indexSelect(t!, 0, i!));
    checkVjp('indexSelect', [relayout(draw(gen, [2, 3, 4]), 'transposed'), ints([2, 0, 2], [3])], ([t, i]) => indexSelect(t!, 1, i!));
    checkVjp('indexSelect', [draw(gen, [2, 5]), ints([4], [1])], ([t, i]) => indexSelect(t!, -1, i!));
  });

  it('scatterAdd: input passes through, src gets the gathered gradient (zero where index is smaller)', () => {
    const x = draw(gen, [3, 4]);
    const src = draw(gen, [3, 5]);
    checkVjp('scatterAdd', [x, ints([0, 2, 2, 1, 1, 0, 0, 0], [2, 4]), src], ([t, i, s]) => scatterAdd(t!, 0, i!, s!));
    checkVjp('scatterAdd', [relayout(x, 'transposed'), ints([3, 3, 0, 1, 2, 1], [3, 2]), relayout(src, 'strided')], ([t, i, s]) => scatterAdd(t!, 1, i!, s!));
  });

  it('embedding (composite): rows added back at the indices', () => {
    const w = draw(gen, [5, 3]);
    const attrs = {};
    const run = (xs: Tensor[]): Tensor => runOp('embedding', xs, attrs)[0]!;
    checkVjp('embedding', [w, ints([1, 4, 1, 0, 1, 2], [2, 3])], run, { attrs });
    checkVjp('embedding', [w, ints([3], [1])], run, { attrs });
  });
});

it('every indexing rule was checked against finite differences', () => {
  expect(uncheckedRules('indexing')).toEqual([]);
});
