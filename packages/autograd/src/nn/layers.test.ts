/**
 * nn layers: PyTorch's parameter names and shapes (hard-coded from PyTorch 1.13's state dicts),
 * default initialisation (bounds and statistics), forward shapes, Dropout, containers, error
 * messages and reprs.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, memory, ones, randn, tensor, tidy, zeros } from '@tessera/tensor';
import '../index.js';
import { noGrad } from '../functional.js';
import * as nn from './index.js';

function shapes(m: nn.Module): [string, number[]][] {
  return Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]);
}

function stats(t: Tensor): { min: number; max: number; mean: number; std: number } {
  const d = t.dataSync();
  let min = Infinity;
  let max = -Infinity;
  let s = 0;
  for (const v of d) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    s += v;
  }
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(ss / d.length) };
}

/** Checks U(-bound, bound): inside the bounds, reaching near both ends, mean ≈ 0, std ≈ bound/√3. */
function expectUniform(name: string, t: Tensor, bound: number): void {
  const s = stats(t);
  expect(s.min, `${name} min`).toBeGreaterThanOrEqual(-bound);
  expect(s.max, `${name} max`).toBeLessThanOrEqual(bound);
  expect(s.min, `${name} reaches the lower bound`).toBeLessThan(-0.95 * bound);
  expect(s.max, `${name} reaches the upper bound`).toBeGreaterThan(0.95 * bound);
  expect(Math.abs(s.mean), `${name} mean`).toBeLessThan(0.05 * bound);
  expect(s.std / (bound / Math.sqrt(3)), `${name} std`).toBeCloseTo(1, 1);
}

function expectConst(name: string, t: Tensor, v: number): void {
  expect([...t.dataSync()].every((x) => x === v), `${name} all ${v}`).toBe(true);
}

describe('parameter names and shapes match PyTorch', () => {
  // From `{k: list(v.shape) for k, v in m.state_dict().items()}` in PyTorch 1.13.
  const cases: [string, () => nn.Module, [string, number[]][]][] = [
    ['Linear(4, 3)', () => new nn.Linear(4, 3), [['weight', [3, 4]], ['bias', [3]]]],
    ['Linear(4, 3, bias=False)', () => new nn.Linear(4, 3, { bias: false }), [['weight', [3, 4]]]],
    ['Conv1d(4, 6, 3, groups=2)', () => new nn.Conv1d(4, 6, 3, { groups: 2 }), [['weight', [6, 2, 3]], ['bias', [6]]]],
    ['Conv2d(3, 8, (3, 5))', () => new nn.Conv2d(3, 8, [3, 5]), [['weight', [8, 3, 3, 5]], ['bias', [8]]]],
    ['Conv3d(2, 4, 3, bias=False)', () => new nn.Conv3d(2, 4, 3, { bias: false }), [['weight', [4, 2, 3, 3, 3]]]],
    ['ConvTranspose1d(4, 6, 3, groups=2)', () => new nn.ConvTranspose1d(4, 6, 3, { groups: 2 }), [['weight', [4, 3, 3]], ['bias', [6]]]],
    ['ConvTranspose2d(8, 4, 4, stride=2)', () => new nn.ConvTranspose2d(8, 4, 4, { stride: 2 }), [['weight', [8, 4, 4, 4]], ['bias', [4]]]],
    ['ConvTranspose3d(4, 2, (1, 3, 3))', () => new nn.ConvTranspose3d(4, 2, [1, 3, 3]), [['weight', [4, 2, 1, 3, 3]], ['bias', [2]]]],
    ['LayerNorm([4, 5])', () => new nn.LayerNorm([4, 5]), [['weight', [4, 5]], ['bias', [4, 5]]]],
    ['LayerNorm(8, elementwise_affine=False)', () => new nn.LayerNorm(8, { elementwiseAffine: false }), []],
    ['GroupNorm(2, 6)', () => new nn.GroupNorm(2, 6), [['weight', [6]], ['bias', [6]]]],
    ['GroupNorm(2, 6, affine=False)', () => new nn.GroupNorm(2, 6, { affine: false }), []],
    ['Embedding(10, 4)', () => new nn.Embedding(10, 4), [['weight', [10, 4]]]],
    [
      'Sequential(Linear(2, 3), GELU(), Linear(3, 1))',
      () => new nn.Sequential(new nn.Linear(2, 3), new nn.GELU(), new nn.Linear(3, 1)),
      [['0.weight', [3, 2]], ['0.bias', [3]], ['2.weight', [1, 3]], ['2.bias', [1]]],
    ],
    [
      'ModuleList([Linear(2, 2), LayerNorm(2)])',
      () => new nn.ModuleList<nn.Module>([new nn.Linear(2, 2), new nn.LayerNorm(2)]),
      [['0.weight', [2, 2]], ['0.bias', [2]], ['1.weight', [2]], ['1.bias', [2]]],
    ],
    [
      'MultiheadAttention(8, 2)',
      () => new nn.MultiheadAttention(8, 2),
      [['in_proj_weight', [24, 8]], ['in_proj_bias', [24]], ['out_proj.weight', [8, 8]], ['out_proj.bias', [8]]],
    ],
    ['MultiheadAttention(8, 2, bias=False)', () => new nn.MultiheadAttention(8, 2, { bias: false }), [['in_proj_weight', [24, 8]], ['out_proj.weight', [8, 8]]]],
    // timm's Attention(dim=8, num_heads=2, qkv_bias=True) and (qk_norm=True).
    [
      'Attention(8, qkv_bias=True)',
      () => new nn.Attention(8, { numHeads: 2, qkvBias: true }),
      [['qkv.weight', [24, 8]], ['qkv.bias', [24]], ['proj.weight', [8, 8]], ['proj.bias', [8]]],
    ],
    [
      'Attention(8, qk_norm=True)',
      () => new nn.Attention(8, { numHeads: 2, qkNorm: true }),
      [['qkv.weight', [24, 8]], ['q_norm.weight', [4]], ['q_norm.bias', [4]], ['k_norm.weight', [4]], ['k_norm.bias', [4]], ['proj.weight', [8, 8]], ['proj.bias', [8]]],
    ],
    ['GELU / SiLU / Identity / Dropout / Flatten have none', () => new nn.Sequential(new nn.GELU(), new nn.SiLU(), new nn.Identity(), new nn.Dropout(), new nn.Flatten()), []],
  ];
  for (const [name, make, expected] of cases) {
    it(name, () => {
      const m = make();
      expect(shapes(m)).toEqual(expected);
      expect(m.numParameters()).toBe(expected.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0));
      for (const p of m.parameters()) {
        expect(p.requiresGrad).toBe(true);
        expect(p.dtype).toBe('float32');
      }
      m.dispose();
    });
  }
});

