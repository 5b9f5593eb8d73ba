/**
 * Golden tests: the reference cpu backend against PyTorch 1.13 fixtures.
 *
 * The fixtures (`__golden__/ops_<family>.safetensors`) are made by `tools/golden/gen_ops.py`.
 * Each case `<case>` stores its inputs `<case>/in0`, `<case>/in1`, …, its outputs `<case>/out`
 * (`<case>/out1`, … for multi-output ops) and, in the file's `__metadata__` under `<case>`, the call
 * as JSON: `{"op": "conv2d", "inputs": ["input", "weight", "bias"], "args": {...}}`. This file
 * replays every case generically through REPLAY (op name -> a call of the public API) and compares
 * with the tolerance TOLERANCE picks for the case. The fixtures are read with the package's own
 * safetensors reader. COVERAGE lists what the fixtures must contain, so that dropping a case fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as T from './index.js';
import { cpuBackend } from './cpu/index.js';
import { type SafetensorsTensor, loadSafetensors, parseSafetensors } from './safetensors.js';
import { type Tensor } from './tensor.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

/** A case's call, as the generator wrote it. */
interface CaseMeta {
  op: string;
  /** Role of each input `in<i>` (`input`, `weight`, `bias`, `index`, …). */
  inputs: string[];
  /** The remaining arguments, with Tessera's names. */
  args: Record<string, any>;
}

interface GoldenCase {
  name: string;
  file: string;
  meta: CaseMeta;
  inputs: Tensor[];
  /** Host copies of the inputs (for the coverage checks). */
  hostInputs: SafetensorsTensor[];
  expected: SafetensorsTensor[];
}

const GOLDEN_DIR = fileURLToPath(new URL('./__golden__/', import.meta.url));
const FILES = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.safetensors'))
  .sort();

function loadCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const file of FILES) {
    const bytes = readFileSync(GOLDEN_DIR + file);
    const { tensors: host, metadata } = parseSafetensors(bytes, { source: file });
    const tensors = loadSafetensors(bytes, { source: file, backend: cpuBackend });
    for (const [name, json] of Object.entries(metadata)) {
      if (name.startsWith('__')) continue; // __golden__: what made the file
      const meta = JSON.parse(json) as CaseMeta;
      const get = <V>(m: Map<string, V> | Record<string, V>, key: string): V => {
        const v = m instanceof Map ? m.get(key) : m[key];
        if (v === undefined) throw new Error(`${file}: case '${name}' has no tensor '${key}'`);
        return v;
      };
      const inputs = meta.inputs.map((_, i) => get(tensors, `${name}/in${i}`));
      const hostInputs = meta.inputs.map((_, i) => get(host, `${name}/in${i}`));
      const expected: SafetensorsTensor[] = [get(host, `${name}/out`)];
      for (let i = 1; host.has(`${name}/out${i}`); i++) expected.push(host.get(`${name}/out${i}`)!);
      cases.push({ name, file, meta, inputs, hostInputs, expected });
    }
    const known = new Set(cases.filter((c) => c.file === file).flatMap((c) => [...c.meta.inputs.map((_, i) => `${c.name}/in${i}`), `${c.name}/out`, ...c.expected.slice(1).map((_, i) => `${c.name}/out${i + 1}`)]));
    const stray = [...host.keys()].filter((k) => !known.has(k));
    if (stray.length > 0) throw new Error(`${file}: tensors that belong to no case: ${stray.slice(0, 5).join(', ')}`);
  }
  return cases;
}

const CASES = loadCases();

// ---------------------------------------------------------------------------------------------
// Replay: op name -> call of the public API

type Replay = (ins: Tensor[], a: Record<string, any>, n: Record<string, Tensor>) => Tensor | Tensor[];

const unary = (f: (x: Tensor) => Tensor): Replay => ([x]) => f(x!);
const binary =
  (f: (a: T.TensorOrScalar, b: T.TensorOrScalar) => Tensor): Replay =>
  (ins, a) =>
    a.scalarFirst !== undefined ? f(a.scalarFirst, ins[0]!) : a.other !== undefined ? f(ins[0]!, a.other) : f(ins[0]!, ins[1]!);
