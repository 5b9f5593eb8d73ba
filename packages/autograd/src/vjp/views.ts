/**
 * VJP rules of the view ops (`reshape`, `permute`, `expand`, `slice`), `contiguous`, and the
 * joining ops `cat` and `pad`. All are linear maps that only move elements, so each adjoint moves
 * the gradient back: reshape back, permute by the inverse, sum over broadcast dims, scatter a slice
 * into zeros, narrow a concatenation, crop a padding.
 * @module
 */
import { type Tensor, permute, reshape, unsqueeze } from '@tessera/tensor';
import { isFloat, narrowDim, padDims, sumToShape, vjpFamily, zerosOn } from './util.js';

const vjp = vjpFamily('views');

/** The rule of a one-input op whose adjoint is `back(g, x, attrs)`. */
function single<A = any>(name: string, back: (g: Tensor, x: Tensor, attrs: A) => Tensor): void {
  vjp<A>(name, (ctx, [g]) => {
    const x = ctx.inputs[0]!;
    return [g && isFloat(x) ? back(g, x, ctx.attrs) : null];
  });
}

single('reshape', (g, x) => reshape(g, x.shape));
single('contiguous', (g) => g);

// permute by dims: out dim i is in dim dims[i], so the inverse sends dim dims[i] back to i.
single<{ dims: number[] }>('permute', (g, _x, { dims }) => {
  const inv = new Array<number>(dims.length);
  dims.forEach((d, i) => (inv[d] = i));
  return permute(g, inv);
});

// expand broadcasts: its adjoint sums over the new leading dims and the dims that were 1.
single('expand', (g, x) => sumToShape(g, x.shape));

/**
 * slice(x, dim, start, length, step) picks x[start + i·step]: the adjoint puts g[i] at
 * start + i·step in zeros of the input's shape. For step > 1 every gradient element is first
 * followed by step-1 zeros (unsqueeze a dim after `dim`, pad it to `step`, merge the two dims),
 * which spaces them `step` apart; then a plain pad places the block at `start`.
 */
export function sliceAdjoint(g: Tensor, shape: readonly number[], dim: number, start: number, step: number): Tensor {
  const n = shape[dim]!;
  const length = g.shape[dim]!;
  if (length === 0) return zerosOn(shape, g);
  let t = g;
  if (step > 1) {
    const before = new Array<number>(g.ndim + 1).fill(0);
    const after = before.map((_, i) => (i === dim + 1 ? step - 1 : 0));
    const spaced = padDims(unsqueeze(g, dim + 1), before, after);
    const merged = [...g.shape];
    merged[dim] = length * step;
    // The trailing zeros of the last element may run past the input's end: drop them.
    t = narrowDim(reshape(spaced, merged), dim, 0, Math.min(length * step, n - start));
  }
  const before = shape.map((_, i) => (i === dim ? start : 0));
  const after = shape.map((_, i) => (i === dim ? n - start - t.shape[dim]! : 0));
  return padDims(t, before, after);
}

single<{ dim: number; start: number; step: number }>('slice', (g, x, { dim, start, step }) =>
  sliceAdjoint(g, x.shape, dim, start, step),
);

// cat: each input's gradient is its own stretch of g along dim.
vjp<{ dim: number }>('cat', (ctx, [g]) => {
  let start = 0;
  return ctx.inputs.map((x) => {
    const len = x.shape[ctx.attrs.dim]!;
    const r = g && isFloat(x) ? narrowDim(g, ctx.attrs.dim, start, len) : null;
    start += len;
    return r;
  });
});

// pad: the gradient is g with the padding cropped off (the fill value is a constant).
single<{ before: number[] }>('pad', (g, x, { before }) =>
  x.shape.reduce((t, len, d) => narrowDim(t, d, before[d]!, len), g),
);