describe('default initialisation follows PyTorch', () => {
  const generator = new Generator(1);

  it('Linear: weight and bias ~ U(-1/√in, 1/√in)', () => {
    const l = new nn.Linear(256, 512, { generator });
    expectUniform('weight', l.weight, 1 / 16);
    const b = new nn.Linear(256, 4096, { generator }).bias!;
    expectUniform('bias', b, 1 / 16);
  });

  it('Conv: fanIn = in/groups · ∏k for weight and bias', () => {
    const c = new nn.Conv2d(16, 64, 3, { groups: 2, generator }); // fanIn 8·9 = 72
    expectUniform('weight', c.weight, 1 / Math.sqrt(72));
    const b = new nn.Conv1d(32, 4096, 2, { generator }).bias!; // fanIn 64
    expectUniform('bias', b, 1 / 8);
  });

  it('ConvTranspose: fanIn = weight.shape[1] · ∏k = out/groups · ∏k', () => {
    const c = new nn.ConvTranspose2d(64, 32, 3, { groups: 2, generator }); // weight [64, 16, 3, 3], fanIn 144
    expect([...c.weight.shape]).toEqual([64, 16, 3, 3]);
    expectUniform('weight', c.weight, 1 / 12);
    const b = new nn.ConvTranspose3d(4, 4096, [1, 2, 2], { generator }).bias!; // fanIn 4096·4
    expectUniform('bias', b, 1 / 128);
  });

  it('LayerNorm / GroupNorm: weight 1, bias 0', () => {
    const ln = new nn.LayerNorm([3, 4]);
    expectConst('ln weight', ln.weight!, 1);
    expectConst('ln bias', ln.bias!, 0);
    const gn = new nn.GroupNorm(2, 6);
    expectConst('gn weight', gn.weight!, 1);
    expectConst('gn bias', gn.bias!, 0);
  });

  it('Embedding: N(0, 1); paddingIdx row zero', () => {
    const s = stats(new nn.Embedding(1000, 64, { generator }).weight);
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(s.std).toBeCloseTo(1, 1);
    const e = new nn.Embedding(5, 3, { paddingIdx: -2, generator });
    expect(e.paddingIdx).toBe(3);
    expect(e.weight.toArraySync()).toSatisfy((rows: number[][]) => rows[3]!.every((v) => v === 0) && rows[0]!.some((v) => v !== 0));
  });

  it('MultiheadAttention: xavier_uniform in_proj_weight, zero biases, Linear init on out_proj.weight', () => {
    const m = new nn.MultiheadAttention(128, 4, { generator });
    expectUniform('in_proj_weight', m.in_proj_weight, Math.sqrt(6 / (128 + 3 * 128)));
    expectConst('in_proj_bias', m.in_proj_bias!, 0);
    expectConst('out_proj.bias', m.out_proj.bias!, 0);
    expectUniform('out_proj.weight', m.out_proj.weight, 1 / Math.sqrt(128));
  });

  it('a generator makes the parameters reproducible; the global seed is used without one', () => {
    const a = new nn.Linear(5, 7, { generator: new Generator(42) });
    const b = new nn.Linear(5, 7, { generator: new Generator(42) });
    const c = new nn.Linear(5, 7, { generator: new Generator(43) });
    expect(a.weight.toArraySync()).toEqual(b.weight.toArraySync());
    expect(a.bias!.toArraySync()).toEqual(b.bias!.toArraySync());
    expect(a.weight.toArraySync()).not.toEqual(c.weight.toArraySync());
  });

  it('creating and disposing layers leaks no buffers', () => {
    const before = memory().numBuffers;
    const ms = [new nn.Linear(4, 3), new nn.Conv2d(2, 4, 3), new nn.MultiheadAttention(8, 2), new nn.Embedding(6, 2, { paddingIdx: 0 }), new nn.LayerNorm(4)];
    for (const m of ms) m.dispose();
    expect(memory().numBuffers).toBe(before);
  });
});

