/**
 * DiT: configurations and parameter counts (spec §1.1), state-dict names and shapes (§1.2), the
 * spec's test vectors (§1.8), initialisation (§1.4), label dropout, unpatchify order and
 * forward_with_cfg's quirks. PyTorch parity is in golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, cat, memory, randn, tensor, zeros } from '@tessera/tensor';
import { createDiffusion } from '../diffusion/index.js';
import { noGrad } from '@tessera/autograd';
import { DIT_NAMES, DiT, ditConfig, ditParameterCount, ditStateDictShapes, sampleDiT, sincosPosEmbed2d, timestepEmbedding } from './index.js';

const arr = (t: Tensor): number[] => Array.from(t.dataSync());
const small = { inputSize: 8, patchSize: 2, inChannels: 4, hiddenSize: 32, depth: 2, numHeads: 4, numClasses: 10 };

describe('configurations', () => {
  it('every named config has the spec parameter count (pos_embed excluded)', () => {
    const expected: Record<string, number> = {
      'DiT-S/2': 32_865_056, 'DiT-S/4': 32_920_448, 'DiT-S/8': 33_142_016,
      'DiT-B/2': 130_315_808, 'DiT-B/4': 130_426_496, 'DiT-B/8': 130_869_248,
      'DiT-L/2': 457_840_672, 'DiT-L/4': 457_988_224, 'DiT-L/8': 458_578_432,
      'DiT-XL/2': 674_834_720, 'DiT-XL/4': 675_000_704, 'DiT-XL/8': 675_664_640,
    };
    expect([...DIT_NAMES].sort()).toEqual(Object.keys(expected).sort());
    for (const name of DIT_NAMES) expect(ditParameterCount(ditConfig(name)), name).toBe(expected[name]);
    // pos_embed is in the state dict: (1, 256, 1152) for XL/2 at 256².
    expect(ditParameterCount(ditConfig('DiT-XL/2'), false) - ditParameterCount(ditConfig('DiT-XL/2'))).toBe(256 * 1152);
    expect(ditConfig('DiT-XL/2', { inputSize: 64 }).inputSize).toBe(64);
    expect(() => ditConfig('DiT-M/2' as never)).toThrow(/unknown model/);
  });

  it("the model's state dict has the reference's names, order and shapes", () => {
    const model = new DiT({ ...small, generator: new Generator(0) });
    const sd = model.stateDict();
    const want = ditStateDictShapes(small);
    expect(Object.keys(sd)).toEqual(want.map(([k]) => k));
    for (const [k, shape] of want) expect([...sd[k]!.shape], k).toEqual(shape);
    expect(model.numParameters()).toBe(ditParameterCount(small, false));
    expect(model.trainableParameters().reduce((n, p) => n + p.size, 0)).toBe(ditParameterCount(small));
    expect(model.pos_embed.requiresGrad).toBe(false);
    for (const k of ['x_embedder.proj.weight', 't_embedder.mlp.0.weight', 'y_embedder.embedding_table.weight', 'blocks.1.attn.qkv.weight', 'blocks.0.adaLN_modulation.1.weight', 'final_layer.linear.weight']) {
      expect(k in sd, k).toBe(true);
    }
    expect(sd['y_embedder.embedding_table.weight']!.shape[0]).toBe(11); // + the null class
    const noDrop = new DiT({ ...small, depth: 0, classDropoutProb: 0 });
    expect(noDrop.stateDict()['y_embedder.embedding_table.weight']!.shape[0]).toBe(10);
  });

  it('strict loading reports missing and unexpected keys', () => {
    const model = new DiT({ ...small, depth: 1 });
    const sd = { ...model.stateDict() };
    delete sd['final_layer.linear.bias'];
    sd['blocks.0.attn.q_norm.weight'] = zeros([8]);
    expect(() => model.loadStateDict(sd)).toThrow(/missing keys: final_layer.linear.bias; unexpected keys: blocks.0.attn.q_norm.weight/);
  });
});

describe('embeddings (spec §1.8 test vectors)', () => {
  it('timestep features are [cos, sin]', () => {
    const e = arr(timestepEmbedding(tensor(new Int32Array([1, 999])), 256));
    const t1 = e.slice(0, 256);
    const t999 = e.slice(256);
    [0.540302, 0.597375, 0.647906, 0.692504].forEach((v, i) => expect(t1[i]).toBeCloseTo(v, 5));
    expect(t1[127]).toBeCloseTo(1.0, 6);
    [0.841471, 0.801962, 0.76172, 0.721414].forEach((v, i) => expect(t1[128 + i]).toBeCloseTo(v, 5));
    expect(t1[255]).toBeCloseTo(1.0746e-4, 7);
    // At t = 999 the float32 argument t·f is only good to ~3e-5, so the spec's values (computed
    // with other roundings) agree to 3 decimals; PyTorch 1.13 itself gives these, which we match.
    [0.99965, 0.963785, -0.398965].forEach((v, i) => expect(t999[i]).toBeCloseTo(v, 3));
    [-0.026461, -0.266679, -0.916966].forEach((v, i) => expect(t999[128 + i]).toBeCloseTo(v, 3));
    [0.9996498227119446, 0.9637852907180786, -0.39902055263519287].forEach((v, i) => expect(t999[i]).toBeCloseTo(v, 6));
    [-0.02646075189113617, -0.2666793763637543, -0.9169420003890991].forEach((v, i) => expect(t999[128 + i]).toBeCloseTo(v, 6));
    expect(timestepEmbedding(tensor(new Int32Array([3])), 5).shape).toEqual([1, 5]);
  });

  it('2-D pos-embed: first half the column, second half the row', () => {
    const pe = sincosPosEmbed2d(8, 3);
    const row = (k: number): number[] => Array.from(pe.subarray(k * 8, k * 8 + 8));
    const want = [
      [0, 0, 1, 1, 0, 0, 1, 1],
      [0.841471, 0.01, 0.540302, 0.99995, 0, 0, 1, 1],
      [0.909297, 0.019999, -0.416147, 0.9998, 0, 0, 1, 1],
      [0, 0, 1, 1, 0.841471, 0.01, 0.540302, 0.99995],
      [0.841471, 0.01, 0.540302, 0.99995, 0.841471, 0.01, 0.540302, 0.99995],
    ];
    want.forEach((w, k) => row(k).forEach((v, i) => expect(v).toBeCloseTo(w[i]!, 5)));
    expect(() => sincosPosEmbed2d(6, 2)).toThrow(/divisible by 4/);
  });
});

describe('initialisation (adaLN-Zero)', () => {
  it('zeroes the modulations and the final layer, so the output starts at 0', () => {
    const model = new DiT({ ...small, generator: new Generator(1) });
    const sd = model.stateDict();
    for (const k of ['blocks.0.adaLN_modulation.1.weight', 'blocks.1.adaLN_modulation.1.bias', 'final_layer.adaLN_modulation.1.weight', 'final_layer.linear.weight', 'final_layer.linear.bias', 'x_embedder.proj.bias', 'blocks.0.attn.qkv.bias']) {
      expect(arr(sd[k]!).every((v) => v === 0), k).toBe(true);
    }
    const out = noGrad(() => model.forward(randn([2, 4, 8, 8]), tensor(new Int32Array([3, 700])), tensor(new Int32Array([1, 10]))));
    expect(out.shape).toEqual([2, 8, 8, 8]);
    expect(arr(out).every((v) => v === 0)).toBe(true);
    // Xavier-uniform bounds: qkv as one (3D, D) matrix, the patch conv as (D, C·p·p).
    const qkvBound = Math.sqrt(6 / (32 + 96));
    const qkv = arr(sd['blocks.0.attn.qkv.weight']!);
    expect(Math.max(...qkv.map(Math.abs))).toBeLessThanOrEqual(qkvBound);
    expect(Math.max(...qkv.map(Math.abs))).toBeGreaterThan(0.9 * qkvBound);
    const convBound = Math.sqrt(6 / (16 + 32));
    const conv = arr(sd['x_embedder.proj.weight']!);
    expect(Math.max(...conv.map(Math.abs))).toBeLessThanOrEqual(convBound);
    expect(Math.max(...conv.map(Math.abs))).toBeGreaterThan(0.9 * convBound);
    const table = arr(sd['y_embedder.embedding_table.weight']!);
    const std = Math.sqrt(table.reduce((s, v) => s + v * v, 0) / table.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
  });

  it('is reproducible from a generator', () => {
    const a = new DiT({ ...small, generator: new Generator(5) }).stateDict();
    const b = new DiT({ ...small, generator: new Generator(5) }).stateDict();
    expect(arr(a['blocks.1.mlp.fc1.weight']!)).toEqual(arr(b['blocks.1.mlp.fc1.weight']!));
  });
});

describe('forward details', () => {
  it('unpatchify reads token vectors as (py, px, c) and places patches row-major', () => {
    const model = new DiT({ ...small, depth: 0 });
    const [N, p, C] = [16, 2, 8];
    const data = new Float32Array(N * p * p * C);
    for (let k = 0; k < N; k++) for (let py = 0; py < p; py++) for (let px = 0; px < p; px++) for (let c = 0; c < C; c++) {
      data[k * p * p * C + (py * p + px) * C + c] = k * 1000 + py * 100 + px * 10 + c;
    }
    const img = model.unpatchify(tensor(data, { shape: [1, N, p * p * C] }));
    expect(img.shape).toEqual([1, C, 8, 8]);
    const v = img.dataSync();
    const at = (c: number, h: number, w: number): number => v[(c * 8 + h) * 8 + w]!;
    // Pixel (h=5, w=2): patch row 2, col 1 → token 9; py 1, px 0.
    expect(at(3, 5, 2)).toBe(9 * 1000 + 100 + 3);
    expect(at(7, 0, 7)).toBe(3 * 1000 + 10 + 7);
  });

  it('label dropout: seeded in training, off in eval, forced by forceDropIds', () => {
    const model = new DiT({ ...small, depth: 0, classDropoutProb: 0.5 });
    const emb = model.y_embedder;
    const labels = tensor(new Int32Array(400).fill(2));
    const dropped = (g: number): number[] => {
      emb.generator = new Generator(g);
      return arr(emb.tokenDrop(labels));
    };
    const a = dropped(7);
    expect(dropped(7)).toEqual(a);
    const frac = a.filter((v) => v === 10).length / a.length;
    expect(frac).toBeGreaterThan(0.4);
    expect(frac).toBeLessThan(0.6);
    const y = tensor(new Int32Array([1, 2, 3]));
    const table = emb.embedding_table.weight;
    const rows = (t: Tensor): number[][] => Array.from({ length: 3 }, (_, i) => arr(t).slice(i * 32, i * 32 + 32));
    const evalOut = rows(emb.forward(y, false));
    expect(evalOut[0]).toEqual(arr(table).slice(32, 64));
    const forced = rows(emb.forward(y, false, tensor(new Int32Array([0, 1, 0]))));
    expect(forced[1]).toEqual(arr(table).slice(10 * 32, 11 * 32));
    expect(forced[2]).toEqual(arr(table).slice(3 * 32, 4 * 32));
  });

  it('forwardWithCfg ignores the second half of x and guides 3 channels only', () => {
    const model = new DiT({ ...small, generator: new Generator(2) });
    // Random non-zero weights so that the output depends on everything.
    noGrad(() => {
      const g = new Generator(3);
      for (const p of model.trainableParameters()) p.assign(randn(p.shape, { generator: g }).mul(0.2));
    });
    model.eval();
    const g = new Generator(4);
    const x = randn([4, 4, 8, 8], { generator: g });
    const x2 = randn([4, 4, 8, 8], { generator: g });
    const t = tensor(new Int32Array([50, 50, 50, 50]));
    const y = tensor(new Int32Array([1, 2, 10, 10]));
    const a = noGrad(() => model.forwardWithCfg(x, t, y, 4));
    // Same first half, a different second half: the same output.
    const mixed = noGrad(() => cat([x.narrow(0, 0, 2), x2.narrow(0, 2, 2)], 0));
    expect(arr(noGrad(() => model.forwardWithCfg(mixed, t, y, 4)))).toEqual(arr(a));
    const plain = noGrad(() => model.forward(x.narrow(0, 0, 2), t.narrow(0, 0, 2), y.narrow(0, 0, 2)));
    const per = 8 * 8;
    const av = arr(a);
    const pv = arr(plain);
    // Channel 3 (an ε channel) and the variance channels are the unguided conditional output.
    for (const ch of [3, 4, 7]) expect(av.slice(ch * per, (ch + 1) * per)).toEqual(pv.slice(ch * per, (ch + 1) * per));
    // Channel 0 is guided: not the conditional output; rows 0 and 2 (the duplicate) share it.
    expect(av.slice(0, per)).not.toEqual(pv.slice(0, per));
    expect(av.slice(0, 3 * per)).toEqual(av.slice(2 * 8 * per, 2 * 8 * per + 3 * per));
    expect(() => model.forwardWithCfg(randn([3, 4, 8, 8]), t.narrow(0, 0, 3), y.narrow(0, 0, 3), 4)).toThrow(/even/);
  });
});

describe('sampleDiT', () => {
  it('returns one latent per label, restores the mode and frees its intermediates', () => {
    const model = new DiT({ ...small, generator: new Generator(6) });
    noGrad(() => {
      const g = new Generator(7);
      for (const p of model.trainableParameters()) p.assign(randn(p.shape, { generator: g }).mul(0.1));
    });
    const diffusion = createDiffusion('4');
    const run = (sampler: 'ddpm' | 'ddim', cfgScale: number): Tensor =>
      sampleDiT(model, { labels: [1, 2, 3], diffusion, sampler, cfgScale, generator: new Generator(8) });
    run('ddim', 4).dispose(); // warm the diffusion's table caches
    const before = memory().numTensors;
    const a = run('ddim', 4);
    const b = run('ddim', 4);
    expect(a.shape).toEqual([3, 4, 8, 8]);
    expect(arr(a)).toEqual(arr(b));
    const c = run('ddpm', 1);
    expect(c.shape).toEqual([3, 4, 8, 8]);
    for (const t of [a, b, c]) t.dispose();
    expect(memory().numTensors).toBe(before);
    expect(model.training).toBe(true);
    expect(() => sampleDiT(model, { labels: [10] })).toThrow(/class id/);
  });
});
