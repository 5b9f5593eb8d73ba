import { describe, expect, it } from 'vitest';
import { type Tensor, Generator, fromArray, runOp } from '@tessera/tensor';
import { checkVjp, draw, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(47);

/** Checks a composite run by name with `attrs` (the hook does not report composites). */
function check(name: string, inputs: Tensor[], attrs: object): void {
  checkVjp(name, inputs, (xs) => runOp(name, xs, attrs)[0]!, { attrs });
}

describe('nn composite VJPs match finite differences', () => {
  it('softmax and logSoftmax along each dim', () => {
    for (const name of ['softmax', 'logSoftmax']) {
      check(name, [draw(gen, [3, 4])], { dim: 1 });
      check(name, [relayout(draw(gen, [3, 4]), 'transposed')], { dim: 0 });
      check(name, [relayout(draw(gen, [2, 1, 5]), 'strided')], { dim: 2 });
      check(name, [draw(gen, [2, 3, 1])], { dim: 2 });
    }
  });

  it('layerNorm with and without weight and bias, over one and two trailing dims', () => {
    const x = draw(gen, [2, 3, 4]);
    const base = { eps: 1e-5 };
    check('layerNorm', [x], { ...base, normalizedShape: [4], hasWeight: false, hasBias: false });
    check('layerNorm', [x, draw(gen, [4]), draw(gen, [4])], { ...base, normalizedShape: [4], hasWeight: true, hasBias: true });
    check('layerNorm', [relayout(x, 'transposed'), draw(gen, [3, 4])], { ...base, normalizedShape: [3, 4], hasWeight: true, hasBias: false });
    check('layerNorm', [relayout(draw(gen, [3, 5]), 'strided'), draw(gen, [5])], { eps: 0.1, normalizedShape: [5], hasWeight: false, hasBias: true });
    check('layerNorm', [draw(gen, [6]), draw(gen, [6])], { ...base, normalizedShape: [6], hasWeight: true, hasBias: false });
  });

  it('groupNorm with 1, 2 and C groups, spatial dims, weight and bias', () => {
    check('groupNorm', [draw(gen, [2, 4, 3]), draw(gen, [4]), draw(gen, [4])], { numGroups: 2, eps: 1e-5, hasWeight: true, hasBias: true });
    check('groupNorm', [relayout(draw(gen, [2, 3, 2, 2]), 'transposed')], { numGroups: 1, eps: 1e-5, hasWeight: false, hasBias: false });
    check('groupNorm', [draw(gen, [1, 4, 3]), draw(gen, [4])], { numGroups: 4, eps: 1e-3, hasWeight: false, hasBias: true });
    check('groupNorm', [relayout(draw(gen, [2, 2, 4]), 'strided'), draw(gen, [2])], { numGroups: 2, eps: 1e-5, hasWeight: true, hasBias: false });
  });

  it('scaledDotProductAttention: plain, causal, bool and additive masks, broadcast batch dims', () => {
    const q = draw(gen, [2, 3, 4]);
    const k = draw(gen, [2, 5, 4]);
    const v = draw(gen, [2, 5, 3]);
    const none = { scale: 0.5, isCausal: false, maskKind: 'none' };
    check('scaledDotProductAttention', [q, k, v], none);
    check('scaledDotProductAttention', [q, k, v], { ...none, isCausal: true });
    const bool = fromArray(new Uint8Array([1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1]), [3, 5], { dtype: 'bool', backend: 'cpu64' });
    check('scaledDotProductAttention', [q, k, v, bool], { ...none, maskKind: 'bool' });
    check('scaledDotProductAttention', [q, k, v, draw(gen, [1, 5])], { ...none, maskKind: 'additive' });
    // k and v broadcast over q's leading batch dim; non-contiguous q
    check('scaledDotProductAttention', [relayout(draw(gen, [3, 2, 2, 4]), 'transposed'), draw(gen, [2, 3, 4]), draw(gen, [1, 3, 2])], { ...none, scale: 0.7 });
  });
});

it('every nn rule was checked against finite differences', () => {
  expect(uncheckedRules('nn')).toEqual([]);
});