describe('forward', () => {
  it('Linear maps the last dim; works on any leading dims', () => {
    const l = new nn.Linear(4, 3);
    expect([...l.forward(randn([2, 5, 4])).shape]).toEqual([2, 5, 3]);
    const nb = new nn.Linear(4, 3, { bias: false });
    expect(nb.forward(zeros([1, 4])).toArraySync()).toEqual([[0, 0, 0]]);
  });

  it('Conv padding "same" keeps the size (also with an even kernel); strided output sizes', () => {
    expect([...new nn.Conv1d(2, 3, 4, { padding: 'same', dilation: 2 }).forward(randn([1, 2, 9])).shape]).toEqual([1, 3, 9]);
    expect([...new nn.Conv2d(2, 3, 3, { stride: 2, padding: 1 }).forward(randn([2, 2, 7, 8])).shape]).toEqual([2, 3, 4, 4]);
    expect([...new nn.Conv3d(1, 2, [1, 3, 3], { padding: [0, 1, 1] }).forward(randn([1, 1, 2, 4, 4])).shape]).toEqual([1, 2, 2, 4, 4]);
    // Unbatched input, as PyTorch.
    expect([...new nn.Conv2d(2, 3, 3).forward(randn([2, 5, 5])).shape]).toEqual([3, 3, 3]);
  });

  it('ConvTranspose: outputPadding, and outputSize picks it in forward', () => {
    const ct = new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1 });
    const x = randn([1, 4, 5, 5]);
    expect([...ct.forward(x).shape]).toEqual([1, 2, 9, 9]);
    expect([...ct.forward(x, [10, 10]).shape]).toEqual([1, 2, 10, 10]);
    expect([...ct.forward(x, [1, 2, 10, 9]).shape]).toEqual([1, 2, 10, 9]);
    expect(() => ct.forward(x, [11, 10])).toThrow(/requested an output size of \[11,10\], but valid sizes along spatial dim 0 range from 9 to 10/);
    const withPad = new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    expect([...withPad.forward(x).shape]).toEqual([1, 2, 10, 10]);
    expect([...new nn.ConvTranspose1d(2, 4, 3, { groups: 2 }).forward(randn([3, 2, 5])).shape]).toEqual([3, 4, 7]);
    expect([...new nn.ConvTranspose3d(2, 1, 2, { stride: 2 }).forward(randn([1, 2, 2, 3, 3])).shape]).toEqual([1, 1, 4, 6, 6]);
  });

  it('LayerNorm normalises the trailing dims; GroupNorm the channel groups', () => {
    const y = new nn.LayerNorm(4).forward(tensor([[1, 2, 3, 4], [2, 2, 2, 6]]));
    for (const row of y.toArraySync() as number[][]) {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 5);
      expect(row.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 3);
    }
    expect([...new nn.GroupNorm(2, 4).forward(randn([2, 4, 3, 3])).shape]).toEqual([2, 4, 3, 3]);
  });

  it('Embedding looks rows up; the padding row gets no gradient', () => {
    const e = new nn.Embedding(4, 2, { paddingIdx: 1 });
    const idx = tensor([[0, 1], [3, 1]], { dtype: 'int32' });
    const out = e.forward(idx);
    expect([...out.shape]).toEqual([2, 2, 2]);
    const w = e.weight.toArraySync() as number[][];
    expect((out.toArraySync() as number[][][])[1]![0]).toEqual(w[3]);
    out.sum().backward();
    expect(e.weight.grad!.toArraySync()).toEqual([[1, 1], [0, 0], [0, 0], [1, 1]]);
  });

  it('activations', () => {
    const x = tensor([-1, 0, 2]);
    expect(new nn.SiLU().forward(x).toArraySync()).toEqual(x.silu().toArraySync());
    expect(new nn.GELU({ approximate: 'tanh' }).forward(x).toArraySync()).toEqual(x.gelu('tanh').toArraySync());
    expect(new nn.GELU().forward(x).toArraySync()).toEqual(x.gelu().toArraySync());
    expect(new nn.ReLU().forward(x).toArraySync()).toEqual([0, 0, 2]);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect([...new nn.Flatten().forward(zeros([2, 3, 4])).shape]).toEqual([2, 12]);
  });

  it('Attention: [B, N, C] → [B, N, C]; equals MultiheadAttention with the same projections', () => {
    const g = new Generator(3);
    const attn = new nn.Attention(8, { numHeads: 2, qkvBias: true, generator: g });
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true, generator: g });
    mha.loadStateDict({
      in_proj_weight: attn.qkv.weight,
      in_proj_bias: attn.qkv.bias!,
      'out_proj.weight': attn.proj.weight,
      'out_proj.bias': attn.proj.bias!,
    });
    const x = randn([2, 5, 8], { generator: g });
    const a = attn.forward(x).toArraySync() as number[][][];
    const [m] = mha.forward(x, x, x, { needWeights: false });
    const b = m.toArraySync() as number[][][];
    a.flat(2).forEach((v, i) => expect(v).toBeCloseTo(b.flat(2)[i]!, 5));
  });

  it('MultiheadAttention: shapes in both layouts, unbatched, weights averaged or per head', () => {
    const mha = new nn.MultiheadAttention(8, 2);
    const [o, w] = mha.forward(randn([3, 2, 8]), randn([5, 2, 8]), randn([5, 2, 8]));
    expect([...o.shape]).toEqual([3, 2, 8]);
    expect([...w!.shape]).toEqual([2, 3, 5]);
    const bf = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    const x = randn([2, 3, 8]);
    const [o2, w2] = bf.forward(x, x, x, { averageAttnWeights: false });
    expect([...o2.shape]).toEqual([2, 3, 8]);
    expect([...w2!.shape]).toEqual([2, 2, 3, 3]);
    const [o3, w3] = mha.forward(randn([3, 8]), randn([4, 8]), randn([4, 8]), { needWeights: false });
    expect([...o3.shape]).toEqual([3, 8]);
    expect(w3).toBeNull();
    // Weights are a distribution over keys.
    for (const row of (w!.toArraySync() as number[][][]).flat()) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('MultiheadAttention: needWeights false (sdpa path) equals the explicit path', () => {
    const mha = new nn.MultiheadAttention(8, 4, { batchFirst: true });
    const q = randn([2, 3, 8]);
    const k = randn([2, 5, 8]);
    const kpm = tensor([[false, false, false, false, false], [false, true, false, true, false]]);
    const am = tensor([[true, false, false, false, false], [false, false, false, false, false], [false, false, true, false, false]]);
    const [a] = mha.forward(q, k, k, { keyPaddingMask: kpm, attnMask: am, needWeights: true });
    const [b] = mha.forward(q, k, k, { keyPaddingMask: kpm, attnMask: am, needWeights: false });
    const bf = (b.toArraySync() as number[][][]).flat(2);
    (a.toArraySync() as number[][][]).flat(2).forEach((v, i) => expect(v).toBeCloseTo(bf[i]!, 5));
  });
});