const reduce =
  (f: (x: Tensor, dim?: number | readonly number[], keepdim?: boolean) => Tensor): Replay =>
  ([x], a) =>
    f(x!, a.dim, a.keepdim);
const argReduce =
  (f: (x: Tensor, dim?: number, keepdim?: boolean) => Tensor): Replay =>
  ([x], a) =>
    f(x!, a.dim, a.keepdim);
const withCorrection =
  (f: (x: Tensor, dim?: number | readonly number[], keepdim?: boolean, correction?: number) => Tensor): Replay =>
  ([x], a) =>
    f(x!, a.dim, a.keepdim, a.correction);
const convolution =
  <O,>(f: (x: Tensor, w: Tensor, b?: Tensor | null, opts?: O) => Tensor): Replay =>
  (_, a, n) =>
    f(n.input!, n.weight!, n.bias ?? null, a as O);
const pooling =
  <O,>(f: (x: Tensor, k: number | readonly number[], opts: O) => Tensor | [Tensor, Tensor]): Replay =>
  ([x], a) => {
    const { kernelSize, ...opts } = a;
    return f(x!, kernelSize, opts as O);
  };

const REPLAY: Record<string, Replay> = {
  // elementwise
  neg: unary(T.neg),
  abs: unary(T.abs),
  exp: unary(T.exp),
  log: unary(T.log),
  sqrt: unary(T.sqrt),
  rsqrt: unary(T.rsqrt),
  sin: unary(T.sin),
  cos: unary(T.cos),
  tanh: unary(T.tanh),
  sigmoid: unary(T.sigmoid),
  relu: unary(T.relu),
  silu: unary(T.silu),
  erf: unary(T.erf),
  square: unary(T.square),
  reciprocal: unary(T.reciprocal),
  floor: unary(T.floor),
  logicalNot: unary(T.logicalNot),
  gelu: ([x], a) => T.gelu(x!, a.approximate),
  clamp: ([x], a) => T.clamp(x!, a.min, a.max),
  add: binary(T.add),
  sub: binary(T.sub),
  mul: binary(T.mul),
  div: binary(T.div),
  pow: binary(T.pow),
  maximum: binary(T.maximum),
  minimum: binary(T.minimum),
  eq: binary(T.eq),
  ne: binary(T.ne),
  lt: binary(T.lt),
  le: binary(T.le),
  gt: binary(T.gt),
  ge: binary(T.ge),
  logicalAnd: binary(T.logicalAnd),
  logicalOr: binary(T.logicalOr),
  where: (_, a, n) => T.where(n.condition!, n.input ?? a.input, n.other ?? a.other),
  // reductions
  sum: reduce(T.sum),
  mean: reduce(T.mean),
  max: reduce(T.max),
  min: reduce(T.min),
  prod: reduce(T.prod),
  logsumexp: ([x], a) => T.logsumexp(x!, a.dim, a.keepdim),
  argmax: argReduce(T.argmax),
  argmin: argReduce(T.argmin),
  var: withCorrection(T.var),
  std: withCorrection(T.std),
  // linear algebra and nn
  matmul: ([a, b]) => T.matmul(a!, b!),
  linear: (_, __, n) => T.linear(n.input!, n.weight!, n.bias ?? null),
  softmax: ([x], a) => T.softmax(x!, a.dim),
  logSoftmax: ([x], a) => T.logSoftmax(x!, a.dim),
  layerNorm: (_, a, n) => T.layerNorm(n.input!, a.normalizedShape, n.weight ?? null, n.bias ?? null, a.eps),
  groupNorm: (_, a, n) => T.groupNorm(n.input!, a.numGroups, n.weight ?? null, n.bias ?? null, a.eps),
  scaledDotProductAttention: (_, a, n) =>
    T.scaledDotProductAttention(n.query!, n.key!, n.value!, { attnMask: n.attnMask ?? null, isCausal: a.isCausal, scale: a.scale }),
  // convolution, pooling, resampling
  conv1d: convolution(T.conv1d),
  conv2d: convolution(T.conv2d),
  conv3d: convolution(T.conv3d),
  convTranspose1d: convolution(T.convTranspose1d),
  convTranspose2d: convolution(T.convTranspose2d),
  convTranspose3d: convolution(T.convTranspose3d),
  maxPool1d: pooling(T.maxPool1d),
  maxPool2d: pooling(T.maxPool2d),
  maxPool3d: pooling(T.maxPool3d),
  avgPool1d: pooling(T.avgPool1d),
  avgPool2d: pooling(T.avgPool2d),
  avgPool3d: pooling(T.avgPool3d),
  interpolate: ([x], a) => T.interpolate(x!, a),
  // indexing
  gather: (_, a, n) => T.gather(n.input!, a.dim, n.index!),
  indexSelect: (_, a, n) => T.indexSelect(n.input!, a.dim, n.index!),
  embedding: (_, __, n) => T.embedding(n.indices!, n.weight!),
  scatterAdd: (_, a, n) => T.scatterAdd(n.input!, a.dim, n.index!, n.src!),
  oneHot: (_, a, n) => T.oneHot(n.indices!, a.numClasses),
  // scans, triangles, joins, layout
  cumsum: ([x], a) => T.cumsum(x!, a.dim),
  tril: ([x], a) => T.tril(x!, a.diagonal),
  triu: ([x], a) => T.triu(x!, a.diagonal),
  cat: (ins, a) => T.cat(ins, a.dim),
  stack: (ins, a) => T.stack(ins, a.dim),
  split: ([x], a) => T.split(x!, a.size, a.dim),
  chunk: ([x], a) => T.chunk(x!, a.chunks, a.dim),
  pad: ([x], a) => T.pad(x!, a.padding, a.value),
  rearrange: ([x], a) => T.rearrange(x!, a.pattern, a.axes),
};

