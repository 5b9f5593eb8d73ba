/**
 * VJP rules of `conv` and `convTranspose` (1 to 3 spatial dims, groups, stride, dilation,
 * asymmetric padding `[before..., after...]`).
 *
 * Notation per spatial dim: stride s, dilation d, padding pb / pa, kernel K, input size I, output
 * size O. conv: out[o] = Σ_k w[k]·x[o·s + k·d - pb]; convTranspose is its adjoint in x:
 * out[o·s + k·d - pb] += w[k]·x[o]. So each op's input gradient is the other op with the same
 * attributes, and each weight gradient is a correlation of the input with the output gradient,
 * written as a conv with stride and dilation swapped and batch and channels exchanged.
 * @module
 */
import { type Tensor, permute, reshape } from '@tessera/tensor';
import { narrowDim, op1, sumAllBut, vjpFamily } from './util.js';

const vjp = vjpFamily('conv');

interface ConvAttrs {
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
}

interface ConvTransposeAttrs extends ConvAttrs {
  outputPadding: number[];
}

/** Narrows each spatial dim (from 2) of `t` to `sizes` (conv outputs may run a little long). */
function cropSpatial(t: Tensor, sizes: readonly number[]): Tensor {
  return sizes.reduce((r, n, i) => narrowDim(r, i + 2, 0, n), t);
}

/** [N, G·c, *sp] → [c, G·N, *sp]: the per-group channel becomes the batch, (group, sample) the channel. */
function groupsToChannels(t: Tensor, groups: number): Tensor {
  const [n, ch] = t.shape as [number, number];
  const sp = t.shape.slice(2);
  const r = permute(reshape(t, [n, groups, ch / groups, ...sp]), [2, 1, 0, ...sp.map((_, i) => i + 3)]);
  return reshape(r, [ch / groups, groups * n, ...sp]);
}

/** [N, G·c, *sp] → [G·c, N, *sp]: channels first, the batch as the (per-group) input channel. */
function channelsFirst(t: Tensor): Tensor {
  return permute(t, [1, 0, ...t.shape.slice(2).map((_, i) => i + 2)]);
}

/** Swaps the first two dims. */
const swap01 = channelsFirst;

/**
 * ∂w of conv: ∂w[co, ci, k] = Σ_{n,o} g[n, co, o]·x[n, ci, o·s + k·d - pb] (within a group), a conv
 * of x (as batch ci, channels (group, n)) with g (as Cout kernels over channels n) where stride and
 * dilation trade places: stride d, dilation s, the same padding. Its output covers at least K taps
 * (the remainder r of the forward's floor may add whole taps): the after-padding is cut by r where
 * possible and the rest cropped.
 */
function convWeightGrad(x: Tensor, g: Tensor, w: Tensor, a: ConvAttrs): Tensor {
  const n = x.ndim - 2;
  const K = w.shape.slice(2);
  const padding = [...a.padding];
  x.shape.slice(2).forEach((size, i) => {
    const s = a.stride[i]!;
    const rem = (size + a.padding[i]! + a.padding[n + i]! - a.dilation[i]! * (K[i]! - 1) - 1) % s;
    padding[n + i] = Math.max(0, a.padding[n + i]! - rem);
  });
  const dw = op1('conv', [groupsToChannels(x, a.groups), channelsFirst(g)], {
    stride: [...a.dilation],
    padding,
    dilation: [...a.stride],
    groups: a.groups,
  });
  // dw: [Cin/G, Cout, *K'] → [Cout, Cin/G, *K]
  return cropSpatial(swap01(dw), K);
}

vjp<ConvAttrs>('conv', (ctx, [g]) => {
  const [x, w, b] = ctx.inputs as [Tensor, Tensor, Tensor?];
  if (!g) return ctx.inputs.map(() => null);
  const { stride, padding, dilation } = ctx.attrs;
  const n = x.ndim - 2;
  // ∂x = convTranspose(g, w) with the same attributes; outputPadding restores the input positions
  // the forward's floor division left out, I - ((O-1)·s - pb - pa + d·(K-1) + 1), always < s.
  const outputPadding = x.shape.slice(2).map((size, i) => {
    const k = w.shape[i + 2]!;
    return size - ((g.shape[i + 2]! - 1) * stride[i]! - padding[i]! - padding[n + i]! + dilation[i]! * (k - 1) + 1);
  });
  const dx = op1('convTranspose', [g, w], { ...ctx.attrs, outputPadding });
  const grads: (Tensor | null)[] = [dx, convWeightGrad(x, g, w, ctx.attrs)];
  if (b) grads.push(sumAllBut(g, 1)); // ∂b[c] = Σ g[:, c, ...]
  return grads;
});

/**
 * ∂w of convTranspose: ∂w[ci, co, k] = Σ_{n,i} x[n, ci, i]·g[n, co, i·s + k·d - pb] (within a
 * group), a conv of g (as batch co, channels (group, n)) with x (as Cin kernels over channels n),
 * stride d, dilation s, padding pb before and pa - outputPadding after (clamped at 0, the
 * output then cropped to K).
 */
function convTransposeWeightGrad(x: Tensor, g: Tensor, w: Tensor, a: ConvTransposeAttrs): Tensor {
  const n = x.ndim - 2;
  const padding = [...a.padding];
  for (let i = 0; i < n; i++) padding[n + i] = Math.max(0, a.padding[n + i]! - a.outputPadding[i]!);
  const dw = op1('conv', [groupsToChannels(g, a.groups), channelsFirst(x)], {
    stride: [...a.dilation],
    padding,
    dilation: [...a.stride],
    groups: a.groups,
  });
  // dw: [Cout/G, Cin, *K'] → [Cin, Cout/G, *K]
  return cropSpatial(swap01(dw), w.shape.slice(2));
}

vjp<ConvTransposeAttrs>('convTranspose', (ctx, [g]) => {
  const [x, w, b] = ctx.inputs as [Tensor, Tensor, Tensor?];
  if (!g) return ctx.inputs.map(() => null);
  const { stride, padding, dilation, groups } = ctx.attrs;
  // ∂x = conv(g, w) with the same attributes; an outputPadding >= stride (allowed when below the
  // dilation) makes that conv's output run long, so crop it to the input's size.
  const dx = cropSpatial(op1('conv', [g, w], { stride, padding, dilation, groups }), x.shape.slice(2));
  const grads: (Tensor | null)[] = [dx, convTransposeWeightGrad(x, g, w, ctx.attrs)];
  if (b) grads.push(sumAllBut(g, 1));
  return grads;
});