describe('Dropout', () => {
  it('is the identity in eval mode and with p = 0', () => {
    const x = randn([10]);
    const d = new nn.Dropout(0.5);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(new nn.Dropout(0).forward(x)).toBe(x);
  });

  it('in training zeroes about p of the elements and scales the rest by 1/(1-p)', () => {
    const d = new nn.Dropout(0.3, { generator: new Generator(7) });
    expect(d.training).toBe(true);
    const x = ones([20000]);
    const y = d.forward(x).dataSync();
    let zerosN = 0;
    for (const v of y) {
      if (v === 0) zerosN++;
      else expect(v).toBeCloseTo(1 / 0.7, 6);
    }
    expect(zerosN / y.length).toBeGreaterThan(0.28);
    expect(zerosN / y.length).toBeLessThan(0.32);
  });

  it('the same generator seed gives the same mask; the gradient is the mask over 1-p', () => {
    const x = randn([50]).requiresGrad_();
    const a = new nn.Dropout(0.5, { generator: new Generator(9) }).forward(x);
    const b = new nn.Dropout(0.5, { generator: new Generator(9) }).forward(x);
    expect(a.toArraySync()).toEqual(b.toArraySync());
    a.sum().backward();
    const g = x.grad!.dataSync();
    const av = a.dataSync();
    g.forEach((v, i) => expect(v).toBe(av[i] === 0 ? 0 : 2));
  });

  it('p = 1 zeroes everything; train()/eval() reach dropout inside containers', () => {
    expect(new nn.Dropout(1).forward(ones([3])).toArraySync()).toEqual([0, 0, 0]);
    const seq = new nn.Sequential(new nn.Identity(), new nn.Dropout(0.9));
    seq.eval();
    expect((seq.at(1) as nn.Dropout).training).toBe(false);
    const x = ones([4]);
    expect(seq.forward(x)).toBe(x);
    seq.train();
    expect((seq.at(-1) as nn.Dropout).training).toBe(true);
  });

  it('rejects p outside [0, 1]', () => {
    expect(() => new nn.Dropout(1.5)).toThrow('Dropout: probability has to be between 0 and 1, but got 1.5');
    expect(() => new nn.Dropout(-0.1)).toThrow(/between 0 and 1/);
  });

});

