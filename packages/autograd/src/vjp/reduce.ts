/**
 * VJP rules of the reductions (`sum`, `prod`, `max`, `min`, and the composites `mean`, `var`,
 * `std`, `logsumexp`) and of the scan `cumsum`. A reduction's gradient is broadcast back over the
 * reduced dims (`unreduce`) and multiplied by the partial derivative of each element.
 * @module
 */
import { type Tensor, cast, div, eq, exp, mul, sub, sum, where } from '@tessera/tensor';
import { flip, isFloat, op1, unreduce, vjpFamily } from './util.js';

const vjp = vjpFamily('reduce');

interface ReduceAttrs {
  dims: number[];
  keepdim: boolean;
}

interface VarAttrs extends ReduceAttrs {
  correction: number;
}

/** The rule of a reduction from `back(g broadcast to x's shape, x, y broadcast likewise, attrs)`. */
function reduction<A extends ReduceAttrs>(name: string, back: (g: Tensor, x: Tensor, y: Tensor, a: A) => Tensor): void {
  vjp<A>(name, (ctx, [g]) => {
    const x = ctx.inputs[0]!;
    if (!g || !isFloat(x)) return [null];
    const { dims } = ctx.attrs;
    return [back(unreduce(g, x.shape, dims), x, unreduce(ctx.outputs[0]!, x.shape, dims), ctx.attrs)];
  });
}

/** Number of elements each output reduces over. */
const count = (x: Tensor, dims: readonly number[]): number => dims.reduce((p, d) => p * x.shape[d]!, 1);

reduction('sum', (g) => g); // ∂Σx/∂xᵢ = 1
reduction('mean', (g, x, _y, { dims }) => div(g, count(x, dims))); // ∂x̄/∂xᵢ = 1/n

/**
 * ∂Πx/∂xᵢ = Π_{j≠i} xⱼ, computed exactly with zeros: with no zero in the slice it is Πx/xᵢ (like
 * PyTorch, so it inherits that division's rounding); with exactly one zero, only the zero's
 * position gets a gradient, the product of the others; with two or more zeros, all are 0. PyTorch
 * gives the same values (its prod_safe_zeros_backward).
 */
reduction('prod', (g, x, y, { dims }) => {
  const z = eq(x, 0);
  const zeros = unreduce(sum(cast(z, 'int32'), dims, true), x.shape, dims);
  const others = unreduce(op1('prod', [where(z, 1, x)], { dims, keepdim: true }), x.shape, dims);
  const atZero = where(eq(zeros, 1), others, 0);
  const atNonZero = where(eq(zeros, 0), div(y, x), 0);
  return mul(g, where(z, atZero, atNonZero));
});

/**
 * max / min: the gradient goes to the elements equal to the result, split evenly among ties
 * (PyTorch's amax / amin backward: g·mask / Σmask).
 */
for (const name of ['max', 'min']) {
  reduction(name, (g, x, y, { dims }) => {
    const mask = cast(eq(x, y), 'float32');
    const ties = unreduce(sum(mask, dims, true), x.shape, dims);
    return div(mul(g, mask), ties);
  });
}

/** ∂var/∂xᵢ = 2(xᵢ - x̄)/(n - correction). */
function varGrad(g: Tensor, x: Tensor, { dims, correction }: VarAttrs): Tensor {
  const n = count(x, dims);
  const centred = sub(x, div(sum(x, dims, true), n));
  return mul(g, mul(centred, 2 / Math.max(0, n - correction)));
}
reduction<VarAttrs>('var', (g, x, _y, a) => varGrad(g, x, a));
// ∂std = ∂var / (2·std), 0 where std == 0 (PyTorch masks that case rather than giving NaN).
reduction<VarAttrs>('std', (g, x, y, a) => where(eq(y, 0), 0, varGrad(div(g, mul(y, 2)), x, a)));

/**
 * ∂ log Σ eˣ / ∂xᵢ = e^(xᵢ - y) (the softmax over the reduced dims). A slice that is all -inf
 * gives NaN, as in PyTorch (and as differentiating the decomposition does).
 */
reduction('logsumexp', (g, x, y) => mul(g, exp(sub(x, y))));

// cumsum: yᵢ = Σ_{j<=i} xⱼ, so ∂/∂xⱼ = Σ_{i>=j} gᵢ, a cumsum of the reversed gradient, reversed back.
vjp<{ dim: number }>('cumsum', (ctx, [g]) => {
  const x = ctx.inputs[0]!;
  if (!g || !isFloat(x)) return [null];
  const { dim } = ctx.attrs;
  return [flip(op1('cumsum', [flip(g, dim)], { dim }), dim)];
});
