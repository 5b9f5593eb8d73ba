import { describe, expect, it } from 'vitest';
import { type Tensor, Generator, cat, contiguous, expand, fromArray, pad, permute, reshape, runOp, slice, transpose } from '@tessera/tensor';
import { checkVjp, draw, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(23);

describe('view VJPs match finite differences', () => {
  it('reshape: contiguous, size-1 dims, 0-d, and a view of a transposed input', () => {
    checkVjp('reshape', [draw(gen, [2, 3, 4])], ([x]) => reshape(x!, [6, 1, 4]));
    checkVjp('reshape', [draw(gen, [])], ([x]) => reshape(x!, [1, 1]));
    checkVjp('reshape', [draw(gen, [1])], ([x]) => reshape(x!, []));
    // splitting the leading dim of a transposed tensor is still a view (no contiguous copy)
    checkVjp('reshape', [relayout(draw(gen, [6, 5]), 'transposed')], ([x]) => reshape(x!, [2, 3, 5]));
    checkVjp('reshape', [relayout(draw(gen, [4, 6]), 'strided')], ([x]) => reshape(x!, [2, 2, 6]));
  });

  it('permute and transpose', () => {
    checkVjp('permute', [draw(gen, [2, 3, 4])], ([x]) => permute(x!, [2, 0, 1]));
    checkVjp('permute', [draw(gen, [2, 1, 3, 2])], ([x]) => permute(x!, [3, 1, 0, 2]));
    checkVjp('permute', [relayout(draw(gen, [3, 5]), 'strided')], ([x]) => transpose(x!, 0, 1));
  });

  it('expand: new leading dims and size-1 dims', () => {
    checkVjp('expand', [draw(gen, [3, 1])], ([x]) => expand(x!, [2, 3, 4]));
    checkVjp('expand', [draw(gen, [])], ([x]) => expand(x!, [2, 2]));
    checkVjp('expand', [draw(gen, [1, 4, 1])], ([x]) => expand(x!, [3, 4, 2]));
    checkVjp('expand', [relayout(draw(gen, [1, 3]), 'strided')], ([x]) => expand(x!, [5, 2, 3]));
  });

  it('slice: steps 1 to 4, offsets, a tail that runs past the last element, every dim', () => {
    const x = draw(gen, [7, 9]);
    const specs: [number, number | undefined, number | undefined, number][] = [
      [0, 2, 6, 1],
      [1, 1, undefined, 2],
      [1, 0, 9, 3],
      [1, 2, 8, 4],
      [0, 0, undefined, 3],
      [0, 6, 7, 5],
      [1, 8, undefined, 1],
    ];
    for (const [dim, start, end, step] of specs) checkVjp('slice', [x], ([t]) => slice(t!, dim, start, end, step));
    checkVjp('slice', [relayout(draw(gen, [4, 5]), 'transposed')], ([t]) => slice(t!, 0, 1, undefined, 2));
    checkVjp('slice', [draw(gen, [2, 1, 5])], ([t]) => slice(t!, 2, 1, 4, 2));
  });

  it('slice: an empty slice gives zeros', () => {
    checkVjp('slice', [draw(gen, [3, 4])], ([t]) => slice(t!, 1, 2, 2));
  });

  it('contiguous of transposed and strided inputs', () => {
    checkVjp('contiguous', [relayout(draw(gen, [3, 4]), 'transposed')], ([x]) => contiguous(x!));
    checkVjp('contiguous', [relayout(draw(gen, [2, 1, 3]), 'strided')], ([x]) => contiguous(x!));
  });

  it('cat: each input gets its stretch, along first, middle and last dims', () => {
    checkVjp('cat', [draw(gen, [2, 3]), draw(gen, [1, 3]), draw(gen, [4, 3])], (xs) => cat(xs, 0));
    checkVjp('cat', [draw(gen, [2, 1, 3]), relayout(draw(gen, [2, 3, 3]), 'transposed'), draw(gen, [2, 2, 3])], (xs) => cat(xs, 1));
    checkVjp('cat', [relayout(draw(gen, [2, 2]), 'strided'), draw(gen, [2, 1])], (xs) => cat(xs, -1));
  });

  it('cat: int32 inputs take no gradient', () => {
    const i = (): Tensor => fromArray(new Int32Array([1, 2, 3]), [3], { backend: 'cpu64' });
    checkVjp('cat', [i(), i()], (xs) => cat(xs, 0));
  });

  it('pad: the gradient is cropped back, with asymmetric padding on several dims', () => {
    checkVjp('pad', [draw(gen, [2, 3])], ([x]) => pad(x!, [1, 2, 0, 3], 0.5));
    checkVjp('pad', [relayout(draw(gen, [2, 3, 4]), 'transposed')], ([x]) => pad(x!, [0, 1, 2, 0, 1, 1]));
    checkVjp('pad', [draw(gen, [3])], ([x]) => runOp('pad', [x!], { before: [0], after: [0], value: 0 })[0]!);
  });
});

it('every views rule was checked against finite differences', () => {
  expect(uncheckedRules('views')).toEqual([]);
});
