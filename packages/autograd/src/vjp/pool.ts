/**
 * VJP rules of `maxPool` and `avgPool` (1 to 3 spatial dims).
 * @module
 */
import { type Tensor, div, ones, reshape, scatterAdd } from '@tessera/tensor';
import { constOn, op1, padDims, vjpFamily, zerosOn } from './util.js';

const vjp = vjpFamily('pool');

interface AvgPoolAttrs {
  kernelSize: number[];
  stride: number[];
  padding: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
  divisorOverride?: number;
}

/**
 * maxPool: each output is one input element, the one its int32 index output names (a flat index
 * into the (n, c) input volume), so the gradient is scattered (added) back at those indices.
 * Windows that overlap on one maximum accumulate. The indices output takes no gradient.
 */
vjp('maxPool', (ctx, [g]) => {
  const x = ctx.inputs[0]!;
  if (!g) return [null];
  const [n, c] = x.shape as [number, number];
  const flat = [n, c, -1];
  const dx = scatterAdd(zerosOn([n, c, x.size / Math.max(1, n * c)], g), 2, reshape(ctx.outputs[1]!, flat), reshape(g, flat));
  return [reshape(dx, x.shape)];
});

/**
 * The divisor of every output window, `[1, 1, *O]`, following the kernel: `divisorOverride`, or the
 * window clipped to the padded input (countIncludePad), or its in-bounds part. Separable: the
 * product over dims of each dim's count. Windows with no in-bounds element get 1 (they output 0
 * and read nothing, so their gradient reaches no input).
 */
function divisors(a: AvgPoolAttrs, inSizes: readonly number[], outSizes: readonly number[], like: Tensor): Tensor {
  const perDim = outSizes.map((o, i) => {
    const [k, s, p, size] = [a.kernelSize[i]!, a.stride[i]!, a.padding[i]!, inSizes[i]!];
    return Array.from({ length: o }, (_, j) => {
      const start = j * s - p;
      const end = Math.min(start + k, size + p);
      const inside = Math.min(end, size) - Math.max(start, 0);
      return { padded: end - start, inside };
    });
  });
  const total = outSizes.reduce((p, d) => p * d, 1);
  const data = new Float32Array(total);
  for (let f = 0; f < total; f++) {
    let rem = f;
    let padded = 1;
    let inside = 1;
    for (let i = outSizes.length - 1; i >= 0; i--) {
      const e = perDim[i]![rem % outSizes[i]!]!;
      rem = Math.floor(rem / outSizes[i]!);
      padded *= e.padded;
      inside *= Math.max(0, e.inside);
    }
    data[f] = inside === 0 ? 1 : (a.divisorOverride ?? (a.countIncludePad ? padded : inside));
  }
  return constOn(data, [1, 1, ...outSizes], like);
}

/**
 * avgPool: out[o] = Σ_{i in window(o) ∩ input} x[i] / div(o), so ∂x[i] = Σ_{o: i in window(o)}
 * g[o] / div(o): a transposed convolution of g/div with a kernel of ones (each (n, c) plane as its
 * own batch entry), stride s, padding p before; the after-padding crops the output to the input's
 * size, or zeros fill positions no window reaches.
 */
vjp<AvgPoolAttrs>('avgPool', (ctx, [g]) => {
  const x = ctx.inputs[0]!;
  if (!g) return [null];
  const a = ctx.attrs;
  const inSizes = x.shape.slice(2);
  const outSizes = g.shape.slice(2);
  const nsp = inSizes.length;
  const h = div(reshape(g, [-1, 1, ...outSizes]), divisors(a, inSizes, outSizes, g));
  const reach = outSizes.map((o, i) => (o - 1) * a.stride[i]! - a.padding[i]! + a.kernelSize[i]!);
  const after = reach.map((r, i) => Math.max(0, r - inSizes[i]!));
  const dx = op1('convTranspose', [h, ones([1, 1, ...a.kernelSize], { backend: g.backend.name })], {
    stride: [...a.stride],
    padding: [...a.padding, ...after],
    outputPadding: new Array<number>(nsp).fill(0),
    dilation: new Array<number>(nsp).fill(1),
    groups: 1,
  });
  const fill = reach.map((r, i) => Math.max(0, inSizes[i]! - r));
  return [reshape(padDims(dx, new Array<number>(nsp + 2).fill(0), [0, 0, ...fill]), x.shape)];
});
