import { describe, expect, it } from 'vitest';
import { type Tensor, Generator, fromArray, runOp } from '@tessera/tensor';
import { fromFloat64 } from '@tessera/tensor/testing';
import { checkVjp, draw, evalVjp, relayout, uncheckedRules } from './gradcheck.js';
import './index.js';

const gen = new Generator(11);
const positive = (g: Generator): number => 0.2 + 2 * g.uniform();
/** Normal values kept at least 0.1 away from 0 (relu, abs). */
const awayFromZero = (g: Generator): number => {
  const v = g.normal();
  return (v < 0 ? -1 : 1) * (0.1 + Math.abs(v));
};
const op = (name: string, attrs: unknown = {}) => (xs: Tensor[]): Tensor => runOp(name, xs, attrs)[0]!;

/** Shapes and layouts each unary op is checked on: 0-d, 1-d, transposed, strided with a size-1 dim. */
function unaryInputs(fn: (g: Generator) => number): Tensor[] {
  return [draw(gen, [], fn), draw(gen, [5], fn), relayout(draw(gen, [3, 4], fn), 'transposed'), relayout(draw(gen, [2, 1, 3], fn), 'strided')];
}

const cases: [string, (g: Generator) => number, unknown?][] = [
  ['exp', (g) => g.normal()],
  ['log', positive],
  ['sqrt', positive],
  ['rsqrt', positive],
  ['sin', (g) => g.normal()],
  ['cos', (g) => g.normal()],
  ['tanh', (g) => g.normal()],
  ['sigmoid', (g) => 2 * g.normal()],
  ['silu', (g) => 2 * g.normal()],
  ['erf', (g) => g.normal()],
  ['reciprocal', positive],
  ['neg', (g) => g.normal()],
  ['abs', awayFromZero],
  ['square', (g) => g.normal()],
  ['relu', awayFromZero],
  ['gelu', (g) => 2 * g.normal(), { approximate: 'none' }],
  ['gelu', (g) => 2 * g.normal(), { approximate: 'tanh' }],
  // values at least 0.05 from the bounds -0.5 and 0.7
  ['clamp', (g) => { const v = 2 * g.normal(); return Math.abs(v + 0.5) < 0.05 || Math.abs(v - 0.7) < 0.05 ? 0.1 : v; }, { min: -0.5, max: 0.7 }],
  ['clamp', (g) => g.normal(), { min: -Infinity, max: Infinity }],
  ['cast', (g) => g.normal(), { dtype: 'float32' }],
];

describe('unary VJPs match finite differences', () => {
  for (const [name, fn, attrs] of cases) {
    it(`${name} ${JSON.stringify(attrs ?? {})}`, () => {
      for (const x of unaryInputs(fn)) checkVjp(name, [x], op(name, attrs ?? {}));
    });
  }
});

/** Operand shape pairs: equal, broadcast both ways, 0-d, size-1 dims. */
const PAIRS: [number[], number[]][] = [
  [[3, 4], [3, 4]],
  [[2, 1, 4], [3, 1]],
  [[], [2, 3]],
  [[4, 1], [1, 5]],
  [[1], [2, 2]],
];

describe('binary VJPs match finite differences (broadcasting undone)', () => {
  const binary: [string, (g: Generator) => number, (g: Generator) => number][] = [
    ['add', (g) => g.normal(), (g) => g.normal()],
    ['sub', (g) => g.normal(), (g) => g.normal()],
    ['mul', (g) => g.normal(), (g) => g.normal()],
    ['div', (g) => g.normal(), awayFromZero],
    ['pow', positive, positive], // both orders put each operand in the base: keep both positive
    ['maximum', (g) => g.normal(), (g) => g.normal()],
    ['minimum', (g) => g.normal(), (g) => g.normal()],
  ];
  for (const [name, fa, fb] of binary) {
    it(name, () => {
      PAIRS.forEach(([sa, sb], k) => {
        let a = draw(gen, sa, fa);
        let b = draw(gen, sb, fb);
        if (k === 0) a = relayout(a, 'transposed');
        if (k === 1) b = relayout(b, 'strided');
        checkVjp(name, [a, b], op(name));
        checkVjp(name, [b, a], op(name)); // the other operand order broadcasts the other way
      });
    });
  }

  it('pow with exponents of both signs (positive bases)', () => {
    checkVjp('pow', [draw(gen, [3, 4], positive), draw(gen, [4])], op('pow'));
    checkVjp('pow', [draw(gen, [2, 1], positive), relayout(draw(gen, [3, 2, 3]), 'transposed')], op('pow'));
  });

  it('pow with an int32 exponent: a gradient for the (negative) base, null for the exponent', () => {
    const base = draw(gen, [2, 3], (g) => g.normal());
    const e = fromArray(new Int32Array([2, 3, 1]), [3], { backend: 'cpu64' });
    checkVjp('pow', [base, e], op('pow'));
  });

  it('where: none to the bool condition, broadcast undone for both branches', () => {
    const c = fromArray(new Uint8Array([1, 0, 0, 1, 1, 0]), [3, 1, 2], { backend: 'cpu64' });
    checkVjp('where', [c, draw(gen, [4, 1]), draw(gen, [1, 3, 4, 2])], op('where'));
    checkVjp('where', [c, relayout(draw(gen, [3, 4, 2]), 'transposed'), draw(gen, [])], op('where'));
  });

  it('int32 inputs take no gradient (add of a float and an int32 tensor)', () => {
    checkVjp('add', [draw(gen, [2, 3]), fromArray(new Int32Array([1, 2, 3]), [3], { backend: 'cpu64' })], op('add'));
  });
});

