/**
 * VJP rules of `matmul` and the triangle composites `tril` / `triu`.
 * @module
 */
import { type Tensor, matmul, transpose, tril, triu } from '@tessera/tensor';
import { isFloat, sumToShape, vjpFamily } from './util.js';

const vjp = vjpFamily('linalg');

/**
 * C = A·B over broadcast batch dims: ∂A = ∂C·Bᵀ, ∂B = Aᵀ·∂C, each summed over the batch dims its
 * operand was broadcast along. (The kernel op takes rank >= 2; the free function's 1-D cases are
 * unsqueeze / squeeze views around it, differentiated by their own rules.)
 */
vjp('matmul', (ctx, [g]) => {
  const [a, b] = ctx.inputs as [Tensor, Tensor];
  if (!g) return [null, null];
  return [
    isFloat(a) ? sumToShape(matmul(g, transpose(b, -1, -2)), a.shape) : null,
    isFloat(b) ? sumToShape(matmul(transpose(a, -1, -2), g), b.shape) : null,
  ];
});

// tril / triu zero a fixed set of positions: the gradient is masked the same way.
vjp<{ diagonal: number }>('tril', (ctx, [g]) => [g && isFloat(ctx.inputs[0]!) ? tril(g, ctx.attrs.diagonal) : null]);
vjp<{ diagonal: number }>('triu', (ctx, [g]) => [g && isFloat(ctx.inputs[0]!) ? triu(g, ctx.attrs.diagonal) : null]);
