/**
 * Max and average pooling over 1 to 3 spatial dims, laid out NC(D)(H)W as in PyTorch. Each family
 * is one catalogue op (`maxPool`, `avgPool`) with one N-d kernel; `maxPool` has two outputs, the
 * values and the int32 position of each maximum (a flat index into its (n, c) input volume, as
 * PyTorch's `return_indices`), which autograd uses to route gradients.
 * @module
 */
import { type OutputSpec } from '../backend.js';
import { runOp } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { type Tensor } from '../tensor.js';
import { checkInt, checkTensor, tuple } from './util.js';
import { checkSpatialList, withOptionalBatch } from './conv.js';

/** Attributes of the `maxPool` op, resolved for n spatial dims. */
export interface MaxPoolAttrs {
  /** Window size per spatial dim (>= 1). */
  kernelSize: number[];
  /** Step per spatial dim (>= 1). */
  stride: number[];
  /** Implicit -inf padding on both sides per spatial dim (at most half the window). */
  padding: number[];
  /** Spacing between window elements per spatial dim (>= 1). */
  dilation: number[];
  /** Whether the output size rounds up (a last, partial window that starts inside the input or left padding). */
  ceilMode: boolean;
}

/** Attributes of the `avgPool` op, resolved for n spatial dims. */
export interface AvgPoolAttrs {
  /** Window size per spatial dim (>= 1). */
  kernelSize: number[];
  /** Step per spatial dim (>= 1). */
  stride: number[];
  /** Implicit zero padding on both sides per spatial dim (at most half the window). */
  padding: number[];
  /** Whether the output size rounds up (a last, partial window that starts inside the input or left padding). */
  ceilMode: boolean;
  /** Whether padded positions count in the divisor (PyTorch's default: true). */
  countIncludePad: boolean;
  /** A fixed nonzero divisor instead of the window size; absent for none. */
  divisorOverride?: number;
}

/** Options of the max-pool free functions (torch.nn.functional's arguments). */
export interface MaxPoolOptions {
  /** Step, one for all dims or one per dim. Default (also for null or []): the kernel size. */
  stride?: number | readonly number[] | null;
  /** -inf padding on both sides, at most half the kernel size. Default 0. */
  padding?: number | readonly number[];
  /** Spacing between window elements. Default 1. */
  dilation?: number | readonly number[];
  /** Round the output size up instead of down. Default false. */
  ceilMode?: boolean;
  /** Also return the int32 indices of the maxima. Default false. */
  returnIndices?: boolean;
}

/** Options of the average-pool free functions (torch.nn.functional's arguments). */
export interface AvgPoolOptions {
  /** Step, one for all dims or one per dim. Default (also for null or []): the kernel size. */
  stride?: number | readonly number[] | null;
  /** Zero padding on both sides, at most half the kernel size. Default 0. */
  padding?: number | readonly number[];
  /** Round the output size up instead of down. Default false. */
  ceilMode?: boolean;
  /** Count padded positions in the divisor. Default true. */
  countIncludePad?: boolean;
  /** A fixed nonzero divisor instead of the window size. */
  divisorOverride?: number | null;
}

/**
 * Output size of a pooling window along one dim, PyTorch's `pooling_output_shape`: with
 * `ceilMode` the size rounds up but the last window must start inside the input or the left
 * padding. May be <= 0 when the window does not fit.
 */