// ---------------------------------------------------------------------------------------------
// Tolerances: |got - expected| <= atol + rtol·|expected| for float outputs; int and bool outputs
// are always compared exactly. NaN must meet NaN and ±Infinity the same infinity.

interface Tol {
  rtol: number;
  atol: number;
}
const EXACT: Tol = { rtol: 0, atol: 0 };
const ELEMENTWISE: Tol = { rtol: 1e-5, atol: 1e-5 };
const ACCUMULATING: Tol = { rtol: 1e-4, atol: 1e-4 };

/** Ops that only move, select or compare float32 values: nothing to round. */
const EXACT_OPS = new Set([
  'neg', 'abs', 'relu', 'floor', 'clamp', 'maximum', 'minimum', 'where', 'max', 'min',
  'gather', 'indexSelect', 'embedding', 'cat', 'stack', 'split', 'chunk', 'pad', 'tril', 'triu', 'rearrange',
  'maxPool1d', 'maxPool2d', 'maxPool3d',
]);
/** Ops with long dot products or a normalisation: 1e-4 (also in gen_ops.py's LOOSE_OPS). */
const ACCUMULATING_OPS = new Set([
  'matmul', 'linear', 'layerNorm', 'groupNorm', 'scaledDotProductAttention',
  'conv1d', 'conv2d', 'conv3d', 'convTranspose1d', 'convTranspose2d', 'convTranspose3d', 'interpolate',
]);

function tolerance(meta: CaseMeta): Tol {
  if (meta.op === 'interpolate' && String(meta.args.mode).startsWith('nearest')) return EXACT; // picks elements
  if (EXACT_OPS.has(meta.op)) return EXACT;
  if (ACCUMULATING_OPS.has(meta.op)) return ACCUMULATING;
  return ELEMENTWISE; // elementwise maths, reductions, softmax, cumsum, avg pooling, scatterAdd
}

function compare(name: string, index: number, got: Tensor, want: SafetensorsTensor, tol: Tol): void {
  const label = `${name} output ${index}`;
  expect(got.shape, `${label}: shape`).toEqual(want.shape);
  expect(got.dtype, `${label}: dtype`).toBe(want.hostDType);
  const g = got.dataSync();
  const w = want.data;
  const exact = want.hostDType !== 'float32' ? EXACT : tol;
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < w.length; i++) {
    const e = w[i]!;
    const v = g[i]!;
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(v);
    else if (!Number.isFinite(e)) ok = v === e;
    else {
      const err = Math.abs(v - e);
      const bound = exact.atol + exact.rtol * Math.abs(e);
      ok = err <= bound; // false for NaN
    }
    if (!ok) {
      count++;
      if (bad.length < 6) bad.push(`[${unravel(i, want.shape).join(',')}] expected ${e} got ${v}`);
    }
  }
  if (count > 0) {
    throw new Error(
      `${label}: ${count} of ${w.length} elements differ from PyTorch beyond rtol ${exact.rtol}, atol ${exact.atol}: ${bad.join('; ')}${count > bad.length ? '; …' : ''}`,
    );
  }
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

