/**
 * Matrix products. The kernel op `matmul` takes operands of rank >= 2 with broadcast batch dims;
 * the free function handles 1-D operands as PyTorch does (prepend / append a unit dim, then drop it).
 * @module
 */
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { tidy } from '../scope.js';
import { type DType, promoteTypes } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
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

/** The activation a `linear` op applies after the bias (`'geluTanh'` is gelu's tanh approximation). */
export type LinearActivation = 'none' | 'gelu' | 'geluTanh' | 'silu' | 'relu';

/** Every {@link LinearActivation}. */
export const LINEAR_ACTIVATIONS: readonly LinearActivation[] = ['none', 'gelu', 'geluTanh', 'silu', 'relu'];

/** Attributes of `linear`. */
export interface LinearAttrs {
  /** Whether inputs[2] is a bias. */
  hasBias: boolean;
  /** Applied to `x·weightᵀ + bias`. */
  activation: LinearActivation;
}

/** Output dtype of an activation applied to values of dtype `t`: gelu and silu give float32. */
function activationDType(t: DType, a: LinearActivation): DType {
  return a === 'gelu' || a === 'geluTanh' || a === 'silu' ? 'float32' : t;
}

/** `activation(y)` with catalogue ops. */
function applyActivation(y: Tensor, a: LinearActivation): Tensor {
  switch (a) {
    case 'gelu': return ew.gelu(y, 'none');
    case 'geluTanh': return ew.gelu(y, 'tanh');
    case 'silu': return ew.silu(y);
    case 'relu': return ew.relu(y);
    default: return y;
  }
}

// `linear` is a composite so that a backend can fuse the bias add and the activation into its
// matmul's epilogue (webgpu, wasm); everywhere else (cpu, and under autograd, since there is no
// VJP rule of its own) it runs as the decomposition below.
defineOp<LinearAttrs>({
  name: 'linear',
  kind: 'composite',
  differentiable: true,
  infer: (inputs, a) => {
    const [x, weight, bias] = inputs;
    checkTensor('linear', 'input', x);
    checkTensor('linear', 'weight', weight);
    if (!LINEAR_ACTIVATIONS.includes(a.activation)) {
      throw new ArgumentError(`linear: activation must be one of ${LINEAR_ACTIVATIONS.map((n) => `'${n}'`).join(', ')}, got '${String(a.activation)}'`);
    }
    if (inputs.length !== (a.hasBias ? 3 : 2)) {
      throw new ArgumentError(`linear: expected ${a.hasBias ? 3 : 2} inputs (hasBias ${a.hasBias}), got ${inputs.length}`);
    }
    if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be [out, in], got ${fmtShape(weight.shape)}`);
    if (x.shape[x.ndim - 1] !== weight.shape[1]) {
      throw new ShapeError(`linear: input ${fmtShape(x.shape)} has ${x.shape[x.ndim - 1]} features, weight ${fmtShape(weight.shape)} expects ${weight.shape[1]}`);
    }
    if (a.hasBias) {
      checkTensor('linear', 'bias', bias);
      if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
        throw new ShapeError(`linear: bias ${fmtShape(bias.shape)} must be [${weight.shape[0]}]`);
      }
    }
    for (const [t, arg] of [[x, 'input'], [weight, 'weight']] as const) {
      if (t.dtype === 'bool') throw new DTypeError(`linear: ${arg} ${fmtShape(t.shape)} has dtype bool, expected float32 or int32`);
    }
    let dtype = promoteTypes(x.dtype, weight.dtype);
    if (a.hasBias) dtype = promoteTypes(dtype, bias!.dtype);
    return [{ shape: [...x.shape.slice(0, -1), weight.shape[0]!], dtype: activationDType(dtype, a.activation) }];
  },
  decompose: (inputs, a) => {
    const [x, weight] = inputs as [Tensor, Tensor];
    const bias = a.hasBias ? inputs[2] : undefined;
    // Leading dims are flattened into one matrix product: a broadcast batch matmul would make the
    // weight gradient a per-batch product summed afterwards. (Their product, not -1: with zero
    // in-features -1 would be ambiguous.)
    const lead = x.shape.slice(0, -1);
    const x2 = x.ndim > 2 ? reshape(x, [lead.reduce((p, d) => p * d, 1), x.shape[x.ndim - 1]!]) : x;
    let y = matmul(x2, transpose(weight, 0, 1));
    if (bias) y = ew.add(y, bias);
    y = applyActivation(y, a.activation);
    return [x.ndim > 2 ? reshape(y, [...lead, weight.shape[0]!]) : y];
  },
});

/** Options of the `linear` function. */
export interface LinearOpOptions {
  /** Applied after the bias (default `'none'`); backends with a fused kernel run it in the matmul's epilogue. */
  activation?: LinearActivation;
}

/**
 * `activation(x @ weightᵀ + bias)` with PyTorch's Linear layout (`weight` is `[out, in]`, `bias`
 * `[out]`); leading dims of `x` are batch dims. With the default activation `'none'` this is
 * PyTorch's `F.linear`.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: LinearOpOptions = {}): Tensor {
  checkTensor('linear', 'input', x);
  checkTensor('linear', 'weight', weight);
  const activation = opts.activation ?? 'none';
  return run1('linear', bias ? [x, weight, bias] : [x, weight], { hasBias: !!bias, activation });
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
