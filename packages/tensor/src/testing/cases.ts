/**
 * The conformance cases: every catalogue op, on shapes with size-1 and zero-size dims, broadcasting,
 * and non-contiguous inputs. A case names the catalogue ops it exercises so the kit can tell when
 * an op has no case.
 * @module
 */
import type { Tensor } from '../tensor.js';
import * as T from '../index.js';
import { type InputSpec, Generator } from './inputs.js';
import { FLOAT_UNARY, SAME_UNARY, ARITH_BINARY, COMPARE_BINARY, LOGIC_BINARY } from '../ops/elementwise.js';

/** One conformance case. */
export interface ConformanceCase {
  /** Unique, descriptive name (op and shapes). */
  name: string;
  /** Catalogue ops this case exercises. */
  ops: string[];
  /** Inputs, drawn on the host from a seeded generator. */
  inputs: InputSpec[];
  /** Runs the op(s) with the public API. */
  run: (xs: Tensor[]) => Tensor | Tensor[];
  /** Absolute tolerance for float32 results (default 1e-5). */
  atol?: number;
  /** Relative tolerance for float32 results (default 1e-5). */
  rtol?: number;
}

const f = (shape: number[], layout: InputSpec['layout'] = 'contiguous', kind?: InputSpec['kind']): InputSpec => ({ shape, layout, kind });
const i32 = (shape: number[], kind: InputSpec['kind'] = 'int', layout: InputSpec['layout'] = 'contiguous'): InputSpec => ({ shape, dtype: 'int32', kind, layout });
const b8 = (shape: number[], layout: InputSpec['layout'] = 'contiguous'): InputSpec => ({ shape, dtype: 'bool', layout });

/** Random shape of `rank` dims from {1,2,3,5}, plus sometimes a 0. */
function randShape(g: Generator, rank: number, allowZero = false): number[] {
  const dims = [1, 2, 3, 5];
  const s = Array.from({ length: rank }, () => dims[g.integer(0, dims.length)]!);
  if (allowZero && rank > 0 && g.uniform() < 0.3) s[g.integer(0, rank)] = 0;
  return s;
}

/** A shape broadcastable against `s`: some dims set to 1, some leading dims dropped. */
function broadcastPartner(g: Generator, s: number[]): number[] {
  const drop = g.integer(0, s.length + 1);
  return s.slice(drop).map((d) => (g.uniform() < 0.4 ? 1 : d));
}

const LAYOUTS: InputSpec['layout'][] = ['contiguous', 'transposed', 'strided', 'offset'];

