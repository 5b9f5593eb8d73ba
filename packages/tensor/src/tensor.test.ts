import { describe, expect, it } from 'vitest';
import * as T from './index.js';
import { ArgumentError, BackendError, DTypeError, DisposedError, ShapeError, Tensor, memory, tidy } from './index.js';

const arr = (t: Tensor) => t.toArraySync();

describe('Tensor basics', () => {
  it('creates from nested arrays, typed arrays and scalars', () => {
    expect(arr(T.tensor([[1, 2], [3, 4]]))).toEqual([[1, 2], [3, 4]]);
    expect(T.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(T.tensor([true, false]).dtype).toBe('bool');
    expect(T.tensor(3).shape).toEqual([]);
    expect(T.tensor(3).item()).toBe(3);
    expect(() => T.tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => T.tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/needs 4 elements, data has 3/);
  });

  it('has PyTorch creation semantics', () => {
    expect(T.arange(5).dtype).toBe('int32');
    expect(arr(T.arange(1, 2, 0.25))).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arr(T.linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(arr(T.eye(2, 3))).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(arr(T.full([2], 7, { dtype: 'int32' }))).toEqual([7, 7]);
    expect(T.zeros([2, 0, 3]).size).toBe(0);
  });

  it('draws the same random numbers for the same seed', () => {
    T.manualSeed(42);
    const a = T.randn([100]).dataSync();
    const u = T.rand([50]).dataSync();
    const k = T.randint(-3, 3, [200]).dataSync();
    T.manualSeed(42);
    expect(T.randn([100]).dataSync()).toEqual(a);
    expect(T.rand([50]).dataSync()).toEqual(u);
    expect(T.randint(-3, 3, [200]).dataSync()).toEqual(k);
    expect(Math.min(...k)).toBe(-3);
    expect(Math.max(...k)).toBe(2);
    const g = new T.Generator(5);
    const state = g.getState();
    const x = T.randn([7], { generator: g }).dataSync();
    g.setState(state);
    expect(T.randn([7], { generator: g }).dataSync()).toEqual(x);
    // Moments of 20k normals: mean ~ 0, variance ~ 1.
    const big = T.randn([20000]);
    expect(Math.abs(big.mean().item())).toBeLessThan(0.03);
    expect(Math.abs(T.variance(big).item() - 1)).toBeLessThan(0.04);
  });
});

describe('views', () => {
  it('share storage and do not copy', () => {
    const x = T.arange(24).reshape(2, 3, 4);
    const t = x.permute(2, 0, 1);
    expect(t.storage).toBe(x.storage);
    expect(t.isContiguous()).toBe(false);
    expect(t.shape).toEqual([4, 2, 3]);
    expect(x.slice(2, 1, 4, 2).storage).toBe(x.storage);
    expect(x.unsqueeze(0).expand(5, 2, 3, 4).storage).toBe(x.storage);
    expect(arr(x.select(1, 2))).toEqual([[8, 9, 10, 11], [20, 21, 22, 23]]);
    expect(arr(x.slice(-1, undefined, undefined, 3))).toEqual([[[0, 3], [4, 7], [8, 11]], [[12, 15], [16, 19], [20, 23]]]);
  });

  it('view refuses a layout that needs a copy; reshape copies', () => {
    const x = T.arange(6).reshape(2, 3).transpose(0, 1);
    expect(() => x.view(6)).toThrow(/cannot be viewed as \[6\] without a copy; use reshape/);
    const r = x.reshape(6);
    expect(r.storage).not.toBe(x.storage);
    expect(arr(r)).toEqual([0, 3, 1, 4, 2, 5]);
    // A permuted tensor whose dims can still merge stays a view.
    const y = T.zeros([2, 3, 4]).permute(1, 0, 2);
    expect(y.view(3, 8 / 4, 4).storage).toBe(y.storage);
  });

  it('validates with typed errors naming the op and shapes', () => {
    const a = T.zeros([2, 3, 4]);
    expect(() => T.matmul(a, T.zeros([5, 6]))).toThrow('matmul: inner dims differ: a [2,3,4] vs b [5,6]');
    expect(() => T.add(T.zeros([2, 3]), T.zeros([4]))).toThrow(ShapeError);
    expect(() => T.add(T.zeros([2, 3]), T.zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast/);
    expect(() => a.permute(0, 1)).toThrow(/permute: dims \[0,1\] has 2 entries for input \[2,3,4\]/);
    expect(() => a.sum(3)).toThrow(ArgumentError);
    expect(() => T.exp(T.tensor([true]))).toThrow(DTypeError);
    expect(() => T.softmax(T.tensor([1, 2], { dtype: 'int32' }), 0)).toThrow(/softmax: input \[2\] has dtype int32/);
    expect(() => a.expand(2, 5, 4)).toThrow(/expand: input \[2,3,4\] cannot be expanded to \[2,5,4\]/);
    expect(() => T.cat([T.zeros([2, 3]), T.zeros([3, 3])], 1)).toThrow(/cat: tensors\[1\] \[3,3\] does not match/);
    expect(() => T.gather(T.zeros([3]), 0, T.tensor([5], { dtype: 'int32' }))).toThrow(/gather: index 5 is out of range for dim 0 of size 3/);
    expect(() => T.layerNorm(T.zeros([2, 3]), [4])).toThrow(/layerNorm: normalizedShape \[4\] does not match/);
  });
});

describe('dtype rules', () => {
  it('promote like PyTorch', () => {
    const i = T.tensor([1, 2], { dtype: 'int32' });
    expect(T.add(i, i).dtype).toBe('int32');
    expect(T.add(i, 0.5).dtype).toBe('float32');
    expect(T.add(i, 2).dtype).toBe('int32');
    expect(T.div(i, i).dtype).toBe('float32');
    expect(T.exp(i).dtype).toBe('float32');
    expect(T.lt(i, 2).dtype).toBe('bool');
    expect(T.sum(T.tensor([true, true, false])).item()).toBe(2);
    expect(T.cast(T.tensor([-1.7, 2.9]), 'int32').toArraySync()).toEqual([-1, 2]);
  });

  it('computes var and std unbiased by default', () => {
    const x = T.tensor([1, 2, 3, 4]);
    expect(T.variance(x).item()).toBeCloseTo(5 / 3, 6);
    expect(T.variance(x, undefined, false, 0).item()).toBeCloseTo(1.25, 6);
    expect(x.std().item()).toBeCloseTo(Math.sqrt(5 / 3), 6);
  });
});

describe('memory', () => {
  it('dispose frees the buffer once the last view is gone', () => {
    const before = memory().backends.cpu?.numBytes ?? 0;
    const x = T.zeros([256]);
    const v = x.reshape(16, 16);
    expect(memory().backends.cpu!.numBytes).toBe(before + 1024);
    x.dispose();
    expect(memory().backends.cpu!.numBytes).toBe(before + 1024);
    v.dispose();
    expect(memory().backends.cpu!.numBytes).toBe(before);
    expect(() => x.add(1)).toThrow(DisposedError);
    x.dispose(); // idempotent
  });

  it('1000 iterations inside tidy leave the live count where it started', () => {
    const w = T.randn([16, 16]);
    let x = T.randn([4, 16]);
    const start = memory();
    for (let i = 0; i < 1000; i++) {
      const next = tidy(() => T.tanh(T.layerNorm(x.matmul(w).add(1).softmax(-1), 16)).mul(0.5));
      x.dispose();
      x = next;
    }
    const end = memory();
    expect(end.numTensors).toBe(start.numTensors);
    expect(end.numBytes).toBe(start.numBytes);
  });

  it('tidy keeps returned tensors (nested) and disposes the rest, also on throw', () => {
    const start = memory().numTensors;
    const out = tidy(() => {
      const a = T.ones([2]);
      const b = a.add(1);
      return { b, list: [b.mul(2)] };
    });
    expect(memory().numTensors).toBe(start + 2);
    expect(out.list[0]!.toArraySync()).toEqual([4, 4]);
    expect(() => tidy(() => {
      T.ones([3]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(memory().numTensors).toBe(start + 2);
    expect(() => tidy(() => Promise.resolve(1) as never)).toThrow(/synchronous/);
    const kept = tidy(() => {
      const k = T.keep(T.ones([1]));
      T.ones([1]);
      return 1;
    });
    expect(kept).toBe(1);
    expect(memory().numTensors).toBe(start + 3);
  });

  it('assign swaps contents in O(1) and keeps the accounting right', () => {
    const start = memory();
    const p = T.zeros([3]);
    const view = p.reshape(3);
    const v = T.ones([3]);
    expect(p.assign(v)).toBe(p);
    v.dispose();
    expect(p.toArraySync()).toEqual([1, 1, 1]);
    expect(view.toArraySync()).toEqual([0, 0, 0]);
    expect(() => p.assign(T.ones([4]))).toThrow(/assign: value \[4\] float32 does not match tensor \[3\] float32/);
    view.dispose();
    p.dispose();
    expect(memory().numBytes).toBe(start.numBytes + 16); // only the rejected ones([4]) remains
  });

  it('ops called outside tidy leave only their outputs allocated', () => {
    const x = T.randn([2, 3, 4]);
    const m = T.randn([4, 5]);
    const img = T.randn([1, 3, 8, 8]);
    const idx = T.tensor([0, 2, 1], { dtype: 'int32' });
    const cond = T.gt(x, 0);
    const xt = x.transpose(0, 2);
    const [v4, v2, v3, i2] = [T.ones([4]), T.ones([2]), T.ones([3]), T.tensor([1, 2], { dtype: 'int32' })];
    const [w35, g3, b3, g4, b4] = [T.ones([3, 5]), T.ones([3]), T.zeros([3]), T.ones([4]), T.zeros([4])];
    const [u, k] = [T.randn([3, 5, 5]), T.randn([2, 3, 3, 3])];
    const calls: [string, () => T.Tensor | T.Tensor[]][] = [
      ['add scalar', () => T.add(x, 1)],
      ['where scalars', () => T.where(cond, x, 0)],
      ['matmul 1-D', () => T.matmul(v4, m)],
      ['linear', () => T.linear(m, w35, g3)],
      ['reshape copy', () => xt.reshape(-1)],
      ['select', () => x.select(1, 2)],
      ['stack', () => T.stack([x, x], 1)],
      ['pad', () => T.pad(i2, [1, 1], 0.5)],
      ['softmax', () => T.softmax(x, -1)],
      ['logSoftmax', () => T.logSoftmax(x, 1)],
      ['layerNorm', () => T.layerNorm(x, [4], g4, b4)],
      ['groupNorm', () => T.groupNorm(img, 3, g3, b3)],
      ['sdpa causal', () => T.scaledDotProductAttention(x, x, x, { isCausal: true })],
      ['mean/var/std/logsumexp', () => [T.mean(x, 1), T.variance(x, [0, 2]), T.std(x), T.logsumexp(x, -1)]],
      ['tril/triu', () => [T.tril(m), T.triu(m, 1)]],
      ['embedding/oneHot', () => [T.embedding(idx, m), T.oneHot(idx, 4)]],
      ['outer', () => T.outer(v2, v3)],
      ['conv2d unbatched', () => T.conv2d(u, k, null, { padding: 'same' })],
      ['maxPool2d', () => T.maxPool2d(img, 2)],
      ['interpolate', () => T.interpolate(img, { scaleFactor: 2, mode: 'bilinear' })],
      ['rearrange', () => T.rearrange(img, 'b c (h p) (w q) -> b (h w) (p q c)', { p: 2, q: 2 })],
      ['repeat', () => T.repeat(m, 'h w -> h (w r)', { r: 2 })],
    ];
    for (const [name, call] of calls) {
      const before = memory().numTensors;
      const out = call();
      const outs = Array.isArray(out) ? out : [out];
      expect(memory().numTensors - before, name).toBe(outs.length);
      for (const o of outs) o.dispose();
    }
  });

  it('supports `using`', () => {
    const start = memory().numTensors;
    {
      using a = T.ones([4]);
      expect(a.sum().item()).toBe(4);
    }
    expect(memory().numTensors).toBeLessThanOrEqual(start + 1); // the sum result remains
  });
});

describe('backends', () => {
  it('reports a missing backend and a missing sync read clearly', async () => {
    expect(() => T.setBackend('nope')).toThrow(/no backend named 'nope' is registered/);
    const asyncOnly: T.Backend = { ...T.cpuBackend, name: 'async-only', readSync: undefined };
    T.registerBackend(asyncOnly);
    const x = T.ones([2], { backend: 'async-only' });
    expect(() => x.dataSync()).toThrow(BackendError);
    expect(() => x.dataSync()).toThrow(/use 'await tensor.data\(\)'/);
    expect(Array.from(await x.data())).toEqual([1, 1]);
    expect(() => T.add(x, T.ones([2]))).toThrow(/inputs live on different backends/);
    const moved = await x.to('cpu');
    expect(moved.backend.name).toBe('cpu');
  });

  it('the dispatch hook sees kernel and view ops with their inputs and outputs', () => {
    const seen: string[] = [];
    const prev = T.setDispatchHook((r) => seen.push(r.op.name));
    try {
      T.softmax(T.ones([2, 2]).transpose(0, 1), 1);
    } finally {
      T.setDispatchHook(prev);
    }
    expect(seen).toEqual(['permute', 'max', 'sub', 'exp', 'sum', 'div']);
  });
});