/** The rule's gradients for cotangent ones, as plain arrays. */
function gradsAt(name: string, inputs: Tensor[], attrs: unknown = {}): (number[] | null)[] {
  const { grads } = evalVjp(name, inputs, op(name, attrs), {
    gradOutputs: [fromFloat64(new Array(inputs.reduce((n, t) => Math.max(n, t.size), 1)).fill(1), bshape(inputs))],
  });
  return grads.map((g) => (g ? Array.from(g.dataSync()) : null));
}
const bshape = (xs: Tensor[]): number[] => xs.reduce<number[]>((s, t) => (t.ndim > s.length ? [...t.shape] : s), []);
const t64 = (v: number[]): Tensor => fromFloat64(v, [v.length]);

describe('non-smooth points follow PyTorch 1.13 (values from torch.autograd)', () => {
  it('relu and abs have gradient 0 at 0', () => {
    expect(gradsAt('relu', [t64([0, -1, 2])])).toEqual([[0, 0, 1]]);
    expect(gradsAt('abs', [t64([0, -1, 2])])).toEqual([[0, -1, 1]]);
  });

  it('clamp passes the gradient at its bounds', () => {
    expect(gradsAt('clamp', [t64([-1, 1, 0.5, 2, -2])], { min: -1, max: 1 })).toEqual([[1, 1, 1, 0, 0]]);
  });

  it('maximum / minimum split ties half and half', () => {
    expect(gradsAt('maximum', [t64([1, 2, 3]), t64([1, 0, 5])])).toEqual([[0.5, 1, 0], [0.5, 0, 1]]);
    expect(gradsAt('minimum', [t64([1, 2, 3]), t64([1, 0, 5])])).toEqual([[0.5, 0, 1], [0.5, 1, 0]]);
  });

  it('pow at base 0 and negative bases', () => {
    const [ga, gb] = gradsAt('pow', [t64([0, 0, 0, 2, -2]), t64([2, 0, -1, 0, 0.5])]);
    expect(ga).toEqual([0, 0, -Infinity, 0, NaN]);
    expect(gb!.slice(0, 3)).toEqual([0, 0, -Infinity]);
    expect(gb![3]).toBeCloseTo(Math.LN2, 12);
    expect(gb![4]).toBeNaN();
  });

  it('gelu has slope 1/2 at 0 in both modes', () => {
    expect(gradsAt('gelu', [t64([0])], { approximate: 'none' })).toEqual([[0.5]]);
    expect(gradsAt('gelu', [t64([0])], { approximate: 'tanh' })).toEqual([[0.5]]);
  });

  it('cast: straight through to a float input, null for an int input', () => {
    const x = t64([1.5, -2.25]);
    const { grads } = evalVjp('cast', [x], op('cast', { dtype: 'int32' }), {
      gradOutputs: [fromArray(new Int32Array([3, 4]), [2], { backend: 'cpu64' })],
    });
    expect(grads[0]!.dtype).toBe('float32');
    expect(Array.from(grads[0]!.dataSync())).toEqual([3, 4]);
    const i = fromArray(new Int32Array([1, 2]), [2], { backend: 'cpu64' });
    expect(evalVjp('cast', [i], op('cast', { dtype: 'float32' })).grads).toEqual([null]);
  });
});

it('every elementwise rule was checked against finite differences', () => {
  expect(uncheckedRules('elementwise')).toEqual([]);
});
