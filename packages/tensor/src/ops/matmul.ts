/**
 * Matrix products. The kernel op `matmul` takes operands of rank >= 2 with broadcast batch dims;
 * the free function handles 1-D operands as PyTorch does (prepend / append a unit dim, then drop it).
 * @module
 */
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { tidy } from '../scope.js';
import { promoteTypes } from '../dtype.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { type Tensor } from '../tensor.js';
import * as ew from './elementwise.js';
import { checkTensor } from './util.js';
import { reshape, squeeze, transpose, unsqueeze } from './views.js';

defineOp({
  name: 'matmul',
  kind: 'kernel',
  differentiable: true,
  infer: ([a, b]) => {
    checkTensor('matmul', 'input', a);
    checkTensor('matmul', 'other', b);
    if (a.ndim < 2 || b.ndim < 2) throw new ShapeError(`matmul: kernel operands need rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    for (const [t, arg] of [[a, 'input'], [b, 'other']] as const) {
      if (t.dtype === 'bool') throw new DTypeError(`matmul: ${arg} ${fmtShape(t.shape)} has dtype bool, expected float32 or int32`);
    }
    const k = a.shape[a.ndim - 1]!;
    if (b.shape[b.ndim - 2] !== k) {
      throw new ShapeError(`matmul: inner dims differ: a ${fmtShape(a.shape)} vs b ${fmtShape(b.shape)}`);
    }
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ shape: [...batch, a.shape[a.ndim - 2]!, b.shape[b.ndim - 1]!], dtype: promoteTypes(a.dtype, b.dtype) }];
  },
});

/**
 * Matrix product with PyTorch's rules: 1-D·1-D is a dot product, a 1-D operand gains and then loses a
 * unit dim, batch dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'input', a);
  checkTensor('matmul', 'other', b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments need at least 1 dim, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.ndim >= 2 && b.ndim >= 2) return run1('matmul', [a, b]);
  return tidy(() => {
    const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
    const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
    if (a2.shape[a2.ndim - 1] !== b2.shape[b2.ndim - 2]) {
      throw new ShapeError(`matmul: inner dims differ: a ${fmtShape(a.shape)} vs b ${fmtShape(b.shape)}`);
    }
    let out = run1('matmul', [a2, b2]);
    if (a.ndim === 1) out = squeeze(out, -2);
    if (b.ndim === 1) out = squeeze(out, -1);
    return out;
  });
}

/** `x @ weightᵀ + bias` with PyTorch's Linear layout (`weight` is `[out, in]`). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', 'input', x);
  checkTensor('linear', 'weight', weight);
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be [out, in], got ${fmtShape(weight.shape)}`);
  if (x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new ShapeError(`linear: input ${fmtShape(x.shape)} has ${x.shape[x.ndim - 1]} features, weight ${fmtShape(weight.shape)} expects ${weight.shape[1]}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(`linear: bias ${fmtShape(bias.shape)} must be [${weight.shape[0]}]`);
  }
  return tidy(() => {
    // Leading dims are flattened into one matrix product: a broadcast batch matmul would make the
    // weight gradient a per-batch product summed afterwards.
    const x2 = x.ndim > 2 ? reshape(x, [-1, x.shape[x.ndim - 1]!]) : x;
    let y = matmul(x2, transpose(weight, 0, 1));
    if (bias) y = ew.add(y, bias);
    return x.ndim > 2 ? reshape(y, [...x.shape.slice(0, -1), weight.shape[0]!]) : y;
  });
}

/** Batched matrix product of two rank-3 tensors (`[B,n,m] @ [B,m,p]`), PyTorch's `bmm`. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkTensor('bmm', 'input', a);
  checkTensor('bmm', 'other', b);
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(`bmm: expected [B,n,m] and [B,m,p], got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return run1('matmul', [a, b]);
}

/** Outer product of two 1-D tensors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  return tidy(() => ew.mul(reshape(a, [-1, 1]), reshape(b, [1, -1])));
}