// ---------------------------------------------------------------------------------------------
// Coverage: what the fixtures must hold

type Pred = (c: GoldenCase) => boolean;
const a_ = (c: GoldenCase): Record<string, any> => c.meta.args;
const gt1 = (v: unknown): boolean => (Array.isArray(v) ? v.some((x) => x > 1) : typeof v === 'number' && v > 1);
const gt0 = (v: unknown): boolean => (Array.isArray(v) ? v.some((x) => x > 0) : typeof v === 'number' && v > 0);
const hasRole = (c: GoldenCase, role: string): boolean => c.meta.inputs.includes(role);
const rank = (c: GoldenCase, i: number): number => c.hostInputs[i]!.shape.length;
const multiDim = (c: GoldenCase): boolean => Array.isArray(a_(c).dim) && a_(c).dim.length > 1;
const values = (c: GoldenCase, i = 0): number[] => Array.from(c.hostInputs[i]!.data);
const nearZeroAndLarge = (c: GoldenCase): boolean =>
  values(c).some((v) => v !== 0 && Math.abs(v) < 1e-3) && values(c).includes(0) && values(c).some((v) => Math.abs(v) >= 10);
const broadcasts = (c: GoldenCase): boolean => {
  const shapes = c.hostInputs.map((t) => t.shape);
  return shapes.length >= 2 && shapes.some((s) => s.join() !== shapes[0]!.join());
};

const UNARY = ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'silu', 'erf', 'square', 'reciprocal', 'floor'];
const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'];
const REDUCTIONS = ['sum', 'mean', 'max', 'min', 'prod', 'logsumexp', 'var', 'std'];
const CONV = ['conv1d', 'conv2d', 'conv3d'];
const CONV_T = ['convTranspose1d', 'convTranspose2d', 'convTranspose3d'];