describe('forward leaves only its outputs behind (outside tidy)', () => {
  // Each case builds the layer and inputs, and returns the forward call to measure.
  const cases: [string, () => () => Tensor[]][] = [
    ['Linear', () => { const l = new nn.Linear(4, 3); const x = randn([2, 4]); return () => [l.forward(x)]; }],
    ['Conv2d same', () => { const l = new nn.Conv2d(2, 3, 2, { padding: 'same' }); const x = randn([1, 2, 4, 4]); return () => [l.forward(x)]; }],
    ['ConvTranspose2d outputSize', () => { const l = new nn.ConvTranspose2d(2, 3, 3, { stride: 2 }); const x = randn([1, 2, 3, 3]); return () => [l.forward(x, [8, 8])]; }],
    ['LayerNorm', () => { const l = new nn.LayerNorm(4); const x = randn([2, 4]); return () => [l.forward(x)]; }],
    ['GroupNorm', () => { const l = new nn.GroupNorm(2, 4); const x = randn([2, 4, 3]); return () => [l.forward(x)]; }],
    ['Embedding with paddingIdx', () => { const l = new nn.Embedding(4, 2, { paddingIdx: 0 }); const i = tensor([[0, 1], [2, 3]], { dtype: 'int32' }); return () => [l.forward(i)]; }],
    ['Dropout', () => { const l = new nn.Dropout(0.5); const x = randn([8]); return () => [l.forward(x)]; }],
    ['GELU', () => { const l = new nn.GELU({ approximate: 'tanh' }); const x = randn([8]); return () => [l.forward(x)]; }],
    ['Attention', () => { const l = new nn.Attention(8, { numHeads: 2, qkNorm: true }); const x = randn([2, 3, 8]); return () => [l.forward(x)]; }],
    [
      'MultiheadAttention with masks',
      () => {
        const l = new nn.MultiheadAttention(8, 2);
        const q = randn([3, 2, 8]);
        const kpm = tensor([[false, true, false], [false, false, false]]);
        const am = tensor([[false, false, true], [false, false, false], [false, false, false]]);
        return () => {
          const [o, w] = l.forward(q, q, q, { keyPaddingMask: kpm, attnMask: am });
          return [o, w!];
        };
      },
    ],
    [
      'MultiheadAttention without weights',
      () => {
        const l = new nn.MultiheadAttention(8, 2, { batchFirst: true });
        const q = randn([2, 3, 8]);
        const k = randn([2, 4, 8]);
        return () => [l.forward(q, k, k, { needWeights: false })[0]];
      },
    ],
  ];
  for (const [name, setup] of cases) {
    it(name, () => {
      noGrad(() => {
        const forward = setup();
        const before = memory().numBuffers;
        const outs = forward();
        expect(memory().numBuffers - before).toBe(outs.length);
        for (const o of outs) o.dispose();
        expect(memory().numBuffers).toBe(before);
      });
    });
  }
});

