/**
 * Gradient clipping, PyTorch's `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_` (1.13).
 *
 * Gradient accumulation needs nothing special: `backward()` adds into `.grad`, so K micro-batches
 * whose losses are each scaled by 1/K, followed by one `optimizer.step()` and `zeroGrad()`, give
 * the same update as one batch K times as large (for a loss that is a mean over the batch). Clip
 * after the last micro-batch, just before `step()`:
 *
 * ```ts
 * for (const [i, batch] of batches.entries()) {
 *   lossOf(batch).div(K).backward();
 *   if ((i + 1) % K === 0) {
 *     clipGradNorm(model.parameters(), 1.0);
 *     opt.step();
 *     opt.zeroGrad();
 *   }
 * }
 * ```
 * @module
 */
import { ArgumentError, Tensor, stack, tidy, zeros } from '@tessera/tensor';
import { noGrad } from '../functional.js';
import { gradOf } from '../tape.js';

function gradsOf(params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  return list.map(gradOf).filter((g): g is Tensor => g !== null);
}

/** The `normType`-norm of all elements of `x` (PyTorch's `torch.norm(x, p)` for a vector norm). */
function vectorNorm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return x.abs().max();
  if (p === -Infinity) return x.abs().min();
  if (p === 0) return x.ne(0).cast('float32').sum();
  if (p === 1) return x.abs().sum();
  if (p === 2) return x.square().sum().sqrt();
  return x.abs().pow(p).sum().pow(1 / p);
}

/**
 * Scales the gradients of `params` in place so that their total norm (the norm of the vector of all
 * gradient elements) is at most `maxNorm`; returns the total norm before clipping, as a 0-d tensor
 * (the caller's to dispose). As in PyTorch the scale is `min(1, maxNorm / (norm + 1e-6))` and is
 * applied even when it is 1, so no value is read back to the host. Parameters without a gradient
 * are skipped; with none, returns 0.
 * @param normType the p of the p-norm: any p > 0, `Infinity` (max |g|), `-Infinity`, or 0 (count)
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2): Tensor {
  if (Number.isNaN(normType) || Number.isNaN(maxNorm)) throw new ArgumentError(`clipGradNorm: maxNorm and normType must be numbers, got ${maxNorm}, ${normType}`);
  const grads = gradsOf(params);
  if (grads.length === 0) return zeros([]);
  return noGrad(() => {
    const total = tidy(() => {
      if (normType === Infinity) return grads.length === 1 ? grads[0]!.abs().max() : stack(grads.map((g) => g.abs().max())).max();
      return vectorNorm(stack(grads.map((g) => vectorNorm(g, normType))), normType);
    });
    tidy(() => {
      // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), where float / tensor is reciprocal · float.
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(undefined, 1);
      for (const g of grads) g.assign(g.mul(coef));
    });
    return total;
  });
}

/** Clamps every gradient element of `params` into [-clipValue, clipValue], in place. */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ArgumentError(`clipGradValue: clipValue must be non-negative, got ${clipValue}`);
  noGrad(() => {
    for (const g of gradsOf(params)) tidy(() => void g.assign(g.clamp(-clipValue, clipValue)));
  });
}
