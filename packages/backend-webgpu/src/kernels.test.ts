// Kernel variants the conformance kit's small shapes do not reach: the vec4 register-blocked and
// the workgroup-tiled matmuls, workgroup reductions, long-row softmax and norms, attention with
// many value columns and masks, wide convolutions — each against the cpu reference, on every
// available adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '@tessera/tensor';
import { destroyWebGPU, initWebGPU, webgpuInfo } from './index.js';
import { peekContext } from './state.js';
import { describeOn, testAdapters } from './__tests__/adapters.js';
import { type In, compare } from './__tests__/compare.js';

const adapters = await testAdapters();

type Case = [name: string, inputs: In[], fn: (x: T.Tensor[]) => T.Tensor | T.Tensor[], atol?: number, rtol?: number];

const f = (...shape: number[]): In => ({ shape });
const matmulCases: Case[] = [
  ['matmul 128x96x64', [f(128, 96), f(96, 64)], ([a, b]) => T.matmul(a!, b!), 1e-4, 1e-4],
  ['matmul odd 67x33x45', [f(67, 33), f(33, 45)], ([a, b]) => T.matmul(a!, b!), 1e-4, 1e-4],
  ['matmul x·Wᵀ (transposed B)', [f(100, 64), f(72, 64)], ([a, b]) => T.linear(a!, b!), 1e-4, 1e-4],
  ['matmul Aᵀ·B', [f(128, 96), f(128, 64)], ([a, b]) => T.matmul(T.transpose(a!, 0, 1), b!), 1e-4, 1e-4],
  ['matmul batch broadcast', [f(3, 1, 40, 32), f(4, 32, 24)], ([a, b]) => T.matmul(a!, b!), 1e-4, 1e-4],
  ['matmul vector·matrix', [f(1, 256), f(256, 128)], ([a, b]) => T.matmul(a!, b!), 1e-4, 1e-4],
  ['matmul int32', [{ shape: [9, 7], dtype: 'int32' }, { shape: [7, 5], dtype: 'int32' }], ([a, b]) => T.matmul(a!, b!), 0, 0],
  ['matmul offset view', [f(130, 64), f(64, 64)], ([a, b]) => T.matmul(T.slice(a!, 0, 1, 129), b!), 1e-4, 1e-4],
  // linear with the bias and activation fused into the epilogue: W in its own [out, in] layout
  // (registersT / tiled loading B along K), a transposed view whose Wᵀ is row-major (registers),
  // a strided W (copied), odd shapes (generic), and leading dims of x that cannot be merged.
  ['linear gelu 128x96 -> 72, bias', [f(128, 96), f(72, 96), f(72)], ([x, w, b]) => T.linear(x!, w!, b, { activation: 'gelu' }), 1e-4, 1e-4],
  ['linear silu, weight a transposed view, 3-D x', [f(2, 50, 64), f(64, 80), f(80)], ([x, wt, b]) => T.linear(x!, T.transpose(wt!, 0, 1), b, { activation: 'silu' }), 1e-4, 1e-4],
  ['linear geluTanh odd 67x33 -> 45', [f(67, 33), f(45, 33), f(45)], ([x, w, b]) => T.linear(x!, w!, b, { activation: 'geluTanh' }), 1e-4, 1e-4],
  ['linear relu, unmergeable leading dims, N = 42', [f(40, 3, 64), f(42, 64)], ([x, w]) => T.linear(T.transpose(x!, 0, 1), w!, null, { activation: 'relu' }), 1e-4, 1e-4],
  ['linear gelu strided weight, offset bias', [f(90, 64), f(72, 128), f(73)], ([x, w, b]) => T.linear(x!, T.slice(w!, 1, 0, 128, 2), T.slice(b!, 0, 1, 73), { activation: 'gelu' }), 1e-4, 1e-4],
  ['linear no activation, vector input', [f(256), f(128, 256), f(128)], ([x, w, b]) => T.linear(x!, w!, b), 1e-4, 1e-4],
  ['linear int32 relu', [{ shape: [9, 8], dtype: 'int32' }, { shape: [6, 8], dtype: 'int32' }, { shape: [6], dtype: 'int32' }], ([x, w, b]) => T.linear(x!, w!, b, { activation: 'relu' }), 0, 0],
];