/** Builds every case, deterministically from `seed`. */
export function buildCases(seed = 1234): ConformanceCase[] {
  const g = new Generator(seed);
  const cases: ConformanceCase[] = [];
  const add = (c: ConformanceCase): void => void cases.push(c);
  const lay = (): InputSpec['layout'] => LAYOUTS[g.integer(0, LAYOUTS.length)];

  // ---- unary ----
  const unaryShapes = [[], [0], [1], [7], [2, 3], [3, 1, 4], [2, 0, 3]];
  for (const name of [...FLOAT_UNARY, ...SAME_UNARY]) {
    const kind: InputSpec['kind'] = ['log', 'sqrt', 'rsqrt', 'reciprocal'].includes(name) ? 'positive' : 'normal';
    const fn = (T as unknown as Record<string, (x: Tensor) => Tensor>)[name]!;
    for (const shape of unaryShapes) add({ name: `${name} ${JSON.stringify(shape)}`, ops: [name], inputs: [f(shape, lay(), kind)], run: ([x]) => fn(x!) });
    add({ name: `${name} specials`, ops: [name], inputs: [f([10, 3], 'transposed', name === 'log' || name === 'sqrt' || name === 'rsqrt' ? 'positive' : 'special')], run: ([x]) => fn(x!) });
    if (SAME_UNARY.includes(name as never)) add({ name: `${name} int32`, ops: [name], inputs: [i32([4, 3], 'int', 'strided')], run: ([x]) => fn(x!) });
  }
  for (const approx of ['none', 'tanh'] as const) {
    add({ name: `gelu ${approx}`, ops: ['gelu'], inputs: [f([4, 6], 'transposed', 'special')], run: ([x]) => T.gelu(x!, approx) });
    add({ name: `gelu ${approx} normal`, ops: ['gelu'], inputs: [f([3, 0, 2])], run: ([x]) => T.gelu(x!, approx) });
  }
  add({ name: 'clamp both', ops: ['clamp'], inputs: [f([5, 4], 'strided')], run: ([x]) => T.clamp(x!, -0.5, 0.7) });
  add({ name: 'clamp min only', ops: ['clamp'], inputs: [f([6])], run: ([x]) => T.clamp(x!, 0) });
  add({ name: 'clamp int32 max only', ops: ['clamp'], inputs: [i32([6])], run: ([x]) => T.clamp(x!, undefined, 1) });
  add({ name: 'logicalNot bool', ops: ['logicalNot'], inputs: [b8([3, 4], 'transposed')], run: ([x]) => T.logicalNot(x!) });
  add({ name: 'logicalNot float', ops: ['logicalNot'], inputs: [f([5], 'contiguous', 'special')], run: ([x]) => T.logicalNot(x!) });
  for (const [from, to] of [['float32', 'int32'], ['float32', 'bool'], ['int32', 'float32'], ['bool', 'float32'], ['int32', 'bool'], ['bool', 'int32']] as const) {
    add({ name: `cast ${from}->${to}`, ops: ['cast'], inputs: [{ shape: [3, 4], dtype: from, layout: 'transposed', kind: from === 'float32' ? 'special' : undefined }], run: ([x]) => T.cast(x!, to) });
  }

  // ---- binary ----
  for (const name of [...ARITH_BINARY, 'div', ...COMPARE_BINARY, ...LOGIC_BINARY]) {
    const fn = (T as unknown as Record<string, (a: Tensor, b: Tensor | number) => Tensor>)[name]!;
    const positive = name === 'pow' ? 'positive' : undefined;
    for (let k = 0; k < 4; k++) {
      const s = randShape(g, g.integer(0, 4), k === 3);
      const p = broadcastPartner(g, s);
      const [a, b] = g.uniform() < 0.5 ? [s, p] : [p, s];
      add({ name: `${name} ${JSON.stringify(a)} ${JSON.stringify(b)}`, ops: [name], inputs: [f(a, lay(), positive), f(b, lay())], run: ([x, y]) => fn(x!, y!) });
    }
    add({ name: `${name} int32`, ops: [name], inputs: [i32([3, 4]), i32([4], name === 'div' || name === 'pow' ? { index: 3 } : 'int')], run: ([x, y]) => (name === 'div' ? fn(x!, T.add(y!, 1)) : fn(x!, y!)) });
    add({ name: `${name} scalar`, ops: [name], inputs: [f([2, 3], 'strided', positive)], run: ([x]) => fn(x!, 0.5) });
    add({ name: `${name} equal values`, ops: [name], inputs: [f([4], 'contiguous', 'special')], run: ([x]) => fn(x!, x!) });
  }
  add({ name: 'logicalAnd bool', ops: ['logicalAnd', 'logicalOr'], inputs: [b8([4, 1]), b8([3], 'strided')], run: ([x, y]) => [T.logicalAnd(x!, y!), T.logicalOr(x!, y!)] });
  for (let k = 0; k < 3; k++) {
    const s = randShape(g, 3, k === 2);
    add({ name: `where ${JSON.stringify(s)}`, ops: ['where'], inputs: [b8(broadcastPartner(g, s), lay()), f(s, lay()), f(broadcastPartner(g, s), lay())], run: ([c, x, y]) => T.where(c!, x!, y!) });
  }
  add({ name: 'where scalar other', ops: ['where'], inputs: [b8([2, 3]), f([2, 3], 'transposed')], run: ([c, x]) => T.where(c!, x!, -1) });

  // ---- views and copies ----
  add({ name: 'reshape/view/flatten/squeeze', ops: ['reshape'], inputs: [f([2, 3, 4], 'offset')], run: ([x]) => [T.reshape(x!, [4, -1]), T.flatten(x!, 1), T.unsqueeze(x!, 1), T.squeeze(T.unsqueeze(x!, 0))] });
  add({ name: 'reshape of a transposed view copies', ops: ['reshape', 'contiguous'], inputs: [f([3, 4], 'transposed')], run: ([x]) => T.reshape(x!, [12]) });
  add({ name: 'permute/transpose', ops: ['permute'], inputs: [f([2, 3, 4], 'strided')], run: ([x]) => [T.permute(x!, [2, 0, 1]), T.transpose(x!, 0, 2)] });
  add({ name: 'expand', ops: ['expand'], inputs: [f([3, 1], 'transposed')], run: ([x]) => T.expand(x!, [2, 3, 4]) });
  add({ name: 'slice/narrow/select', ops: ['slice'], inputs: [f([5, 6], 'offset')], run: ([x]) => [T.slice(x!, 1, 1, 6, 2), T.narrow(x!, 0, 1, 3), T.select(x!, 1, -1), T.slice(x!, 0, 4, 2)] });
  add({ name: 'contiguous/clone', ops: ['contiguous'], inputs: [f([4, 5], 'transposed')], run: ([x]) => [T.contiguous(x!), T.clone(x!)] });
  add({ name: 'split/chunk', ops: ['slice'], inputs: [f([7, 2])], run: ([x]) => [...T.split(x!, 3), ...T.chunk(x!, 2, 0), ...T.split(x!, [2, 5])] });

  // ---- reductions ----
  const redShapes: [number[], number | number[] | undefined][] = [[[2, 3, 4], 1], [[2, 3, 4], [0, 2]], [[2, 3, 4], undefined], [[5], 0], [[3, 0], 1], [[1, 4], -1], [[], undefined]];
  for (const [shape, dim] of redShapes) {
    for (const keepdim of [false, true]) {
      const tag = `${JSON.stringify(shape)} dim=${JSON.stringify(dim)} keepdim=${keepdim}`;
      const empty = shape.includes(0);
      add({ name: `sum/prod/mean ${tag}`, ops: ['sum', 'prod', 'mean'], inputs: [f(shape, lay())], run: ([x]) => [T.sum(x!, dim, keepdim), T.prod(x!, dim, keepdim), T.mean(x!, dim, keepdim)] });
      if (!empty || (dim !== undefined && dim !== 1)) add({ name: `max/min ${tag}`, ops: ['max', 'min'], inputs: [f(shape, lay())], run: ([x]) => [T.max(x!, dim, keepdim), T.min(x!, dim, keepdim)] });
      if (!empty) add({ name: `var/std/logsumexp ${tag}`, ops: ['var', 'std', 'logsumexp'], inputs: [f(shape, lay())], run: ([x]) => [T.variance(x!, dim, keepdim), T.std(x!, dim, keepdim, 0), T.logsumexp(x!, dim ?? [], keepdim)], atol: 1e-5, rtol: 1e-4 });
    }
  }
  add({ name: 'sum int32 and bool', ops: ['sum', 'prod', 'max', 'min'], inputs: [i32([3, 4], 'int', 'transposed'), b8([3, 4])], run: ([x, b]) => [T.sum(x!, 1), T.prod(x!, 0), T.max(x!, 1), T.min(x!), T.sum(b!, 0)] });
  add({ name: 'argmax/argmin', ops: ['argmax', 'argmin'], inputs: [f([3, 5], 'transposed'), i32([4, 3], { index: 3 })], run: ([x, y]) => [T.argmax(x!, 1), T.argmin(x!, 0, true), T.argmax(x!), T.argmin(y!, 1), T.argmax(y!, 0)] });
  add({ name: 'max NaN propagates', ops: ['max', 'argmax'], inputs: [f([2, 3])], run: ([x]) => { const y = T.div(x!, T.mul(x!, 0)); return [T.max(T.cat([x!, y], 1), 1), T.argmax(T.cat([x!, y], 1), 1)]; } });

  // ---- matmul ----
  const mm: [number[], number[]][] = [[[3, 4], [4, 5]], [[2, 3, 4], [4, 2]], [[1, 3, 4], [2, 4, 5]], [[4], [4, 3]], [[3, 4], [4]], [[4], [4]], [[2, 1, 3, 4], [5, 4, 2]], [[0, 3], [3, 2]], [[3, 0], [0, 2]]];
  for (const [a, b] of mm) add({ name: `matmul ${JSON.stringify(a)}@${JSON.stringify(b)}`, ops: ['matmul'], inputs: [f(a, lay()), f(b, lay())], run: ([x, y]) => T.matmul(x!, y!), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'matmul int32', ops: ['matmul'], inputs: [i32([2, 3]), i32([3, 2], 'int', 'transposed')], run: ([x, y]) => T.matmul(x!, y!) });
  add({ name: 'linear', ops: ['linear', 'matmul', 'add'], inputs: [f([2, 5, 4], 'strided'), f([3, 4], 'transposed'), f([3])], run: ([x, w, bb]) => T.linear(x!, w!, bb!), atol: 1e-5, rtol: 1e-4 });
  // linear with each fused activation. The shapes are picked to reach each way a backend may read
  // the weight: [out, in] rows along K (the layout nn.Linear keeps), a transposed view whose
  // weightᵀ is row-major, and arbitrary strides; with 4-aligned K and out so vec4 kernels apply.
  const lin = (x: Tensor, w: Tensor, bb: Tensor | null, activation: T.LinearActivation): Tensor => T.linear(x, w, bb, { activation });
  const linTol = { atol: 1e-5, rtol: 1e-4 };
  for (const act of T.LINEAR_ACTIVATIONS) {
    add({ name: `linear ${act} 3-D x, bias`, ops: ['linear'], inputs: [f([2, 5, 8]), f([12, 8]), f([12])], run: ([x, w, bb]) => lin(x!, w!, bb!, act), ...linTol });
    add({ name: `linear ${act} no bias, transposed weight, offset x`, ops: ['linear'], inputs: [f([3, 8], 'offset'), f([8, 8], 'transposed')], run: ([x, w]) => lin(x!, w!, null, act), ...linTol });
    add({ name: `linear ${act} strided x, weight and bias`, ops: ['linear'], inputs: [f([2, 3, 5], 'strided'), f([3, 5], 'transposed'), f([3], 'strided')], run: ([x, w, bb]) => lin(x!, w!, bb!, act), ...linTol });
    add({ name: `linear ${act} transposed 3-D x, no bias`, ops: ['linear'], inputs: [f([2, 4, 3], 'transposed'), f([5, 3], 'strided')], run: ([x, w]) => lin(x!, w!, null, act), ...linTol });
    add({ name: `linear ${act} specials`, ops: ['linear'], inputs: [f([4, 4], 'contiguous', 'special'), f([6, 4], 'contiguous', 'special'), f([6], 'contiguous', 'special')], run: ([x, w, bb]) => lin(x!, w!, bb!, act), ...linTol });
  }
  add({ name: 'linear gelu 1-D x', ops: ['linear'], inputs: [f([8]), f([5, 8]), f([5])], run: ([x, w, bb]) => lin(x!, w!, bb!, 'gelu'), ...linTol });
  add({ name: 'linear geluTanh zero rows', ops: ['linear'], inputs: [f([0, 4]), f([3, 4]), f([3])], run: ([x, w, bb]) => lin(x!, w!, bb!, 'geluTanh'), ...linTol });
  add({ name: 'linear silu zero in-features, bias', ops: ['linear'], inputs: [f([2, 0]), f([3, 0]), f([3], 'strided')], run: ([x, w, bb]) => lin(x!, w!, bb!, 'silu'), ...linTol });
  add({ name: 'linear gelu 3-D x, zero in-features, no bias', ops: ['linear'], inputs: [f([2, 3, 0]), f([4, 0])], run: ([x, w]) => lin(x!, w!, null, 'gelu'), ...linTol });
  add({ name: 'linear relu zero out-features', ops: ['linear'], inputs: [f([2, 3, 4]), f([0, 4]), f([0])], run: ([x, w, bb]) => lin(x!, w!, bb!, 'relu'), ...linTol });
  add({ name: 'linear gelu zero batch dim', ops: ['linear'], inputs: [f([2, 0, 4]), f([3, 4], 'transposed'), f([3])], run: ([x, w, bb]) => lin(x!, w!, bb!, 'gelu'), ...linTol });
  add({ name: 'linear int32 relu', ops: ['linear'], inputs: [i32([3, 4]), i32([5, 4], 'int', 'transposed'), i32([5])], run: ([x, w, bb]) => [lin(x!, w!, bb!, 'relu'), lin(x!, w!, null, 'none')] });
  add({ name: 'linear int32 gelu, float bias', ops: ['linear'], inputs: [i32([3, 4], 'int', 'strided'), i32([5, 4]), f([5])], run: ([x, w, bb]) => [lin(x!, w!, bb!, 'gelu'), lin(x!, w!, null, 'silu')], ...linTol });

  // ---- nn composites ----
  for (const [shape, dim] of [[[3, 5], -1], [[2, 3, 4], 1], [[4], 0], [[2, 0], 1]] as [number[], number][]) {
    add({ name: `softmax/logSoftmax ${JSON.stringify(shape)} dim ${dim}`, ops: ['softmax', 'logSoftmax'], inputs: [f(shape, lay())], run: ([x]) => [T.softmax(x!, dim), T.logSoftmax(x!, dim)], atol: 1e-6, rtol: 1e-5 });
  }
  add({ name: 'softmax large values', ops: ['softmax', 'logSoftmax'], inputs: [f([3, 4])], run: ([x]) => [T.softmax(T.mul(x!, 100), 1), T.logSoftmax(T.mul(x!, 100), 1)], atol: 1e-5, rtol: 1e-5 });
  add({ name: 'layerNorm affine', ops: ['layerNorm'], inputs: [f([2, 3, 8], 'transposed'), f([8]), f([8])], run: ([x, w, bb]) => T.layerNorm(x!, [8], w, bb), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'layerNorm 2-D shape no affine', ops: ['layerNorm'], inputs: [f([2, 3, 4], 'strided')], run: ([x]) => T.layerNorm(x!, [3, 4], null, null, 1e-6), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'layerNorm weight only', ops: ['layerNorm'], inputs: [f([4, 6]), f([6], 'strided')], run: ([x, w]) => T.layerNorm(x!, 6, w), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'groupNorm', ops: ['groupNorm'], inputs: [f([2, 6, 3, 2], 'offset'), f([6]), f([6])], run: ([x, w, bb]) => T.groupNorm(x!, 3, w, bb), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'groupNorm 1 group no affine 3-D', ops: ['groupNorm'], inputs: [f([3, 4, 5], 'transposed')], run: ([x]) => T.groupNorm(x!, 1), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'sdpa plain', ops: ['scaledDotProductAttention'], inputs: [f([2, 3, 5, 4]), f([2, 3, 6, 4], 'transposed'), f([2, 3, 6, 3])], run: ([q, k, v]) => T.scaledDotProductAttention(q!, k!, v!), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'sdpa causal', ops: ['scaledDotProductAttention'], inputs: [f([1, 4, 4]), f([1, 4, 4]), f([1, 4, 2], 'strided')], run: ([q, k, v]) => T.scaledDotProductAttention(q!, k!, v!, { isCausal: true }), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'sdpa bool mask broadcast', ops: ['scaledDotProductAttention'], inputs: [f([2, 3, 4]), f([2, 5, 4]), f([2, 5, 4]), b8([3, 5])], run: ([q, k, v, m]) => T.scaledDotProductAttention(q!, k!, v!, { attnMask: T.logicalOr(m!, T.eq(T.arange(0, 5, 1, { backend: m!.backend.name }), 0)) }), atol: 1e-5, rtol: 1e-4 });
  add({ name: 'sdpa additive mask and scale', ops: ['scaledDotProductAttention'], inputs: [f([2, 3, 4]), f([2, 5, 4]), f([2, 5, 6]), f([2, 3, 5])], run: ([q, k, v, m]) => T.scaledDotProductAttention(q!, k!, v!, { attnMask: m, scale: 0.3 }), atol: 1e-5, rtol: 1e-4 });

  // ---- join, pad ----
  add({ name: 'cat dim 1', ops: ['cat'], inputs: [f([2, 3], 'transposed'), f([2, 0]), f([2, 2], 'strided')], run: ([a, b, c]) => T.cat([a!, b!, c!], 1) });
  add({ name: 'cat dim 0 int32', ops: ['cat'], inputs: [i32([1, 3]), i32([2, 3], 'int', 'offset')], run: ([a, b]) => T.cat([a!, b!], 0) });
  add({ name: 'stack', ops: ['cat'], inputs: [f([2, 3]), f([2, 3], 'transposed')], run: ([a, b]) => [T.stack([a!, b!], 0), T.stack([a!, b!], -1)] });
  add({ name: 'pad', ops: ['pad'], inputs: [f([2, 3, 4], 'strided')], run: ([x]) => [T.pad(x!, [1, 2]), T.pad(x!, [0, 1, 2, 0], -1.5), T.pad(x!, [1, 1, 1, 1, 1, 1])] });
  add({ name: 'pad bool', ops: ['pad'], inputs: [b8([2, 2])], run: ([x]) => T.pad(x!, [1, 0], 1) });

  // ---- indexing ----
  add({ name: 'gather', ops: ['gather'], inputs: [f([3, 4], 'transposed'), i32([3, 2], { index: 4 })], run: ([x, i]) => T.gather(x!, 1, i!) });
  add({ name: 'gather dim 0', ops: ['gather'], inputs: [f([3, 4, 2]), i32([2, 4, 1], { index: 3 }, 'strided')], run: ([x, i]) => T.gather(x!, 0, i!) });
  add({ name: 'indexSelect', ops: ['indexSelect'], inputs: [f([4, 3], 'offset'), i32([5], { index: 4 })], run: ([x, i]) => [T.indexSelect(x!, 0, i!), T.indexSelect(x!, 1, T.slice(i!, 0, 0, 2))] });
  add({ name: 'embedding', ops: ['embedding'], inputs: [i32([2, 3], { index: 6 }), f([6, 4], 'transposed')], run: ([i, w]) => T.embedding(i!, w!) });
  add({ name: 'scatterAdd', ops: ['scatterAdd'], inputs: [f([3, 4]), i32([5, 4], { index: 3 }), f([5, 4], 'transposed')], run: ([x, i, s]) => T.scatterAdd(x!, 0, i!, s!) });
  add({ name: 'scatterAdd dim 1', ops: ['scatterAdd'], inputs: [f([2, 3], 'strided'), i32([2, 5], { index: 3 }), f([2, 5])], run: ([x, i, s]) => T.scatterAdd(x!, 1, i!, s!) });
  add({ name: 'oneHot', ops: ['oneHot'], inputs: [i32([2, 3], { index: 5 })], run: ([i]) => T.oneHot(i!, 5) });

  // ---- scan, triangles ----
  add({ name: 'cumsum', ops: ['cumsum'], inputs: [f([3, 4], 'transposed'), i32([5], 'int', 'strided')], run: ([x, y]) => [T.cumsum(x!, 0), T.cumsum(x!, 1), T.cumsum(y!, 0)] });
  add({ name: 'tril/triu', ops: ['tril', 'triu'], inputs: [f([2, 3, 4], 'strided'), b8([4, 4])], run: ([x, m]) => [T.tril(x!), T.triu(x!, 1), T.tril(x!, -1), T.triu(m!, -1)] });

  // ---- convolution, pooling, interpolation ----
  const convTol = { atol: 1e-4, rtol: 1e-4 };
  add({ name: 'conv1d stride 2 pad 1', ops: ['conv'], inputs: [f([2, 3, 9], 'strided'), f([4, 3, 3]), f([4])], run: ([x, w, bb]) => T.conv1d(x!, w!, bb!, { stride: 2, padding: 1 }), ...convTol });
  add({ name: 'conv2d groups dilation', ops: ['conv'], inputs: [f([1, 4, 7, 6], 'transposed'), f([6, 2, 3, 2]), f([6])], run: ([x, w, bb]) => T.conv2d(x!, w!, bb!, { groups: 2, dilation: [2, 1], padding: [1, 0] }), ...convTol });
  add({ name: 'conv2d depthwise same', ops: ['conv'], inputs: [f([2, 3, 5, 5]), f([3, 1, 3, 3], 'offset')], run: ([x, w]) => T.conv2d(x!, w!, null, { groups: 3, padding: 'same' }), ...convTol });
  add({ name: 'conv3d', ops: ['conv'], inputs: [f([1, 2, 4, 5, 5], 'strided'), f([3, 2, 2, 3, 3]), f([3])], run: ([x, w, bb]) => T.conv3d(x!, w!, bb!, { stride: [1, 2, 2], padding: 1 }), ...convTol });
  add({ name: 'convTranspose1d', ops: ['convTranspose'], inputs: [f([2, 3, 5]), f([3, 2, 4], 'transposed'), f([2])], run: ([x, w, bb]) => T.convTranspose1d(x!, w!, bb!, { stride: 2, padding: 1, outputPadding: 1 }), ...convTol });
  add({ name: 'convTranspose2d groups dilation', ops: ['convTranspose'], inputs: [f([1, 4, 3, 4], 'offset'), f([4, 3, 3, 2])], run: ([x, w]) => T.convTranspose2d(x!, w!, null, { groups: 2, stride: [2, 1], dilation: [1, 2] }), ...convTol });
  add({ name: 'convTranspose3d', ops: ['convTranspose'], inputs: [f([1, 2, 2, 3, 3]), f([2, 2, 2, 2, 2], 'strided'), f([2])], run: ([x, w, bb]) => T.convTranspose3d(x!, w!, bb!, { stride: 2, padding: [0, 1, 1], outputPadding: [1, 0, 1] }), ...convTol });
  add({ name: 'maxPool2d with indices', ops: ['maxPool'], inputs: [f([2, 3, 7, 6], 'transposed')], run: ([x]) => T.maxPool2d(x!, 3, { stride: 2, padding: 1, returnIndices: true }) });
  add({ name: 'maxPool2d ceil dilation', ops: ['maxPool'], inputs: [f([1, 2, 8, 7])], run: ([x]) => T.maxPool2d(x!, 2, { stride: 3, dilation: 2, ceilMode: true }) });
  add({ name: 'maxPool3d', ops: ['maxPool'], inputs: [f([1, 2, 4, 5, 5], 'strided')], run: ([x]) => T.maxPool3d(x!, [2, 3, 3], { stride: 2 }) });
  add({ name: 'avgPool2d', ops: ['avgPool'], inputs: [f([2, 3, 7, 6], 'offset')], run: ([x]) => [T.avgPool2d(x!, 3, { stride: 2, padding: 1 }), T.avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true })], atol: 1e-5, rtol: 1e-5 });
  add({ name: 'avgPool3d', ops: ['avgPool'], inputs: [f([1, 2, 4, 4, 6], 'transposed')], run: ([x]) => T.avgPool3d(x!, 2), atol: 1e-5, rtol: 1e-5 });
  add({ name: 'interpolate nearest 2-D', ops: ['interpolate'], inputs: [f([1, 2, 3, 5], 'strided')], run: ([x]) => [T.interpolate(x!, { size: [7, 4] }), T.interpolate(x!, { scaleFactor: 2 })] });
  add({ name: 'interpolate bilinear', ops: ['interpolate'], inputs: [f([2, 1, 4, 3], 'transposed')], run: ([x]) => [T.interpolate(x!, { size: [7, 5], mode: 'bilinear' }), T.interpolate(x!, { size: [3, 6], mode: 'bilinear', alignCorners: true }), T.interpolate(x!, { scaleFactor: 1.5, mode: 'bilinear' })], atol: 1e-5, rtol: 1e-5 });
  add({ name: 'interpolate 3-D', ops: ['interpolate'], inputs: [f([1, 2, 2, 3, 3], 'offset')], run: ([x]) => [T.interpolate(x!, { size: [4, 5, 3] }), T.interpolate(x!, { size: [3, 4, 6], mode: 'trilinear' }), T.interpolate(x!, { scaleFactor: 2, mode: 'trilinear', alignCorners: true })], atol: 1e-5, rtol: 1e-5 });

  return cases;
}