export function poolOutputSize(size: number, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  let out = Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** Validates what both pool ops share and returns the output shape. */
function poolShape(
  family: string,
  inputs: readonly Tensor[],
  a: { kernelSize: number[]; stride: number[]; padding: number[]; dilation?: number[]; ceilMode: boolean },
): { op: string; shape: number[] } {
  const x = inputs[0];
  checkTensor(family, 'input', x);
  const n = x.ndim - 2;
  const op = n >= 1 && n <= 3 ? `${family}${n}d` : family;
  if (n < 1 || n > 3) {
    throw new ShapeError(`${op}: input must have rank 3, 4 or 5 (batch, channels, 1 to 3 spatial dims), got shape ${fmtShape(x.shape)}`);
  }
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: input ${fmtShape(x.shape)} has dtype ${x.dtype}, expected float32`);
  if (inputs.length !== 1) throw new ArgumentError(`${op}: expected 1 input, got ${inputs.length}`);
  const kernel = checkSpatialList(op, 'kernelSize', a.kernelSize, n, 1);
  const stride = checkSpatialList(op, 'stride', a.stride, n, 1);
  const padding = checkSpatialList(op, 'padding', a.padding, n, 0);
  const dilation = a.dilation === undefined ? new Array<number>(n).fill(1) : checkSpatialList(op, 'dilation', a.dilation, n, 1);
  if (typeof a.ceilMode !== 'boolean') throw new ArgumentError(`${op}: ceilMode must be a boolean, got ${String(a.ceilMode)}`);
  padding.forEach((p, i) => {
    // PyTorch compares against half the kernel size (integer division), dilation aside.
    if (p > Math.floor(kernel[i]! / 2)) {
      throw new ArgumentError(`${op}: padding should be at most half of kernel size, got padding [${padding.join(',')}] for kernelSize [${kernel.join(',')}]`);
    }
  });
  const spatial = x.shape.slice(2).map((size, i) => poolOutputSize(size, kernel[i]!, stride[i]!, padding[i]!, dilation[i]!, a.ceilMode));
  if (spatial.some((s) => s < 1)) {
    throw new ShapeError(
      `${op}: input ${fmtShape(x.shape)} gives output size ${fmtShape(spatial)}, too small (kernelSize [${kernel.join(',')}], padding [${padding.join(',')}], dilation [${dilation.join(',')}])`,
    );
  }
  return { op, shape: [x.shape[0]!, x.shape[1]!, ...spatial] };
}

defineOp<MaxPoolAttrs>({
  name: 'maxPool',
  kind: 'kernel',
  differentiable: true,
  infer: (inputs, a): OutputSpec[] => {
    const { shape } = poolShape('maxPool', inputs, a);
    return [
      { shape, dtype: 'float32' },
      { shape, dtype: 'int32' },
    ];
  },
});

defineOp<AvgPoolAttrs>({
  name: 'avgPool',
  kind: 'kernel',
  differentiable: true,
  infer: (inputs, a): OutputSpec[] => {
    const { op, shape } = poolShape('avgPool', inputs, { ...a, dilation: undefined });
    const x = inputs[0]!;
    // PyTorch's avg_pool3d (only the 3-d one) also requires the unpadded input to hold the window.
    if (x.ndim === 5 && x.shape.slice(2).some((s, i) => s < a.kernelSize[i]!)) {
      throw new ShapeError(`${op}: input ${fmtShape(x.shape)} is smaller than kernelSize [${a.kernelSize.join(',')}] (PyTorch requires this for avg_pool3d even with padding)`);
    }
    if (typeof a.countIncludePad !== 'boolean') throw new ArgumentError(`${op}: countIncludePad must be a boolean, got ${String(a.countIncludePad)}`);
    if (a.divisorOverride !== undefined) {
      checkInt(op, 'divisorOverride', a.divisorOverride);
      if (a.divisorOverride === 0) throw new ArgumentError(`${op}: divisorOverride must not be zero`);
    }
    return [{ shape, dtype: 'float32' }];
  },
});

/** PyTorch's stride default: absent, null or an empty list means the kernel size. */
function defaultStride(op: string, stride: number | readonly number[] | null | undefined, kernel: number[]): number[] {
  if (stride === undefined || stride === null || (Array.isArray(stride) && stride.length === 0)) return kernel;
  return tuple(op, 'stride', stride, kernel.length, 1);
}

function maxPoolNd(n: number, input: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions): Tensor | [Tensor, Tensor] {
  const op = `maxPool${n}d`;
  const kernel = tuple(op, 'kernelSize', kernelSize, n, 1);
  const attrs: MaxPoolAttrs = {
    kernelSize: kernel,
    stride: defaultStride(op, opts.stride, kernel),
    padding: tuple(op, 'padding', opts.padding ?? 0, n, 0),
    dilation: tuple(op, 'dilation', opts.dilation ?? 1, n, 1),
    ceilMode: opts.ceilMode ?? false,
  };
  const [values, indices] = withOptionalBatch(op, input, n, (x) => runOp('maxPool', [x], attrs)) as [Tensor, Tensor];
  if (opts.returnIndices) return [values, indices];
  indices.dispose();
  return values;
}

function avgPoolNd(n: number, input: Tensor, kernelSize: number | readonly number[], opts: AvgPoolOptions): Tensor {
  const op = `avgPool${n}d`;
  const kernel = tuple(op, 'kernelSize', kernelSize, n, 1);
  const attrs: AvgPoolAttrs = {
    kernelSize: kernel,
    stride: defaultStride(op, opts.stride, kernel),
    padding: tuple(op, 'padding', opts.padding ?? 0, n, 0),
    ceilMode: opts.ceilMode ?? false,
    countIncludePad: opts.countIncludePad ?? true,
  };
  if (opts.divisorOverride !== undefined && opts.divisorOverride !== null) attrs.divisorOverride = opts.divisorOverride;
  return withOptionalBatch(op, input, n, (x) => runOp('avgPool', [x], attrs)[0]!);
}

/**
 * 1-d max pooling like `torch.nn.functional.max_pool1d` on `[N, C, L]` or unbatched `[C, L]`.
 * With `returnIndices`, also the int32 index of each maximum within its (n, c) row.
 */
export function maxPool1d(input: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
/** 1-d max pooling returning `[values, indices]`. */
export function maxPool1d(input: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
/** 1-d max pooling; `[values, indices]` when `opts.returnIndices`. */
export function maxPool1d(input: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPoolNd(1, input, kernelSize, opts);
}

/**
 * 2-d max pooling like `torch.nn.functional.max_pool2d` on `[N, C, H, W]` or unbatched `[C, H, W]`.
 * With `returnIndices`, also the int32 index `h·W + w` of each maximum within its (n, c) plane.
 */
export function maxPool2d(input: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
/** 2-d max pooling returning `[values, indices]`. */
export function maxPool2d(input: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
/** 2-d max pooling; `[values, indices]` when `opts.returnIndices`. */
export function maxPool2d(input: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPoolNd(2, input, kernelSize, opts);
}

/**
 * 3-d max pooling like `torch.nn.functional.max_pool3d` on `[N, C, D, H, W]` or unbatched
 * `[C, D, H, W]`. With `returnIndices`, also the int32 index `(d·H + h)·W + w` of each maximum.
 */
export function maxPool3d(input: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
/** 3-d max pooling returning `[values, indices]`. */
export function maxPool3d(input: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
/** 3-d max pooling; `[values, indices]` when `opts.returnIndices`. */
export function maxPool3d(input: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool3d(input: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPoolNd(3, input, kernelSize, opts);
}

/** 1-d average pooling like `torch.nn.functional.avg_pool1d` on `[N, C, L]` or unbatched `[C, L]`. */
export function avgPool1d(input: Tensor, kernelSize: number | readonly number[], opts: AvgPoolOptions = {}): Tensor {
  return avgPoolNd(1, input, kernelSize, opts);
}

/** 2-d average pooling like `torch.nn.functional.avg_pool2d` on `[N, C, H, W]` or unbatched `[C, H, W]`. */
export function avgPool2d(input: Tensor, kernelSize: number | readonly number[], opts: AvgPoolOptions = {}): Tensor {
  return avgPoolNd(2, input, kernelSize, opts);
}

/** 3-d average pooling like `torch.nn.functional.avg_pool3d` on `[N, C, D, H, W]` or unbatched `[C, D, H, W]`. */
export function avgPool3d(input: Tensor, kernelSize: number | readonly number[], opts: AvgPoolOptions = {}): Tensor {
  return avgPoolNd(3, input, kernelSize, opts);
}