const otherCases: Case[] = [
  ['sum workgroup (long rows)', [f(3, 5000)], ([x]) => [T.sum(x!, 1), T.max(x!, 1), T.min(x!, 1), T.prod(T.mul(T.sigmoid(x!), 2), 1)], 1e-3, 1e-4],
  ['sum over a middle dim', [f(7, 300, 11)], ([x]) => [T.sum(x!, 1), T.sum(x!, [0, 2])], 1e-3, 1e-4],
  ['argmax workgroup, ties and first occurrence', [f(4, 3000)], ([x]) => { const r = T.floor(T.mul(x!, 2)); return [T.argmax(r, 1), T.argmin(r, 1), T.argmax(x!)]; }, 0, 0],
  ['sum of a large vector', [f(200000)], ([x]) => T.sum(x!), 1e-2, 1e-4],
  ['softmax long rows (workgroup)', [f(6, 2000)], ([x]) => [T.softmax(x!, 1), T.logSoftmax(x!, 1)], 1e-5, 1e-4],
  ['softmax over dim 0 of a transposed view', [f(300, 7)], ([x]) => T.softmax(T.transpose(x!, 0, 1), 0), 1e-5, 1e-4],
  ['softmax rows of 256 (vec4 path), -inf and NaN rows', [f(64, 256)], ([x]) => {
    const masked = T.where(T.gt(x!, 0.5), -Infinity, x!);
    const rows = T.cat([masked, T.full([1, 256], -Infinity, { backend: x!.backend.name }), T.full([1, 256], NaN, { backend: x!.backend.name })], 0);
    return [T.softmax(rows, -1), T.logSoftmax(rows, -1)];
  }, 1e-6, 1e-5],
  ['softmax with -inf entries', [f(4, 9)], ([x]) => T.softmax(T.where(T.gt(x!, 0.5), -Infinity, x!), -1), 1e-6, 1e-5],
  ['layerNorm 64x384', [f(64, 384), f(384), f(384)], ([x, w, b]) => T.layerNorm(x!, 384, w, b), 1e-4, 1e-4],
  ['layerNorm 4x2048 (workgroup)', [f(4, 2048), f(2048), f(2048)], ([x, w, b]) => T.layerNorm(x!, 2048, w, b), 1e-4, 1e-4],
  ['layerNorm over 2 dims, no affine', [f(5, 6, 7)], ([x]) => T.layerNorm(x!, [6, 7]), 1e-4, 1e-4],
  ['groupNorm 2x32x8x8', [f(2, 32, 8, 8), f(32), f(32)], ([x, w, b]) => T.groupNorm(x!, 4, w, b), 1e-4, 1e-4],
  ['groupNorm 2x8x32x32 (workgroup)', [f(2, 8, 32, 32), f(8), f(8)], ([x, w, b]) => T.groupNorm(x!, 2, w, b), 1e-4, 1e-4],
  ['attention Ev = 70 (3 chunks)', [f(2, 5, 16), f(2, 9, 16), f(2, 9, 70)], ([q, k, v]) => T.scaledDotProductAttention(q!, k!, v!), 1e-5, 1e-4],
  ['attention causal L < S', [f(2, 4, 8), f(2, 6, 8), f(2, 6, 8)], ([q, k, v]) => T.scaledDotProductAttention(q!, k!, v!, { isCausal: true }), 1e-5, 1e-4],
  ['attention bool mask broadcast', [f(2, 3, 4), f(2, 5, 4), f(2, 5, 4), { shape: [3, 5], dtype: 'bool' }], ([q, k, v, m]) =>
    T.scaledDotProductAttention(q!, k!, v!, { attnMask: T.logicalOr(m!, T.eq(T.arange(5, undefined, 1, { backend: m!.backend.name }), 0)) }), 1e-5, 1e-4],
  ['attention all keys masked gives NaN', [f(1, 2, 4), f(1, 3, 4), f(1, 3, 4), { shape: [2, 3], dtype: 'bool' }], ([q, k, v, m]) =>
    T.scaledDotProductAttention(q!, k!, v!, { attnMask: T.logicalAnd(m!, false) }), 0, 0],
  ['attention transposed keys, batch broadcast', [f(2, 3, 6, 8), f(1, 3, 8, 7), f(3, 7, 5)], ([q, k, v]) => T.scaledDotProductAttention(q!, T.transpose(k!, -1, -2), v!), 1e-5, 1e-4],
  ['conv2d channels not a multiple of 4, groups 3', [f(2, 6, 9, 11), f(9, 2, 3, 3), f(9)], ([x, w, b]) => T.conv2d(x!, w!, b, { groups: 3, padding: 1 }), 1e-4, 1e-4],
  ['conv3d bias, odd sizes, mixed stride and dilation', [f(2, 3, 5, 6, 7), f(4, 3, 2, 3, 2), f(4)], ([x, w, b]) => T.conv3d(x!, w!, b, { stride: [1, 2, 1], padding: [1, 0, 1], dilation: [2, 1, 1] }), 1e-4, 1e-4],
  ['conv1d wide', [f(1, 16, 50), f(24, 16, 5)], ([x, w]) => T.conv1d(x!, w!, null, { stride: 2, dilation: 2, padding: 3 }), 1e-4, 1e-4],
  ['convTranspose2d stride 2', [f(2, 8, 5, 6), f(8, 4, 4, 4), f(4)], ([x, w, b]) => T.convTranspose2d(x!, w!, b, { stride: 2, padding: 1 }), 1e-4, 1e-4],
  ['cat many inputs', [f(2, 3), f(2, 4), f(2, 5), f(2, 1), f(2, 2), f(2, 3), f(2, 6)], (xs) => T.cat(xs, 1), 0, 0],
  ['cumsum long', [f(3, 2000)], ([x]) => T.cumsum(x!, 1), 1e-3, 1e-4],
  ['elementwise on 100k elements with broadcast', [f(400, 250), f(250)], ([a, b]) => T.div(T.add(a!, b!), T.add(T.abs(b!), 1)), 1e-6, 1e-5],
  ['vec4 path: scalar operands, bool and int outputs, aligned slices', [f(4096)], ([x]) => {
    const s = T.slice(x!, 0, 8, 4008);
    return [T.add(s, 1.5), T.gt(x!, 0), T.where(T.gt(x!, 0), x!, -1), T.cast(T.mul(x!, 10), 'int32'), T.pow(T.abs(s), 1.5), T.maximum(x!, 0.25)];
  }, 1e-6, 1e-5],
  ['more than 65535 workgroups', [f(70000 * 65)], ([x]) => T.relu(x!), 0, 0],
];