/** [what, predicate]: each must match at least one case. */
const COVERAGE: [string, Pred][] = [
  ...UNARY.map((op): [string, Pred] => [`${op} near 0 and at large |x|`, (c) => c.meta.op === op && nearZeroAndLarge(c)]),
  ...(['none', 'tanh'] as const).map((m): [string, Pred] => [`gelu '${m}' near 0 and at large |x|`, (c) => c.meta.op === 'gelu' && a_(c).approximate === m && nearZeroAndLarge(c)]),
  ['clamp with both bounds', (c) => c.meta.op === 'clamp' && a_(c).min !== undefined && a_(c).max !== undefined],
  ['clamp with one bound', (c) => c.meta.op === 'clamp' && (a_(c).min === undefined) !== (a_(c).max === undefined)],
  ...BINARY.map((op): [string, Pred] => [`${op} broadcasting`, (c) => c.meta.op === op && broadcasts(c)]),
  ...BINARY.map((op): [string, Pred] => [`${op} with a scalar`, (c) => c.meta.op === op && (a_(c).other !== undefined || a_(c).scalarFirst !== undefined)]),
  ['where broadcasting', (c) => c.meta.op === 'where' && broadcasts(c) && c.inputs.length === 3],
  ['where with a scalar', (c) => c.meta.op === 'where' && c.inputs.length === 2],
  ...REDUCTIONS.flatMap((op): [string, Pred][] => [
    [`${op} over several dims with keepdim`, (c) => c.meta.op === op && multiDim(c) && a_(c).keepdim === true],
    [`${op} over one dim`, (c) => c.meta.op === op && typeof a_(c).dim === 'number'],
  ]),
  ...['sum', 'mean', 'max', 'min', 'prod', 'var', 'std'].map((op): [string, Pred] => [`${op} over everything`, (c) => c.meta.op === op && a_(c).dim === undefined]),
  ...['var', 'std'].flatMap((op) =>
    [0, 1].map((k): [string, Pred] => [`${op} with correction ${k}`, (c) => c.meta.op === op && a_(c).correction === k]),
  ),
  ...['argmax', 'argmin'].flatMap((op): [string, Pred][] => [
    [`${op} over everything`, (c) => c.meta.op === op && a_(c).dim === undefined],
    [`${op} with keepdim`, (c) => c.meta.op === op && a_(c).keepdim === true],
  ]),
  ['matmul 1-D @ 1-D', (c) => c.meta.op === 'matmul' && rank(c, 0) === 1 && rank(c, 1) === 1],
  ['matmul 1-D @ batched', (c) => c.meta.op === 'matmul' && rank(c, 0) === 1 && rank(c, 1) > 2],
  ['matmul batched @ 1-D', (c) => c.meta.op === 'matmul' && rank(c, 0) > 2 && rank(c, 1) === 1],
  ['matmul broadcast batch', (c) => c.meta.op === 'matmul' && rank(c, 0) > 2 && rank(c, 1) > 2 && rank(c, 0) !== rank(c, 1)],
  ['softmax', (c) => c.meta.op === 'softmax'],
  ['logSoftmax', (c) => c.meta.op === 'logSoftmax'],
  ['layerNorm affine', (c) => c.meta.op === 'layerNorm' && hasRole(c, 'weight') && hasRole(c, 'bias')],
  ['layerNorm without affine', (c) => c.meta.op === 'layerNorm' && c.inputs.length === 1],
  ['layerNorm multi-dim normalizedShape', (c) => c.meta.op === 'layerNorm' && a_(c).normalizedShape.length > 1],
  ['groupNorm affine', (c) => c.meta.op === 'groupNorm' && hasRole(c, 'weight')],
  ['groupNorm without affine', (c) => c.meta.op === 'groupNorm' && c.inputs.length === 1],
  ...CONV.flatMap((op): [string, Pred][] => [
    [`${op} with bias`, (c) => c.meta.op === op && hasRole(c, 'bias')],
    [`${op} with stride`, (c) => c.meta.op === op && gt1(a_(c).stride)],
    [`${op} with padding`, (c) => c.meta.op === op && gt0(a_(c).padding)],
    [`${op} with dilation`, (c) => c.meta.op === op && gt1(a_(c).dilation)],
    [`${op} with groups`, (c) => c.meta.op === op && gt1(a_(c).groups)],
    [`${op} depthwise`, (c) => c.meta.op === op && a_(c).groups === c.hostInputs[0]!.shape[rank(c, 0) - 1 - Number(op[4])]],
  ]),
  ...CONV_T.flatMap((op): [string, Pred][] => [
    [`${op} with bias`, (c) => c.meta.op === op && hasRole(c, 'bias')],
    [`${op} with stride`, (c) => c.meta.op === op && gt1(a_(c).stride)],
    [`${op} with padding`, (c) => c.meta.op === op && gt0(a_(c).padding)],
    [`${op} with outputPadding`, (c) => c.meta.op === op && gt0(a_(c).outputPadding)],
    [`${op} with groups`, (c) => c.meta.op === op && gt1(a_(c).groups)],
    [`${op} with dilation`, (c) => c.meta.op === op && gt1(a_(c).dilation)],
  ]),
  ...['maxPool2d', 'maxPool3d', 'avgPool2d', 'avgPool3d'].flatMap((op): [string, Pred][] => [
    [`${op}`, (c) => c.meta.op === op && !gt0(a_(c).padding) && !a_(c).ceilMode],
    [`${op} with padding`, (c) => c.meta.op === op && gt0(a_(c).padding)],
    [`${op} with ceilMode`, (c) => c.meta.op === op && a_(c).ceilMode === true],
  ]),
  ...['avgPool2d', 'avgPool3d'].map((op): [string, Pred] => [`${op} countIncludePad false with padding`, (c) => c.meta.op === op && a_(c).countIncludePad === false && gt0(a_(c).padding)]),
  ...['maxPool2d', 'maxPool3d'].map((op): [string, Pred] => [`${op} returnIndices`, (c) => c.meta.op === op && a_(c).returnIndices === true]),
  ...(
    [
      ['nearest', 4, undefined],
      ['bilinear', 4, false],
      ['bilinear', 4, true],
      ['nearest', 5, undefined],
      ['trilinear', 5, false],
      ['trilinear', 5, true],
    ] as const
  ).flatMap(([mode, r, ac]): [string, Pred][] =>
    (['size', 'scaleFactor'] as const).map((by): [string, Pred] => [
      `interpolate ${mode} ${r - 2}-D${ac === undefined ? '' : ` alignCorners ${ac}`} by ${by}`,
      (c) => c.meta.op === 'interpolate' && a_(c).mode === mode && rank(c, 0) === r && a_(c).alignCorners === ac && a_(c)[by] !== undefined,
    ]),
  ),
  ['interpolate with a non-integer scaleFactor', (c) => c.meta.op === 'interpolate' && [a_(c).scaleFactor].flat().some((s) => s !== undefined && !Number.isInteger(s))],
  ['gather', (c) => c.meta.op === 'gather'],
  ['indexSelect', (c) => c.meta.op === 'indexSelect'],
  ['embedding', (c) => c.meta.op === 'embedding'],
  ['scatterAdd with repeated indices', (c) => c.meta.op === 'scatterAdd' && new Set(values(c, 1)).size < c.hostInputs[1]!.data.length],
  ['oneHot', (c) => c.meta.op === 'oneHot'],
  ['cumsum', (c) => c.meta.op === 'cumsum'],
  ...['tril', 'triu'].flatMap((op) =>
    [-1, 0, 1].map((d): [string, Pred] => [`${op} diagonal ${d}`, (c) => c.meta.op === op && a_(c).diagonal === d]),
  ),
  ['scaledDotProductAttention', (c) => c.meta.op === 'scaledDotProductAttention' && c.inputs.length === 3 && !a_(c).isCausal],
  ['scaledDotProductAttention bool mask', (c) => c.meta.op === 'scaledDotProductAttention' && c.hostInputs[3]?.hostDType === 'bool'],
  ['scaledDotProductAttention additive mask', (c) => c.meta.op === 'scaledDotProductAttention' && c.hostInputs[3]?.hostDType === 'float32'],
  ['scaledDotProductAttention causal', (c) => c.meta.op === 'scaledDotProductAttention' && a_(c).isCausal === true],
  ['cat', (c) => c.meta.op === 'cat'],
  ['stack', (c) => c.meta.op === 'stack'],
  ['pad', (c) => c.meta.op === 'pad'],
  ["rearrange ViViT 'b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)'", (c) => c.meta.op === 'rearrange' && a_(c).pattern === 'b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)'],
  ['rearrange, several patterns', (c) => c.meta.op === 'rearrange' && CASES.filter((d) => d.meta.op === 'rearrange').length >= 4],
];

