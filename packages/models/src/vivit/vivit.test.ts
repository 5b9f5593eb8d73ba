/**
 * ViViT: state-dict names and shapes, output shapes of every variant, the equivalence of the two
 * embeddings, dropout in train/eval, and the errors. The numerics against PyTorch are in
 * golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, randn, tensor, tidy } from '@tessera/tensor';
import { noGrad } from '@tessera/autograd';
import {
  VIVIT_VARIANTS,
  ViViT,
  ViViTFactorisedDotProduct,
  ViViTFactorisedSelfAttention,
  ViViTSpatioTemporal,
  accuracy,
  createViViT,
  crossEntropy,
} from './index.js';

const SMALL = { imageSize: 8, patchSize: 4, numClasses: 5, numFrames: 4, dim: 12, depth: 1, heads: 2, dimHead: 6, scaleDim: 2 } as const;
const shapes = (m: { stateDict(): Record<string, Tensor> }): Record<string, number[]> =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, [...v.shape]]));

describe('ViViT (factorised encoder, rishikksh20)', () => {
  it('has the reference parameter count: 4,327,972 for (224, 16, 100 classes, 16 frames)', () => {
    const m = new ViViT({ imageSize: 224, patchSize: 16, numClasses: 100, numFrames: 16 });
    expect(m.numParameters()).toBe(4_327_972);
    m.dispose();
  });

  it('has rishikksh20 state-dict keys, in PyTorch order, with their shapes', () => {
    const m = new ViViT({ ...SMALL, numFrames: 3, depth: 1 });
    const s = shapes(m);
    const block = (p: string): [string, number[]][] => [
      [`${p}.layers.0.0.norm.weight`, [12]],
      [`${p}.layers.0.0.norm.bias`, [12]],
      [`${p}.layers.0.0.fn.to_qkv.weight`, [36, 12]],
      [`${p}.layers.0.0.fn.to_out.0.weight`, [12, 12]],
      [`${p}.layers.0.0.fn.to_out.0.bias`, [12]],
      [`${p}.layers.0.1.norm.weight`, [12]],
      [`${p}.layers.0.1.norm.bias`, [12]],
      [`${p}.layers.0.1.fn.net.0.weight`, [24, 12]],
      [`${p}.layers.0.1.fn.net.0.bias`, [24]],
      [`${p}.layers.0.1.fn.net.3.weight`, [12, 24]],
      [`${p}.layers.0.1.fn.net.3.bias`, [12]],
      [`${p}.norm.weight`, [12]],
      [`${p}.norm.bias`, [12]],
    ];
    expect(Object.entries(s)).toEqual([
      ['pos_embedding', [1, 3, 5, 12]],
      ['space_token', [1, 1, 12]],
      ['temporal_token', [1, 1, 12]],
      ['to_patch_embedding.1.weight', [12, 48]],
      ['to_patch_embedding.1.bias', [12]],
      ...block('space_transformer'),
      ...block('temporal_transformer'),
      ['mlp_head.0.weight', [12]],
      ['mlp_head.0.bias', [12]],
      ['mlp_head.1.weight', [5, 12]],
      ['mlp_head.1.bias', [5]],
    ]);
    m.dispose();
  });

  it('drops to_out when heads == 1 and dimHead == dim (Identity)', () => {
    const m = new ViViT({ ...SMALL, heads: 1, dimHead: 12 });
    expect(Object.keys(m.stateDict()).some((k) => k.includes('to_out'))).toBe(false);
    const m2 = new ViViT({ ...SMALL, heads: 1, dimHead: 6 });
    expect(Object.keys(m2.stateDict()).some((k) => k.includes('to_out.0.weight'))).toBe(true);
    m.dispose();
    m2.dispose();
  });

  it('takes tubelets: a Conv3d at to_patch_embedding.1 and numFrames/t rows of the position table', () => {
    const m = new ViViT({ ...SMALL, tubeletSize: 2, inChannels: 3 });
    const s = shapes(m);
    expect(s['to_patch_embedding.1.weight']).toEqual([12, 3, 2, 4, 4]);
    expect(s['to_patch_embedding.1.bias']).toEqual([12]);
    expect(s.pos_embedding).toEqual([1, 2, 5, 12]);
    const y = tidy(() => noGrad(() => m.forward(randn([2, 4, 3, 8, 8]))));
    expect(y.shape).toEqual([2, 5]);
    m.dispose();
  });

  it('accepts a smaller frame, as the reference does (its position table is sliced)', () => {
    const m = new ViViT({ ...SMALL, inChannels: 1 });
    const y = tidy(() => noGrad(() => m.forward(randn([1, 4, 1, 4, 8]))));
    expect(y.shape).toEqual([1, 5]);
    m.dispose();
  });

  it('explains every input that does not fit', () => {
    const m = new ViViT({ ...SMALL, inChannels: 1 });
    expect(() => m.forward(randn([1, 3, 1, 8, 8]))).toThrow(/ViViT: input \[1,3,1,8,8\] has 3 frames, but the model was built for numFrames 4 \(T must equal numFrames\)/);
    expect(() => m.forward(randn([1, 4, 3, 8, 8]))).toThrow(/has 3 channels, but inChannels is 1/);
    expect(() => m.forward(randn([1, 4, 1, 8, 6]))).toThrow(/frame 8x6 is not divisible by patchSize 4/);
    expect(() => m.forward(randn([1, 4, 1, 12, 8]))).toThrow(/gives 6 patches of 4x4, more than the 4 of imageSize 8/);
    expect(() => m.forward(randn([4, 1, 8, 8]))).toThrow(/expected a video \[B, T, C, H, W\] \(time before channels\), got \[4,1,8,8\]/);
    m.dispose();
  });

  it('explains every option that does not fit', () => {
    expect(() => new ViViT({ ...SMALL, imageSize: 10 })).toThrow(/ViViT: imageSize 10 is not divisible by patchSize 4/);
    expect(() => new ViViT({ ...SMALL, tubeletSize: 3 })).toThrow(/ViViT: numFrames 4 is not divisible by tubeletSize 3/);
    expect(() => new ViViT({ ...SMALL, numFrames: 0 })).toThrow(/numFrames must be an integer >= 1, got 0/);
    expect(() => new ViViT({ ...SMALL, pool: 'max' as 'cls' })).toThrow(/pool must be 'cls' or 'mean', got 'max'/);
    expect(() => new ViViT({ ...SMALL, dropout: 2 })).toThrow(/dropout must be in \[0, 1\], got 2/);
  });

  it('uses dropout in train mode only', () => {
    const m = new ViViT({ ...SMALL, inChannels: 1, dropout: 0.5, embDropout: 0.5, generator: new Generator(1) });
    const x = randn([2, 4, 1, 8, 8]);
    const run = (): number[] => tidy(() => noGrad(() => [...m.forward(x).dataSync()]));
    const a = run();
    expect(run()).not.toEqual(a);
    m.eval();
    const e = run();
    expect(run()).toEqual(e);
    m.dispose();
  });
});

describe('ViViT Models 1, 3, 4', () => {
  it('name their parameters in rishikksh20 conventions', () => {
    const m1 = new ViViTSpatioTemporal(SMALL);
    expect(Object.keys(m1.stateDict()).slice(0, 5)).toEqual([
      'pos_embedding',
      'cls_token',
      'to_patch_embedding.1.weight',
      'to_patch_embedding.1.bias',
      'transformer.layers.0.0.norm.weight',
    ]);
    expect(shapes(m1).pos_embedding).toEqual([1, 1 + 4 * 4, 12]);
    const m3 = new ViViTFactorisedSelfAttention(SMALL);
    const k3 = Object.keys(m3.stateDict());
    expect(shapes(m3).pos_embedding).toEqual([1, 4, 4, 12]);
    for (const k of ['transformer.layers.0.0.fn.to_qkv.weight', 'transformer.layers.0.1.fn.to_qkv.weight', 'transformer.layers.0.2.fn.net.3.weight', 'transformer.norm.bias', 'mlp_head.1.weight']) {
      expect(k3).toContain(k);
    }
    const m4 = new ViViTFactorisedDotProduct(SMALL);
    const k4 = Object.keys(m4.stateDict());
    for (const k of ['transformer.layers.0.0.fn.to_qkv.weight', 'transformer.layers.0.0.fn.to_out.0.weight', 'transformer.layers.0.1.fn.net.0.weight']) {
      expect(k4).toContain(k);
    }
    expect(k4.some((k) => k.includes('layers.0.2'))).toBe(false);
    for (const m of [m1, m3, m4]) m.dispose();
  });

  it('classify a batch with every variant and both embeddings', () => {
    for (const variant of VIVIT_VARIANTS) {
      for (const tubeletSize of [undefined, 2]) {
        const m = createViViT(variant, { ...SMALL, ...(tubeletSize ? { tubeletSize } : {}) });
        const y = tidy(() => noGrad(() => m.forward(randn([3, 4, 3, 8, 8]))));
        expect(y.shape, `${variant} tubelet ${tubeletSize}`).toEqual([3, 5]);
        expect(Number.isFinite(y.dataSync()[0]!)).toBe(true);
        y.dispose();
        m.dispose();
      }
    }
  });

  it('explain what does not fit', () => {
    expect(() => new ViViTFactorisedDotProduct({ ...SMALL, heads: 3 })).toThrow(/ViViTFactorisedDotProduct: heads must be even \(half attend over time, half over space\), got 3/);
    expect(() => new ViViTFactorisedSelfAttention({ ...SMALL, pool: 'cls' })).toThrow(/pool must be 'mean' \(this variant has no class token\), got 'cls'/);
    expect(() => new ViViTFactorisedSelfAttention({ ...SMALL, attentionOrder: 'x' as 'space_time' })).toThrow(/attentionOrder must be 'space_time' or 'time_space'/);
    const m1 = new ViViTSpatioTemporal(SMALL);
    expect(() => m1.forward(randn([1, 4, 3, 4, 8]))).toThrow(/ViViTSpatioTemporal: input \[1,4,3,4,8\]: frame 4x8 does not match imageSize 8/);
    expect(() => m1.forward(randn([1, 2, 3, 8, 8]))).toThrow(/has 2 frames, but the model was built for numFrames 4/);
    expect(() => createViViT('model5' as 'spatio-temporal', SMALL)).toThrow(/unknown variant 'model5'/);
    expect(() => createViViT('factorised-encoder', { ...SMALL, attentionOrder: 'time_space' })).toThrow(/attentionOrder applies to 'factorised-self-attention' only/);
    m1.dispose();
  });

  it('Model 3 with time_space order differs from space_time with the same weights', () => {
    const a = new ViViTFactorisedSelfAttention({ ...SMALL, generator: new Generator(3) });
    const b = new ViViTFactorisedSelfAttention({ ...SMALL, attentionOrder: 'time_space' });
    b.loadStateDict(a.stateDict());
    a.eval();
    b.eval();
    const x = randn([1, 4, 3, 8, 8]);
    const [ya, yb] = tidy(() => noGrad(() => [[...a.forward(x).dataSync()], [...b.forward(x).dataSync()]]));
    expect(ya).not.toEqual(yb);
    a.dispose();
    b.dispose();
  });
});

describe('embeddings', () => {
  it('a tubelet of one frame is the per-frame patch Linear with its weight reordered (p1 p2 c)', () => {
    const lin = new ViViT({ ...SMALL, inChannels: 3 });
    const conv = new ViViT({ ...SMALL, inChannels: 3, tubeletSize: 1 });
    const sd = lin.stateDict();
    const w = conv.stateDict()['to_patch_embedding.1.weight']!; // [d, c, 1, p1, p2]
    const state = { ...sd, 'to_patch_embedding.1.weight': w };
    conv.loadStateDict({ ...state });
    // W_lin[d, (p1·p + p2)·C + c] = W_conv[d, c, 0, p1, p2]
    lin.loadStateDict({ ...sd, 'to_patch_embedding.1.weight': w.permute(0, 2, 3, 4, 1).reshape(12, 48) });
    lin.eval();
    conv.eval();
    const x = randn([2, 4, 3, 8, 8]);
    const [a, b] = tidy(() => noGrad(() => [lin.forward(x).dataSync(), conv.forward(x).dataSync()]));
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
    lin.dispose();
    conv.dispose();
  });
});

describe('crossEntropy and accuracy', () => {
  it('match the definitions', () => {
    const logits = tensor([
      [1, 2, 3],
      [0, 0, 5],
    ]);
    const labels = tensor([2, 0], { dtype: 'int32' });
    const lse = (r: number[]): number => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const expected = (lse([1, 2, 3]) - 3 + lse([0, 0, 5]) - 0) / 2;
    expect(crossEntropy(logits, labels).item()).toBeCloseTo(expected, 5);
    expect(accuracy(logits, labels)).toBe(0.5);
    expect(() => crossEntropy(logits, tensor([1, 2, 0], { dtype: 'int32' }))).toThrow(/expected logits \[B, classes\] and labels \[B\]/);
    expect(() => crossEntropy(logits, tensor([1, 2]))).toThrow(/labels must be int32/);
  });
});
