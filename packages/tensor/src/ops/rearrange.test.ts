import '../index.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cpuBackend } from '../cpu/index.js';
import { setDispatchHook } from '../dispatch.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { rearrange, repeat } from './rearrange.js';
import { permute } from './views.js';

/** A float32 tensor holding 0, 1, 2, … in row-major order. */
function iota(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => i);
  return Tensor.fromBuffer(cpuBackend, cpuBackend.upload(data, 'float32'), shape, 'float32');
}

const data = (t: Tensor): number[] => Array.from(t.dataSync());

/** Runs `fn` and returns the names of the ops it dispatched. */
function opsOf(fn: () => void): string[] {
  const seen: string[] = [];
  const prev = setDispatchHook((r) => seen.push(r.op.name));
  try {
    fn();
  } finally {
    setDispatchHook(prev);
  }
  return seen;
}

describe('rearrange', () => {
  it('ViViT tubelets: b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)', () => {
    const [B, T, C, H, W, P1, P2] = [2, 3, 3, 2, 3, 2, 2];
    const shape = [B, T, C, H * P1, W * P2];
    const x = iota(shape);
    const y = rearrange(x, 'b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)', { p1: P1, p2: P2 });
    expect(y.shape).toEqual([B, T, H * W, P1 * P2 * C]);
    const expected: number[] = [];
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++)
            for (let p1 = 0; p1 < P1; p1++)
              for (let p2 = 0; p2 < P2; p2++)
                for (let c = 0; c < C; c++) {
                  const row = h * P1 + p1;
                  const col = w * P2 + p2;
                  expected.push(((((b * T + t) * C + c) * (H * P1) + row) * (W * P2)) + col);
                }
    expect(data(y)).toEqual(expected);
  });

  it('uses only view ops (plus the one contiguous copy) so autograd needs no new rule', () => {
    const x = iota([2, 3, 4, 6]);
    const ops = opsOf(() => rearrange(x, 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', { p1: 2, p2: 3 }));
    expect(new Set(ops)).toEqual(new Set(['reshape', 'permute', 'contiguous']));
    const r = opsOf(() => repeat(x, 'b c h w -> b c (h r) w', { r: 2 }));
    expect(r.every((n) => ['reshape', 'permute', 'expand', 'contiguous'].includes(n))).toBe(true);
  });

  it('splits and merges without a copy when the layout allows', () => {
    const x = iota([2, 6, 5]);
    const y = rearrange(x, 'b (h w) c -> b h w c', { h: 2 });
    expect(y.shape).toEqual([2, 2, 3, 5]);
    expect(y.storage).toBe(x.storage);
    expect(data(y)).toEqual(data(x));
    const z = rearrange(y, 'b h w c -> b (h w) c');
    expect(z.shape).toEqual([2, 6, 5]);
    expect(z.storage).toBe(x.storage);
    expect(data(z)).toEqual(data(x));
  });

  it('transposes: b c -> c b', () => {
    const x = iota([2, 3]);
    const y = rearrange(x, 'b c -> c b');
    expect(y.toArraySync()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });

  it('round-trips a patchify through its inverse', () => {
    const x = iota([2, 3, 4, 6]);
    const axes = { p1: 2, p2: 3 };
    const p = rearrange(x, 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', axes);
    expect(p.shape).toEqual([2, 4, 18]);
    const back = rearrange(p, 'b (h w) (p1 p2 c) -> b c (h p1) (w p2)', { ...axes, h: 2, c: 3 });
    expect(back.shape).toEqual([2, 3, 4, 6]);
    expect(data(back)).toEqual(data(x));
  });

  it('reads non-contiguous inputs by their logical order', () => {
    const x = permute(iota([3, 4]), [1, 0]); // [4,3], x[i][j] = j*4 + i
    const y = rearrange(x, '(a b) c -> a (c b)', { b: 2 });
    expect(y.shape).toEqual([2, 6]);
    const expected: number[] = [];
    for (let a = 0; a < 2; a++)
      for (let c = 0; c < 3; c++)
        for (let b = 0; b < 2; b++) expected.push(c * 4 + (a * 2 + b));
    expect(data(y)).toEqual(expected);
  });

  it('handles ellipsis at the start, middle and end, and merged on the right', () => {
    const x = iota([2, 3, 4, 5]);
    const y = rearrange(x, 'b ... c -> b c ...');
    expect(y.shape).toEqual([2, 5, 3, 4]);
    const expected: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let c = 0; c < 5; c++)
        for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expected.push(((b * 3 + i) * 4 + j) * 5 + c);
    expect(data(y)).toEqual(expected);

    const f = rearrange(x, 'b ... -> b (...)');
    expect(f.shape).toEqual([2, 60]);
    expect(data(f)).toEqual(data(x));

    const g = rearrange(x, '... h w -> ... w h');
    expect(g.shape).toEqual([2, 3, 5, 4]);
    expect(data(g)).toEqual(data(permute(x, [0, 1, 3, 2])));

    // The ellipsis may stand for no dims at all.
    const v = iota([4]);
    expect(rearrange(v, '... c -> c ...').shape).toEqual([4]);
    expect(rearrange(v, 'c ... -> (...) c').shape).toEqual([1, 4]);
  });

  it('handles unit axes written 1 and ()', () => {
    const x = iota([2, 1, 3]);
    expect(rearrange(x, 'b 1 c -> b c').shape).toEqual([2, 3]);
    expect(rearrange(x, 'b () c -> c b').toArraySync()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(rearrange(iota([2, 3]), 'b c -> b 1 c ()').shape).toEqual([2, 1, 3, 1]);
    expect(rearrange(iota([2, 3]), '(b 1) c -> (1 c) b 1').shape).toEqual([3, 2, 1]);
    const s = iota([]);
    expect(rearrange(s, ' -> 1 1').shape).toEqual([1, 1]);
    expect(rearrange(iota([1, 1]), '1 1 -> ').shape).toEqual([]);
  });

  it('accepts sizes it could infer, as checks', () => {
    const x = iota([2, 6]);
    expect(rearrange(x, 'b (h w) -> b h w', { b: 2, h: 3, w: 2 }).shape).toEqual([2, 3, 2]);
    expect(rearrange(x, 'b (h w) -> b w h', { w: 3 }).shape).toEqual([2, 3, 2]);
  });

  it('keeps the cache per op: the same pattern is a rearrange error but a valid repeat', () => {
    const x = iota([2, 3]);
    expect(() => rearrange(x, 'h w -> h w r', { r: 2 })).toThrow(ArgumentError);
    expect(repeat(x, 'h w -> h w r', { r: 2 }).shape).toEqual([2, 3, 2]);
    expect(() => rearrange(x, 'h w -> h w r', { r: 2 })).toThrow(ArgumentError);
    // A cached pattern gives the same answer on a second, differently shaped input.
    expect(rearrange(iota([4, 6]), 'b (h w) -> b h w', { h: 2 }).shape).toEqual([4, 2, 3]);
    expect(rearrange(iota([1, 9]), 'b (h w) -> b h w', { h: 3 }).shape).toEqual([1, 3, 3]);
  });

  it('matches an index-computed reference on random transpose/split/merge patterns', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const arb = fc
      .integer({ min: 1, max: 5 })
      .chain((n) =>
        fc.record({
          sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }),
          perm: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
          leftCuts: fc.array(fc.boolean(), { minLength: n - 1, maxLength: n - 1 }),
          rightCuts: fc.array(fc.boolean(), { minLength: n - 1, maxLength: n - 1 }),
          giveAll: fc.boolean(),
        }),
      );
    /** Splits `items` into consecutive groups, a new group after each true cut. */
    const group = <T>(items: T[], cuts: boolean[]): T[][] => {
      const out: T[][] = [[items[0]!]];
      cuts.forEach((cut, i) => (cut ? out.push([items[i + 1]!]) : out[out.length - 1]!.push(items[i + 1]!)));
      return out;
    };
    const fmt = (groups: string[][]): string => groups.map((g) => (g.length === 1 ? g[0] : `(${g.join(' ')})`)).join(' ');
    fc.assert(
      fc.property(arb, ({ sizes, perm, leftCuts, rightCuts, giveAll }) => {
        const n = sizes.length;
        const elems = names.slice(0, n);
        const lg = group(elems, leftCuts);
        const rg = group(
          perm.map((i) => elems[i]!),
          rightCuts,
        );
        const pattern = `${fmt(lg)} -> ${fmt(rg)}`;
        const size = (a: string): number => sizes[elems.indexOf(a)]!;
        const axes: Record<string, number> = {};
        for (const g of lg) g.forEach((a, i) => (giveAll || i > 0 ? (axes[a] = size(a)) : undefined));
        const x = iota(lg.map((g) => g.reduce((p, a) => p * size(a), 1)));
        const y = rearrange(x, pattern, axes);
        expect(y.shape).toEqual(rg.map((g) => g.reduce((p, a) => p * size(a), 1)));
        // Reference: walk the output's elementary axes row-major; the input's flat index is
        // the row-major index over the input's elementary axes (merging groups keeps order).
        const strides = new Array<number>(n);
        for (let i = n - 1, s = 1; i >= 0; i--) (strides[i] = s), (s *= sizes[i]!);
        const expected: number[] = [];
        const idx = new Array<number>(n).fill(0);
        const total = sizes.reduce((p, s) => p * s, 1);
        for (let k = 0; k < total; k++) {
          expected.push(perm.reduce((off, ax, j) => off + idx[j]! * strides[ax]!, 0));
          for (let j = n - 1; j >= 0; j--) {
            if (++idx[j]! < sizes[perm[j]!]!) break;
            idx[j] = 0;
          }
        }
        expect(data(y)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe('repeat', () => {
  const x = iota([2, 3]); // x[i][j] = 3i + j

  it("'h w -> (h 2) w' repeats each row", () => {
    const y = repeat(x, 'h w -> (h 2) w');
    expect(y.shape).toEqual([4, 3]);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let r = 0; r < 2; r++) for (let j = 0; j < 3; j++) expected.push(3 * i + j);
    expect(data(y)).toEqual(expected);
  });

  it("'h w -> h (w r)' repeats each element", () => {
    const y = repeat(x, 'h w -> h (w r)', { r: 3 });
    expect(y.shape).toEqual([2, 9]);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let r = 0; r < 3; r++) expected.push(3 * i + j);
    expect(data(y)).toEqual(expected);
  });

  it("'h w -> (r h) w' tiles the whole image", () => {
    const y = repeat(x, 'h w -> (r h) w', { r: 2 });
    expect(y.shape).toEqual([4, 3]);
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(3 * i + j);
    expect(data(y)).toEqual(expected);
  });

  it("'h w -> h w 3' and 'h w -> w h c' add new axes (a view when each stays its own dim)", () => {
    const y = repeat(x, 'h w -> h w 3');
    expect(y.shape).toEqual([2, 3, 3]);
    expect(y.storage).toBe(x.storage);
    const e1: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < 3; c++) e1.push(3 * i + j);
    expect(data(y)).toEqual(e1);

    const z = repeat(x, 'h w -> w h c', { c: 2 });
    expect(z.shape).toEqual([3, 2, 2]);
    const e2: number[] = [];
    for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) for (let c = 0; c < 2; c++) e2.push(3 * i + j);
    expect(data(z)).toEqual(e2);
  });

  it('broadcasts a batch of copies with ellipsis', () => {
    const y = repeat(x, '... -> b ...', { b: 4 });
    expect(y.shape).toEqual([4, 2, 3]);
    expect(data(y)).toEqual([...data(x), ...data(x), ...data(x), ...data(x)]);
    const m = repeat(iota([2, 2, 3]), 'b ... -> b (r ...)', { r: 2 });
    expect(m.shape).toEqual([2, 12]);
    expect(data(m)).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 6, 7, 8, 9, 10, 11]);
  });

  it('without new axes behaves as rearrange', () => {
    expect(data(repeat(x, 'h w -> w h'))).toEqual(data(rearrange(x, 'h w -> w h')));
  });
});

describe('errors name the op, the pattern, the axis and the input shape', () => {
  const x = iota([2, 10]);

  it('a known size that does not divide', () => {
    expect(() => rearrange(x, 'b (h p) -> b h p', { p: 3 })).toThrow(ShapeError);
    expect(() => rearrange(x, 'b (h p) -> b h p', { p: 3 })).toThrow(
      "rearrange: 'b (h p) -> b h p': dim 1 of input [2,10] is 10, not divisible by p=3",
    );
  });

  it('known sizes that do not multiply to the dim', () => {
    expect(() => rearrange(x, 'b (h p) -> b h p', { h: 2, p: 3 })).toThrow(
      "rearrange: 'b (h p) -> b h p': dim 1 of input [2,10] is 10, expected h=2*p=3 = 6",
    );
    expect(() => rearrange(x, 'b c -> c b', { b: 5 })).toThrow(/dim 0 of input \[2,10\] is 2, expected b=5/);
    expect(() => rearrange(x, 'b 1 -> b')).toThrow(ShapeError);
    expect(() => rearrange(x, 'b 1 -> b')).toThrow(/dim 1 of input \[2,10\] is 10, expected 1/);
  });

  it('two unknown sizes in one group', () => {
    expect(() => rearrange(x, 'b (h w) -> b h w')).toThrow(ArgumentError);
    expect(() => rearrange(x, 'b (h w) -> b h w')).toThrow(/'b \(h w\) -> b h w'.*cannot infer h, w.*dim 1 = 10.*\[2,10\]/);
  });

  it('an axis on one side only', () => {
    expect(() => rearrange(x, 'b c -> b')).toThrow(ArgumentError);
    expect(() => rearrange(x, 'b c -> b')).toThrow("rearrange: 'b c -> b': axis 'c' is on the left side only (input [2,10])");
    expect(() => rearrange(x, 'b c -> b c d', { d: 2 })).toThrow(/axis 'd' is on the right side only.*\[2,10\]/);
    expect(() => repeat(x, 'b c -> b')).toThrow(/repeat: 'b c -> b': axis 'c' is on the left side only/);
  });

  it('a repeated name', () => {
    expect(() => rearrange(x, 'b b -> b')).toThrow(ArgumentError);
    expect(() => rearrange(x, 'b b -> b')).toThrow(/axis 'b' appears twice on the left side.*\[2,10\]/);
    expect(() => rearrange(x, 'b c -> (b c) b')).toThrow(/axis 'b' appears twice on the right side/);
  });

  it('a rank mismatch', () => {
    expect(() => rearrange(x, 'a b c -> c b a')).toThrow(ShapeError);
    expect(() => rearrange(x, 'a b c -> c b a')).toThrow("rearrange: 'a b c -> c b a': the left side has 3 dims but input [2,10] has rank 2");
    expect(() => rearrange(x, 'a b c ... -> c b a ...')).toThrow(/at least 3 dims but input \[2,10\] has rank 2/);
  });

  it('a malformed pattern', () => {
    const bad: [string, RegExp][] = [
      ['b c', /expected one '->'/],
      ['b -> c -> b', /expected one '->'/],
      ['(b c -> b c', /unbalanced '\('/],
      ['b c) -> b c', /unbalanced '\)'/],
      ['((b c)) -> b c', /nested parentheses/],
      ['b-c -> b c', /unexpected 'b-c'/],
      ['b 2c -> b c', /unexpected '2c'/],
      ['b .. -> b', /unexpected '\.'/],
      ['... b ... -> b', /'\.\.\.' appears twice on the left side/],
      ['(b ...) -> b ...', /inside parentheses is not allowed on the left side/],
      ['b ... -> b', /'\.\.\.' appears on the left side only/],
      ['b c -> b c ...', /'\.\.\.' appears on the right side only/],
      ['(b 2) c -> b c', /anonymous axis 2 on the left side/],
      ['b c -> b c 2', /anonymous axis 2 is not supported by rearrange/],
      ['b c -> b c 0', /must be positive/],
    ];
    for (const [p, re] of bad) {
      expect(() => rearrange(x, p), p).toThrow(ArgumentError);
      expect(() => rearrange(x, p), p).toThrow(re);
      expect(() => rearrange(x, p), p).toThrow(/\(input \[2,10\]\)/);
    }
  });

  it('bad axes arguments', () => {
    expect(() => rearrange(x, 'b c -> c b', { q: 2 })).toThrow(/axes\.q is given but 'q' is not in the pattern/);
    expect(() => rearrange(x, 'b (h p) -> b h p', { p: 2.5 })).toThrow(/axes\.p must be a positive integer, got 2.5/);
    expect(() => rearrange(x, 'b (h p) -> b h p', { p: 0 })).toThrow(ArgumentError);
    expect(() => repeat(x, 'b c -> b c r')).toThrow(/repeat: 'b c -> b c r': new axis 'r' needs a size.*\[2,10\]/);
    expect(() => rearrange('x' as unknown as Tensor, 'b -> b')).toThrow(/rearrange: input must be a Tensor/);
    expect(() => rearrange(x, 3 as unknown as string)).toThrow(/rearrange: pattern must be a string/);
  });
});
