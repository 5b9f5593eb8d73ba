// The fast paths at sizes the conformance kit's small shapes never reach: GEMM blocking (K past KC,
// M past MC, N past NC, edge tiles), transposed and broadcast operands, im2col column blocks,
// attention tiles with ragged edges and masks, long and two-stage reductions. Each against cpu.
import { describe, expect, it } from 'vitest';
import * as T from '@tessera/tensor';
import { type Tensor, manualSeed, randn, tidy } from '@tessera/tensor';
import './index.js';

/** Runs fn on cpu inputs and on the same values on wasm; compares within atol + rtol·|ref|. */
function check(name: string, make: () => Tensor[], fn: (xs: Tensor[]) => Tensor, atol = 1e-4, rtol = 1e-4): void {
  it(name, () => {
    manualSeed(11);
    const xs = make();
    const ws = xs.map((x) => T.fromArray(x.dataSync(), x.shape, { dtype: x.dtype, backend: 'wasm' }));
    const ref = tidy(() => fn(xs).dataSync());
    const got = tidy(() => fn(ws).dataSync());
    expect(got.length).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i]!;
      const g = got[i]!;
      if (Number.isNaN(r)) expect(g, `${name}[${i}]`).toBeNaN();
      else if (Math.abs(r - g) > atol + rtol * Math.abs(r)) expect.fail(`${name}[${i}]: ${g} vs reference ${r}`);
    }
    [...xs, ...ws].forEach((t) => t.dispose());
  });
}

describe('GEMM blocking', () => {
  check('matmul 197x1100 @ 1100x300 (K past KC, ragged tiles)', () => [randn([197, 1100]), randn([1100, 300])], ([a, b]) => T.matmul(a!, b!), 1e-3);
  check('matmul 450x40 @ 40x530 (M past MC, N past NC)', () => [randn([450, 40]), randn([40, 530])], ([a, b]) => T.matmul(a!, b!));
  check('matmul a @ bᵀ and aᵀ @ b, no copies', () => [randn([70, 90]), randn([50, 90]), randn([90, 70])], ([a, b, c]) =>
    T.add(T.matmul(a!, T.transpose(b!, 0, 1)), T.sum(T.matmul(T.transpose(c!, 0, 1), T.transpose(b!, 0, 1)))));
  check('matmul strided columns', () => [randn([33, 80]), randn([40, 17])], ([a, b]) => T.matmul(T.slice(a!, 1, 0, 80, 2), b!));
  check('batched matmul with broadcast batch', () => [randn([3, 1, 37, 29]), randn([5, 29, 23])], ([a, b]) => T.matmul(a!, b!));
  check('matmul K = 1 and vector products', () => [randn([64, 1]), randn([1, 48]), randn([48])], ([a, b, v]) => T.add(T.matmul(a!, b!), T.matmul(T.matmul(a!, b!), v!).reshape([64, 1])));
  check('matmul 256³ (chunk tiles halved to 64x128)', () => [randn([256, 256]), randn([256, 256])], ([a, b]) => T.matmul(a!, b!));
  check('matmul 66x300 @ 300x520 (ragged halved tiles)', () => [randn([66, 300]), randn([300, 520])], ([a, b]) => T.matmul(a!, b!));
  check('int32 matmul wraps like int32', () => [T.randint(-50000, 50000, [20, 30]), T.randint(-50000, 50000, [30, 10])], ([a, b]) => T.matmul(a!, b!), 0, 0);
});

describe('linear with the bias and activation in the GEMM epilogue', () => {
  // Tiles past MC and NC with ragged edges (N % 4 != 0 takes the epilogue's bounce path).
  for (const activation of T.LINEAR_ACTIVATIONS) {
    check(`linear ${activation} 3x150x70 -> 301, bias`, () => [randn([3, 150, 70]), randn([301, 70]), randn([301])], ([x, w, b]) => T.linear(x!, w!, b!, { activation }), 1e-4, 1e-4);
  }
  check('linear gelu no bias, transposed x (batch entries), strided bias-less weight', () => [randn([40, 5, 64]), randn([90, 128])], ([x, w]) =>
    T.linear(T.transpose(x!, 0, 1), T.slice(w!, 1, 0, 128, 2), null, { activation: 'gelu' }), 1e-4, 1e-4);
  check('linear silu strided bias, K = 0', () => [randn([7, 0]), randn([9, 0]), randn([18])], ([x, w, b]) => T.linear(x!, w!, T.slice(b!, 0, 0, 18, 2), { activation: 'silu' }), 1e-6, 1e-6);
  check('linear int32 with a float bias (unfused)', () => [T.randint(-5, 5, [20, 30]), T.randint(-5, 5, [10, 30]), randn([10])], ([x, w, b]) => T.linear(x!, w!, b!, { activation: 'geluTanh' }), 1e-4, 1e-4);
});