describe('containers', () => {
  it('Sequential chains forward, indexes, iterates, and accepts named children', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.SiLU(), new nn.Linear(4, 2));
    expect(seq.length).toBe(3);
    expect([...seq.forward(randn([5, 3])).shape]).toEqual([5, 2]);
    expect(seq.at(-1)).toBe(seq.at(2));
    expect([...seq].length).toBe(3);
    expect(() => seq.at(3)).toThrow(/index 3 is out of range for 3 modules/);
    seq.append(new nn.Identity());
    expect(seq.namedChildren().map(([n]) => n)).toEqual(['0', '1', '2', '3']);
    const named = new nn.Sequential({ fc1: new nn.Linear(2, 3), act: new nn.GELU(), fc2: new nn.Linear(3, 1) });
    expect(Object.keys(named.stateDict())).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(() => new nn.Sequential({ forward: new nn.Identity() })).toThrow(/would shadow a member/);
  });

  it('ModuleList names by index, appends, iterates, nests into dotted names', () => {
    class Net extends nn.Module {
      declare readonly blocks: nn.ModuleList<nn.Linear>;
      constructor() {
        super();
        this.registerModule('blocks', new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]));
        this.blocks.append(new nn.Linear(2, 1, { bias: false }));
      }
      forward(x: Tensor): Tensor {
        for (const b of this.blocks) x = b.forward(x);
        return x;
      }
    }
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(['blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias', 'blocks.2.weight']);
    expect(net.blocks.length).toBe(3);
    expect(net.blocks.at(-1).outFeatures).toBe(1);
    expect([...net.forward(randn([4, 2])).shape]).toEqual([4, 1]);
  });
});

