import { describe, expect, it } from 'vitest';
import { type Tensor, Generator, cumsum, fromArray, runOp } from '@tessera/tensor';
import { fromFloat64 } from '@tessera/tensor/testing';
import { checkVjp, draw, evalVjp, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(37);
const op = (name: string, attrs: unknown) => (xs: Tensor[]): Tensor => runOp(name, xs, attrs)[0]!;

/** (shape, dims, keepdim) cases: one dim, several, all, a size-1 dim, 0-d. */
const REDUCTIONS: [number[], number[], boolean][] = [
  [[3, 4], [1], false],
  [[3, 4], [0], true],
  [[2, 3, 4], [0, 2], false],
  [[2, 1, 3], [1], true],
  [[2, 3], [0, 1], false],
  [[5], [0], true],
  [[], [], false],
];

/** Every reduction case on a random input, the second and fourth in a non-contiguous layout. */
function eachReduction(name: string, extra: object = {}, fn: (g: Generator) => number = (g) => g.normal()): void {
  REDUCTIONS.forEach(([shape, dims, keepdim], k) => {
    let x = draw(gen, shape, fn);
    if (k === 1) x = relayout(x, 'transposed');
    if (k === 3) x = relayout(x, 'strided');
    const attrs = { dims, keepdim, ...extra };
    checkVjp(name, [x], op(name, attrs), { attrs });
  });
}

describe('reduction VJPs match finite differences', () => {
  it('sum', () => eachReduction('sum'));
  it('prod (no zeros)', () => eachReduction('prod', {}, (g) => 0.5 + g.uniform()));
  it('max and min (distinct values)', () => {
    eachReduction('max');
    eachReduction('min');
  });
  it('mean', () => eachReduction('mean'));
  it('var and std with correction 1 and 0', () => {
    const cases: [number[], number[], boolean][] = REDUCTIONS.filter(([s, d]) => d.reduce((p, i) => p * s[i]!, 1) > 1);
    for (const name of ['var', 'std']) {
      for (const correction of [1, 0]) {
        for (const [shape, dims, keepdim] of cases) {
          const attrs = { dims, keepdim, correction };
          checkVjp(name, [draw(gen, shape)], op(name, attrs), { attrs });
        }
      }
    }
  });
  it('logsumexp', () => eachReduction('logsumexp'));

  it('prod with zeros is exact (one zero: the product of the others; two: all 0)', () => {
    // prod is linear in each element, so central differences are exact at zeros too
    const x = fromFloat64([2, 0, 3, 0, 0, 4, 1, 2, 3, -1, 0.5, 0], [4, 3]);
    checkVjp('prod', [x], op('prod', { dims: [1], keepdim: false }));
    checkVjp('prod', [x], op('prod', { dims: [0, 1], keepdim: true }));
  });

  it('cumsum along each dim', () => {
    checkVjp('cumsum', [draw(gen, [4, 3])], ([x]) => cumsum(x!, 0));
    checkVjp('cumsum', [relayout(draw(gen, [2, 5]), 'transposed')], ([x]) => cumsum(x!, 1));
    checkVjp('cumsum', [relayout(draw(gen, [2, 1, 4]), 'strided')], ([x]) => cumsum(x!, -1));
    checkVjp('cumsum', [draw(gen, [1, 3])], ([x]) => cumsum(x!, 0));
    checkVjp('cumsum', [draw(gen, [])], ([x]) => cumsum(x!, 0));
  });

  it('int32 inputs take no gradient', () => {
    checkVjp('sum', [fromArray(new Int32Array([1, 2, 3]), [3], { backend: 'cpu64' })], op('sum', { dims: [0], keepdim: false }));
  });
});

/** The rule's gradient for cotangent ones. */
function gradAt(name: string, x: Tensor, attrs: object): number[] {
  const probe = evalVjp(name, [x], op(name, attrs), { attrs });
  const y = probe.ctx.outputs[0]!;
  const { grads } = evalVjp(name, [x], op(name, attrs), { attrs, gradOutputs: [fromFloat64(new Array(y.size).fill(1), y.shape)] });
  return Array.from(grads[0]!.dataSync());
}

describe('ties and zeros follow PyTorch 1.13 (values from torch.autograd)', () => {
  it('max / min split the gradient evenly among ties (amax / amin)', () => {
    expect(gradAt('max', fromFloat64([1, 3, 3, 2, 5, 5, 5, 0], [2, 4]), { dims: [1], keepdim: false })).toEqual([0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3, 0]);
    expect(gradAt('min', fromFloat64([1, 3, 1, 2], [2, 2]), { dims: [0], keepdim: false })).toEqual([0.5, 0, 0.5, 1]);
  });

  it('prod with one and two zeros in a slice', () => {
    expect(gradAt('prod', fromFloat64([2, 0, 3, 0, 0, 4, 1, 2, 3], [3, 3]), { dims: [1], keepdim: false })).toEqual([0, 6, 0, 0, 0, 0, 6, 3, 2]);
  });

  it('std with zero spread has gradient 0 (not NaN)', () => {
    const attrs = { dims: [1], keepdim: false, correction: 1 };
    const g = gradAt('std', fromFloat64([2, 2, 2, 1, 2, 3], [2, 3]), attrs);
    expect(g.slice(0, 3)).toEqual([0, 0, 0]);
    expect(g[3]).toBeCloseTo(-0.5, 12);
    expect(g[4]).toBeCloseTo(0, 12);
    expect(g[5]).toBeCloseTo(0.5, 12);
  });

  it('logsumexp of an all -inf slice is NaN', () => {
    const g = gradAt('logsumexp', fromFloat64([-Infinity, -Infinity, 0, 1], [2, 2]), { dims: [1], keepdim: false });
    expect(g[0]).toBeNaN();
    expect(g[2]).toBeCloseTo(0.2689414213699951, 12);
    expect(g[3]).toBeCloseTo(0.7310585786300049, 12);
  });
});

it('every reduce rule was checked against finite differences', () => {
  expect(uncheckedRules('reduce')).toEqual([]);
});
