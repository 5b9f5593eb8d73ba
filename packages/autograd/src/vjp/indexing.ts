/**
 * VJP rules of the indexing ops: `gather`, `indexSelect`, `scatterAdd` and the composite
 * `embedding`. Reading by index and adding by index are adjoint to each other, so each rule is the
 * other op; indices take no gradient.
 * @module
 */
import { type Tensor, expand, gather, reshape, scatterAdd } from '@tessera/tensor';
import { isFloat, padDims, vjpFamily, zerosOn } from './util.js';

const vjp = vjpFamily('indexing');

// out = x.gather(dim, index): ∂x = zeros.scatterAdd(dim, index, g) (repeated indices accumulate).
vjp<{ dim: number }>('gather', (ctx, [g]) => {
  const [x, index] = ctx.inputs as [Tensor, Tensor];
  if (!g || !isFloat(x)) return [null, null];
  return [scatterAdd(zerosOn(x.shape, g), ctx.attrs.dim, index, g), null];
});

/**
 * out = x.indexSelect(dim, index): ∂x is g added back at the selected rows, an index-add written
 * as scatterAdd with the 1-D index broadcast (a stride-0 view) across g's other dims.
 */
vjp<{ dim: number }>('indexSelect', (ctx, [g]) => {
  const [x, index] = ctx.inputs as [Tensor, Tensor];
  if (!g || !isFloat(x)) return [null, null];
  if (x.ndim === 0) return [reshape(g, []), null]; // a 0-d input is selected by a one-element index
  const { dim } = ctx.attrs;
  const idx = expand(reshape(index, g.shape.map((d, i) => (i === dim ? d : 1))), g.shape);
  return [scatterAdd(zerosOn(x.shape, g), dim, idx, g), null];
});

/**
 * out = x.scatterAdd(dim, index, src): ∂x = g; ∂src = g.gather(dim, index), zero-padded to src's
 * shape where src is larger than index (those elements are never read).
 */
vjp<{ dim: number }>('scatterAdd', (ctx, [g]) => {
  const [x, index, src] = ctx.inputs as [Tensor, Tensor, Tensor];
  if (!g) return [null, null, null];
  const gx = isFloat(x) ? g : null;
  let gsrc: Tensor | null = null;
  if (isFloat(src)) {
    gsrc = padDims(gather(g, ctx.attrs.dim, index), src.shape.map(() => 0), src.shape.map((d, i) => d - index.shape[i]!));
  }
  return [gx, null, gsrc];
});

// embedding(weight [num, dim], indices): rows of weight, so ∂weight is g's rows added at the indices.
vjp('embedding', (ctx, [g]) => {
  const [weight, indices] = ctx.inputs as [Tensor, Tensor];
  if (!g || !isFloat(weight)) return [null, null];
  const dim = weight.shape[1]!;
  const rows = reshape(g, [-1, dim]);
  const idx = expand(reshape(indices, [-1, 1]), rows.shape);
  return [scatterAdd(zerosOn(weight.shape, g), 0, idx, rows), null];
});