describe('errors name the layer and the shapes', () => {
  it('Linear with the wrong number of input features', () => {
    const l = new nn.Linear(4, 3);
    expect(() => l.forward(zeros([2, 5]))).toThrow(
      'Linear(in_features=4, out_features=3, bias=True): input [2,5] has 5 features in its last dim, expected 4 (weight [3,4])',
    );
  });

  it('Conv with the wrong channel count or rank', () => {
    const c = new nn.Conv2d(3, 8, 3, { padding: 1 });
    expect(() => c.forward(zeros([1, 4, 8, 8]))).toThrow(
      'Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)): input [1,4,8,8] has 4 channels, expected 3 (weight [8,3,3,3])',
    );
    expect(() => c.forward(zeros([3, 8]))).toThrow(/input must have rank 3 \(unbatched\) or 4 \(batched\), got \[3,8\]/);
    expect(() => new nn.ConvTranspose2d(4, 2, 3).forward(zeros([1, 2, 5, 5]))).toThrow(/input \[1,2,5,5\] has 2 channels, expected 4 \(weight \[4,2,3,3\]\)/);
  });

  it('bad constructor arguments', () => {
    expect(() => new nn.Conv2d(3, 8, 3, { groups: 2 })).toThrow('Conv2d: inChannels 3 must be divisible by groups 2');
    expect(() => new nn.Conv2d(4, 6, 3, { groups: 4 })).toThrow('Conv2d: outChannels 6 must be divisible by groups 4');
    expect(() => new nn.Conv2d(4, 6, 3, { padding: 'same', stride: 2 })).toThrow(/padding='same' is not supported for strided convolutions/);
    expect(() => new nn.Conv2d(4, 6, [3, 3, 3])).toThrow(/kernelSize must be an int or a list of 2 ints/);
    expect(() => new nn.ConvTranspose2d(4, 6, 3, { outputPadding: 2, stride: 2 })).toThrow(/outputPadding must be smaller than either stride or dilation/);
    expect(() => new nn.GroupNorm(4, 6)).toThrow('GroupNorm: numChannels 6 must be divisible by numGroups 4');
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow('MultiheadAttention: embedDim 10 must be divisible by numHeads 3');
    expect(() => new nn.Attention(10, { numHeads: 4 })).toThrow('Attention: dim 10 must be divisible by numHeads 4');
    expect(() => new nn.Linear(2.5, 3)).toThrow('Linear: inFeatures must be an integer >= 0, got 2.5');
    expect(() => new nn.Embedding(4, 2, { paddingIdx: 4 })).toThrow('Embedding: paddingIdx must be within [-4, 4), got 4');
  });

  it('norms and attention with mismatched inputs', () => {
    expect(() => new nn.LayerNorm([4, 5]).forward(zeros([2, 5, 4]))).toThrow(/input \[2,5,4\] does not end in normalizedShape \[4,5\]/);
    expect(() => new nn.GroupNorm(2, 4, { affine: false }).forward(zeros([2, 6, 3]))).toThrow(/input must be \[N, 4, \.\.\.\], got \[2,6,3\]/);
    const mha = new nn.MultiheadAttention(8, 2);
    const q = zeros([3, 2, 8]);
    expect(() => mha.forward(q, q, q, { keyPaddingMask: zeros([3, 2]) })).toThrow('MultiheadAttention: keyPaddingMask is [3,2], but should be [2,3]');
    expect(() => mha.forward(q, q, q, { attnMask: zeros([3, 4]) })).toThrow('MultiheadAttention: the 2-D attnMask is [3,4], but should be [3,3]');
    expect(() => mha.forward(q, zeros([5, 2, 6]), zeros([5, 2, 6]))).toThrow('MultiheadAttention: key [5,2,6] must have embedDim 8 in its last dim');
    expect(() => new nn.Attention(8, { numHeads: 2 }).forward(zeros([2, 3, 6]))).toThrow(/input must be \[B, N, 8\], got \[2,3,6\]/);
    expect(() => new nn.Embedding(4, 2).forward(zeros([2]))).toThrow(/indices \[2\] must be int32, got float32/);
  });
});

describe('reprs follow PyTorch', () => {
  it('prints like torch.nn', () => {
    expect(String(new nn.Linear(4, 3))).toBe('Linear(in_features=4, out_features=3, bias=True)');
    expect(String(new nn.Conv2d(3, 8, 3, { padding: 1 }))).toBe('Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))');
    expect(String(new nn.Conv1d(2, 2, 3, { padding: 'same' }))).toBe('Conv1d(2, 2, kernel_size=(3,), stride=(1,), padding=same)');
    expect(String(new nn.Conv2d(2, 4, 3, { groups: 2, bias: false, dilation: 2 }))).toBe(
      'Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), groups=2, bias=False)',
    );
    expect(String(new nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1, outputPadding: 1 }))).toBe(
      'ConvTranspose2d(8, 4, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))',
    );
    expect(String(new nn.GELU({ approximate: 'tanh' }))).toBe("GELU(approximate='tanh')");
  });
});

it('forward inside tidy releases every intermediate', () => {
  const model = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.GroupNorm(2, 4), new nn.SiLU());
  const x = randn([1, 2, 4, 4]);
  const before = memory().numBuffers;
  // Without recording: a recorded graph keeps what backward needs until the graph is dropped.
  noGrad(() =>
    tidy(() => {
      model.forward(x);
    }),
  );
  expect(memory().numBuffers).toBe(before);
});