describe('convolutions', () => {
  check('conv2d 3x3 pad 1, many column blocks', () => [randn([2, 20, 30, 35]), randn([24, 20, 3, 3]), randn([24])], ([x, w, b]) => T.conv2d(x!, w!, b!, { padding: 1 }), 1e-3);
  check('conv2d 1x1 direct, groups', () => [randn([2, 16, 17, 19]), randn([12, 8, 1, 1])], ([x, w]) => T.conv2d(x!, w!, null, { groups: 2 }));
  check('conv1d stride 3 dilation 2', () => [randn([3, 5, 200]), randn([7, 5, 4])], ([x, w]) => T.conv1d(x!, w!, null, { stride: 3, dilation: 2, padding: 2 }));
  check('conv3d', () => [randn([1, 3, 9, 10, 11]), randn([4, 3, 3, 3, 3])], ([x, w]) => T.conv3d(x!, w!, null, { padding: 1, stride: 2 }), 1e-3);
  check('convTranspose2d stride 2, channel blocks', () => [randn([2, 12, 15, 13]), randn([12, 40, 4, 4]), randn([40])], ([x, w, b]) =>
    T.convTranspose2d(x!, w!, b!, { stride: 2, padding: 1 }), 1e-3);
});

describe('attention', () => {
  check('sdpa L=150 S=260 (ragged tiles), E != Ev', () => [randn([2, 2, 150, 40]), randn([2, 2, 260, 40]), randn([2, 2, 260, 24])], ([q, k, v]) =>
    T.scaledDotProductAttention(q!, k!, v!));
  check('sdpa causal L=S=200', () => [randn([3, 200, 32]), randn([3, 200, 32]), randn([3, 200, 32])], ([q, k, v]) =>
    T.scaledDotProductAttention(q!, k!, v!, { isCausal: true }));
  check('sdpa causal L < S', () => [randn([2, 70, 16]), randn([2, 150, 16]), randn([2, 150, 16])], ([q, k, v]) =>
    T.scaledDotProductAttention(q!, k!, v!, { isCausal: true }));
  check('sdpa broadcast bool mask with fully masked rows (NaN)', () => [randn([2, 2, 66, 8]), randn([2, 1, 140, 8]), randn([1, 2, 140, 8]), randn([66, 140])], ([q, k, v, m]) =>
    T.scaledDotProductAttention(q!, k!, v!, { attnMask: T.logicalAnd(T.gt(m!, 0.3), T.lt(T.reshape(T.arange(66, undefined, 1, { backend: m!.backend.name }), [66, 1]), 60)) }));
  check('sdpa additive mask, transposed key', () => [randn([130, 16]), randn([16, 129]), randn([129, 16]), randn([130, 129])], ([q, kt, v, m]) =>
    T.scaledDotProductAttention(q!, T.transpose(kt!, 0, 1), v!, { attnMask: m, scale: 0.2 }));
});

describe('normalisation and softmax', () => {
  check('softmax rows of 1001', () => [randn([37, 1001])], ([x]) => T.softmax(T.mul(x!, 5), -1), 1e-6, 1e-5);
  check('logSoftmax over a middle dim', () => [randn([5, 301, 7])], ([x]) => T.logSoftmax(x!, 1), 1e-5, 1e-5);
  check('layerNorm 384 and 7', () => [randn([300, 384]), randn([384]), randn([41, 7])], ([x, w, y]) =>
    T.add(T.sum(T.layerNorm(x!, 384, w!, w!)), T.sum(T.layerNorm(y!, 7))), 1e-3, 1e-4);
  check('groupNorm', () => [randn([3, 32, 21, 9]), randn([32]), randn([32])], ([x, w, b]) => T.groupNorm(x!, 8, w!, b!), 1e-4, 1e-4);
});

describe('reductions', () => {
  check('two-stage sum/max/min/prod of 300k elements', () => [randn([600, 500])], ([x]) =>
    T.stack([T.sum(x!), T.max(x!), T.min(T.transpose(x!, 0, 1)), T.prod(T.add(T.mul(x!, 1e-6), 1)), T.mean(x!, [0, 1])]), 1e-3, 1e-5);
  check('two-stage int32 sum wraps', () => [T.randint(-(2 ** 30), 2 ** 30, [300000])], ([x]) => T.sum(x!), 0, 0);
  check('column sums and strided row sums', () => [randn([1000, 67])], ([x]) => T.cat([T.sum(x!, 0), T.sum(T.transpose(x!, 0, 1), 1), T.max(x!, 1)]), 1e-4, 1e-5);
  check('argmax/argmin over long dims', () => [randn([3, 70000])], ([x]) => T.cat([T.argmax(x!, 1), T.argmin(x!, 1), T.argmax(x!).reshape([1])]), 0, 0);
  check('cumsum long', () => [randn([3, 5000])], ([x]) => T.cumsum(x!, 1), 1e-3, 1e-5);
});

describe('elementwise', () => {
  check('broadcast add/mul/compare over 200k', () => [randn([200, 1000]), randn([1000]), randn([200, 1])], ([a, b, c]) =>
    T.where(T.gt(T.mul(a!, b!), c!), T.add(a!, c!), T.maximum(a!, b!)));
  check('unary on a transposed 300x700', () => [randn([700, 300])], ([x]) => T.add(T.gelu(T.transpose(x!, 0, 1)), T.tanh(T.transpose(x!, 0, 1))), 1e-5, 1e-5);
});