// ---------------------------------------------------------------------------------------------

describe('golden fixtures', () => {
  it('are present, small, and name only ops the test can replay', () => {
    expect(FILES.length).toBeGreaterThan(0);
    const total = FILES.reduce((s, f) => s + readFileSync(GOLDEN_DIR + f).byteLength, 0);
    expect(total).toBeLessThan(1_000_000);
    expect(CASES.filter((c) => !(c.meta.op in REPLAY)).map((c) => `${c.name} (${c.meta.op})`)).toEqual([]);
  });

  it('cover the required op families', () => {
    const missing = COVERAGE.filter(([, pred]) => !CASES.some(pred)).map(([what]) => what);
    expect(missing).toEqual([]);
  });
});

for (const file of FILES) {
  describe(`golden ${file}`, () => {
    for (const c of CASES.filter((x) => x.file === file)) {
      it(`${c.name}: ${c.meta.op}`, () => {
        const named: Record<string, Tensor> = {};
        c.meta.inputs.forEach((role, i) => (named[role] = c.inputs[i]!));
        const out = REPLAY[c.meta.op]!(c.inputs, c.meta.args, named);
        const outs = Array.isArray(out) ? out : [out];
        expect(outs.length, `${c.name}: number of outputs`).toBe(c.expected.length);
        const tol = tolerance(c.meta);
        outs.forEach((o, i) => compare(c.name, i, o, c.expected[i]!, tol));
        for (const o of outs) o.dispose();
      });
    }
  });
}
