import { describe, expect, it } from 'vitest';
import * as T from '@tessera/tensor';
import { memory, tensor, tidy } from '@tessera/tensor';
import { backward, checkpoint, customVjp, grad, noGrad, valueAndGrad, zeroGrad } from './index.js';

const arr = (t: T.Tensor | null) => t!.toArraySync();
const close = (a: unknown, b: unknown) => expect(JSON.stringify(a, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e5) / 1e5 : v))).toBe(JSON.stringify(b, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e5) / 1e5 : v)));

describe('autograd engine', () => {
  it('computes gradients PyTorch-style and accumulates them', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    const w = tensor([[1, 0], [0, 1], [1, 1]]);
    w.requiresGrad = true;
    const y = x.matmul(w).square().sum(); // (x·w)² summed: [4, 5] → 16 + 25
    expect(y.item()).toBe(41);
    y.backward();
    // d/dx = w · 2(xw) = [[1,0],[0,1],[1,1]] · [8, 10]
    expect(arr(x.grad)).toEqual([8, 10, 18]);
    expect(arr(w.grad)).toEqual([[8, 10], [16, 20], [24, 30]]);
    x.square().sum().backward();
    expect(arr(x.grad)).toEqual([10, 14, 24]);
    zeroGrad([x, w]);
    expect(x.grad).toBeNull();
    expect(x.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
  });

  it('handles a tensor used twice, broadcasting and views', () => {
    const a = tensor([[1, 2], [3, 4]]).requiresGrad_();
    const b = tensor([10, 20]).requiresGrad_();
    const out = a.mul(a).add(b).transpose(0, 1).slice(0, 0, 1).sum();
    out.backward();
    expect(arr(a.grad)).toEqual([[2, 0], [6, 0]]);
    expect(arr(b.grad)).toEqual([2, 0]);
  });

  it('noGrad and detach cut the graph', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    const z = x.detach();
    expect(z.requiresGrad).toBe(false);
    expect(() => z.sum().backward()).toThrow(/does not require grad/);
  });

  it('refuses a second backward unless the graph is retained', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.exp().sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    close(arr(x.grad), [2 * Math.E, 2 * Math.E ** 2]);
    expect(() => y.backward()).toThrow(/already freed/);
  });

  it('survives tidy: intermediates disposed by the scope are still available to backward', () => {
    const x = tensor([0.5, -1]).requiresGrad_();
    const loss = tidy(() => x.tanh().mul(3).sum());
    loss.backward();
    close(arr(x.grad), [3 * (1 - Math.tanh(0.5) ** 2), 3 * (1 - Math.tanh(-1) ** 2)]);
  });

  it('grad and valueAndGrad (JAX style)', () => {
    const f = (x: T.Tensor, y: T.Tensor) => x.mul(y).sum();
    const g = grad(f, { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4])) as T.Tensor[];
    expect(arr(g[0]!)).toEqual([3, 4]);
    expect(arr(g[1]!)).toEqual([1, 2]);
    const [v, gx] = valueAndGrad((x: T.Tensor) => x.square().sum())(tensor([3]));
    expect(v.item()).toBe(9);
    expect(arr(gx as T.Tensor)).toEqual([6]);
    // An argument that does not affect the output gets zeros.
    const g0 = grad((x: T.Tensor, _y: T.Tensor) => x.sum(), { argnums: 1 })(tensor([1]), tensor([5, 6]));
    expect(arr(g0 as T.Tensor)).toEqual([0, 0]);
  });

  it('differentiates linear with a fused activation through its decomposition (it has no rule of its own)', () => {
    T.manualSeed(3);
    const [x, w, b] = [T.randn([2, 3, 4]), T.randn([5, 4]), T.randn([5])];
    const acts = { none: (y: T.Tensor) => y, relu: T.relu, silu: T.silu, gelu: (y: T.Tensor) => T.gelu(y), geluTanh: (y: T.Tensor) => T.gelu(y, 'tanh') };
    for (const activation of T.LINEAR_ACTIVATIONS) {
      const fused = grad((x: T.Tensor, w: T.Tensor, b: T.Tensor) => T.linear(x, w, b, { activation }).square().sum(), { argnums: [0, 1, 2] })(x, w, b) as T.Tensor[];
      const plain = grad((x: T.Tensor, w: T.Tensor, b: T.Tensor) => acts[activation](T.add(T.matmul(x, T.transpose(w, 0, 1)), b)).square().sum(), { argnums: [0, 1, 2] })(x, w, b) as T.Tensor[];
      // (The reference's batched matmul sums in another order than linear's flattened one.)
      fused.forEach((g, i) => {
        const [a, b] = [g.dataSync(), plain[i]!.dataSync()];
        a.forEach((v, j) => expect(Math.abs(v - b[j]!), `${activation} gradient ${i}[${j}]`).toBeLessThan(1e-5 + 1e-5 * Math.abs(b[j]!)));
      });
    }
  });

  it('customVjp uses the given rule', () => {
    // A straight-through floor: forward floors, backward passes the gradient unchanged.
    const ste = customVjp((x: T.Tensor) => x.floor(), (_inputs, _out, g) => [g]);
    const x = tensor([1.5, 2.7]).requiresGrad_();
    const y = ste(x).mul(tensor([2, 3])).sum();
    expect(y.item()).toBe(8);
    y.backward();
    expect(arr(x.grad)).toEqual([2, 3]);
  });

  it('checkpoint recomputes and gives the same gradients, keeping fewer tensors alive', () => {
    const w = tensor([[0.5, -0.2], [0.1, 0.3]]).requiresGrad_();
    const block = (h: T.Tensor) => h.matmul(w).tanh().mul(h);
    const x0 = tensor([[1, 2], [-1, 0.5]]);
    const run = (wrap: (f: (h: T.Tensor) => T.Tensor) => (h: T.Tensor) => T.Tensor) => {
      const x = x0.detach().requiresGrad_();
      const f = wrap(block);
      let h = x;
      for (let i = 0; i < 6; i++) h = f(h);
      const liveBeforeBackward = memory().numTensors;
      h.sum().backward();
      const gx = arr(x.grad);
      const gw = arr(w.grad);
      w.grad = null;
      return { gx, gw, liveBeforeBackward };
    };
    const plain = run((f) => f);
    const ckpt = run((f) => checkpoint(f));
    close(ckpt.gx, plain.gx);
    close(ckpt.gw, plain.gw);
    expect(ckpt.liveBeforeBackward).toBeLessThan(plain.liveBeforeBackward);
  });

  it('backward with explicit inputs returns gradients without touching .grad', () => {
    const x = tensor([2]).requiresGrad_();
    const [g] = backward(x.pow(3).sum(), null, { inputs: [x] });
    expect(arr(g!)).toEqual([12]);
    expect(x.grad).toBeNull();
  });

  it('1,000 training steps leave memory() where it started', () => {
    const w = tensor([[0.1, 0.2], [0.3, 0.4]]).requiresGrad_();
    const x = tensor([[1, 2], [3, 4]]);
    const step = () => {
      tidy(() => {
        const loss = x.matmul(w).tanh().square().mean();
        loss.backward();
        const updated = noGrad(() => w.sub(w.grad!.mul(0.01)));
        w.assign(updated);
        w.grad = null;
      });
    };
    step();
    const start = memory();
    for (let i = 0; i < 1000; i++) step();
    const end = memory();
    expect(end.numTensors).toBe(start.numTensors);
    expect(end.numBytes).toBe(start.numBytes);
  });

  it('names the op whose rule is missing, the dtype that cannot require grad', () => {
    expect(() => tensor([1], { dtype: 'int32' }).requiresGrad_()).toThrow(/only float32 tensors can require gradients/);
  });
});
