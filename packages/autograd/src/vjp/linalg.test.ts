import { describe, expect, it } from 'vitest';
import { type Tensor, Generator, bmm, fromArray, matmul, runOp } from '@tessera/tensor';
import { checkVjp, draw, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(41);

describe('matmul VJP matches finite differences', () => {
  it('plain and batched, with broadcast batch dims summed back', () => {
    const pairs: [number[], number[]][] = [
      [[3, 4], [4, 2]],
      [[2, 3, 4], [2, 4, 5]],
      [[2, 1, 3, 4], [5, 4, 2]], // batch [2,1] x [5] -> [2,5]
      [[3, 4], [2, 4, 1]], // a broadcast over b's batch
      [[1, 1, 2], [3, 2, 2]],
    ];
    for (const [sa, sb] of pairs) checkVjp('matmul', [draw(gen, sa), draw(gen, sb)], ([a, b]) => matmul(a!, b!));
  });

  it('non-contiguous operands', () => {
    checkVjp('matmul', [relayout(draw(gen, [2, 3, 4]), 'transposed'), relayout(draw(gen, [4, 3]), 'strided')], ([a, b]) => bmm(a!, b!.expand([2, 4, 3])));
    checkVjp('matmul', [relayout(draw(gen, [3, 2]), 'strided'), relayout(draw(gen, [2, 2]), 'transposed')], ([a, b]) => matmul(a!, b!));
  });

  it('1-D operands (the free function unsqueezes them around the kernel op)', () => {
    checkVjp('matmul', [draw(gen, [4]), draw(gen, [4])], ([a, b]) => matmul(a!, b!));
    checkVjp('matmul', [draw(gen, [4]), draw(gen, [2, 4, 3])], ([a, b]) => matmul(a!, b!));
    checkVjp('matmul', [draw(gen, [2, 3, 4]), draw(gen, [4])], ([a, b]) => matmul(a!, b!));
  });

  it('an int32 operand takes no gradient', () => {
    const b = fromArray(new Int32Array([1, -2, 3, 0, 2, 1]), [3, 2], { backend: 'cpu64' });
    checkVjp('matmul', [draw(gen, [2, 3]), b], ([x, y]) => matmul(x!, y!));
  });
});

describe('triangle VJPs match finite differences', () => {
  const op = (name: string, attrs: unknown) => (xs: Tensor[]): Tensor => runOp(name, xs, attrs)[0]!;
  for (const name of ['tril', 'triu']) {
    it(name, () => {
      for (const diagonal of [0, 1, -1]) {
        const attrs = { diagonal };
        checkVjp(name, [draw(gen, [3, 4])], op(name, attrs), { attrs });
        checkVjp(name, [relayout(draw(gen, [2, 4, 3]), 'transposed')], op(name, attrs), { attrs });
      }
    });
  }
});

it('every linalg rule was checked against finite differences', () => {
  expect(uncheckedRules('linalg')).toEqual([]);
});