for (const a of adapters) {
  for (const variant of ['registers', 'tiled'] as const) {
    describeOn(a)(`webgpu matmul '${variant}' on ${a.name}`, () => {
      beforeAll(async () => {
        await initWebGPU({ ...a.options, matmul: variant });
      });
      afterAll(() => destroyWebGPU());
      it('reports the variant', () => expect(webgpuInfo()?.matmul).toBe(variant));
      for (const [name, inputs, fn, atol, rtol] of matmulCases) {
        it(name, async () => expect((await compare(inputs, fn))(atol ?? 1e-5, rtol ?? 1e-5)).toBeNull());
      }
    });
  }
  describeOn(a)(`webgpu on ${a.name} with compatibility mode's default of 4 storage buffers`, () => {
    beforeAll(async () => {
      await initWebGPU(a.options);
      peekContext()!.info.maxStorageBuffers = 4; // kernels must then bind at most 4
      peekContext()!.info.attentionScoreBudget = 0; // the online kernel, which packs k and v
    });
    afterAll(() => destroyWebGPU());
    for (const [name, inputs, fn, atol, rtol] of otherCases.filter(([n]) => n.startsWith('attention'))) {
      it(name, async () => expect((await compare(inputs, fn))(atol ?? 1e-5, rtol ?? 1e-5)).toBeNull());
    }
    it('additive mask', async () => {
      const r = await compare([f(2, 3, 4), f(2, 5, 4), f(2, 5, 6), f(3, 5)], ([q, k, v, m]) => T.scaledDotProductAttention(q!, k!, v!, { attnMask: m }));
      expect(r(1e-5, 1e-4)).toBeNull();
    });
  });
  describeOn(a)(`webgpu online-softmax attention kernel on ${a.name}`, () => {
    beforeAll(async () => {
      await initWebGPU(a.options);
      peekContext()!.info.attentionScoreBudget = 0; // never the materialised path
    });
    afterAll(() => destroyWebGPU());
    const attention: Case[] = [
      ...otherCases.filter(([n]) => n.startsWith('attention')),
      ['attention scalar path (E = 6, Ev = 5)', [f(2, 7, 6), f(2, 9, 6), f(2, 9, 5)], ([q, k, v]) => T.scaledDotProductAttention(q!, k!, v!, { isCausal: true }), 1e-5, 1e-4],
      ['attention vec4 path, additive mask, Ev = 72', [f(2, 8, 16), f(2, 12, 16), f(2, 12, 72), f(8, 12)], ([q, k, v, m]) => T.scaledDotProductAttention(q!, k!, v!, { attnMask: m }), 1e-5, 1e-4],
    ];
    for (const [name, inputs, fn, atol, rtol] of attention) {
      it(name, async () => expect((await compare(inputs, fn))(atol ?? 1e-5, rtol ?? 1e-5)).toBeNull());
    }
  });
  describeOn(a)(`webgpu direct convolution kernel on ${a.name}`, () => {
    beforeAll(async () => {
      await initWebGPU(a.options);
      peekContext()!.info.im2colBudget = 0; // never im2col
    });
    afterAll(() => destroyWebGPU());
    for (const [name, inputs, fn, atol, rtol] of otherCases.filter(([n]) => n.startsWith('conv'))) {
      it(name, async () => expect((await compare(inputs, fn))(atol ?? 1e-5, rtol ?? 1e-5)).toBeNull());
    }
  });
  describeOn(a)(`webgpu kernels on ${a.name}`, () => {
    beforeAll(async () => {
      await initWebGPU(a.options);
    });
    afterAll(() => destroyWebGPU());
    for (const [name, inputs, fn, atol, rtol] of otherCases) {
      it(name, async () => expect((await compare(inputs, fn))(atol ?? 1e-5, rtol ?? 1e-5)).toBeNull(), 120_000);
    }
  });
}
