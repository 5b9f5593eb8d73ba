/**
 * Convolutions over 1 to 3 spatial dims, laid out NC(D)(H)W as in PyTorch: `conv1d/2d/3d` and
 * `convTranspose1d/2d/3d`, each family one catalogue op (`conv`, `convTranspose`) with one N-d
 * kernel.
 *
 * Padding is carried in the attributes as `[before..., after...]` (2·n entries) rather than
 * PyTorch's symmetric n entries: `padding: 'same'` with an even effective kernel pads one more
 * on the right, exactly as PyTorch does, and the same form makes the two ops adjoint to each
 * other for any padding (the gradient of one is the other with the same attributes), which is
 * what autograd needs. The free functions take PyTorch's arguments and expand them.
 * @module
 */
import { type OutputSpec } from '../backend.js';
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { type Tensor } from '../tensor.js';
import { checkInt, checkTensor, tuple } from './util.js';
import { squeeze, unsqueeze } from './views.js';

/** Attributes of the `conv` op, resolved for n spatial dims. */
export interface ConvAttrs {
  /** Stride per spatial dim (n entries, >= 1). */
  stride: number[];
  /** Zero padding: n entries before each spatial dim, then n entries after (>= 0). */
  padding: number[];
  /** Dilation per spatial dim (n entries, >= 1). */
  dilation: number[];
  /** Number of groups; divides both channel counts. */
  groups: number;
}

/** Attributes of the `convTranspose` op, resolved for n spatial dims. */
export interface ConvTransposeAttrs {
  /** Stride per spatial dim (n entries, >= 1). */
  stride: number[];
  /**
   * Padding removed from the full output: n entries before each spatial dim, then n after.
   * PyTorch's symmetric `padding=p` is `[p..., p...]`.
   */
  padding: number[];
  /** Extra size added after each spatial dim (n entries); each below its stride or its dilation. */
  outputPadding: number[];
  /** Dilation per spatial dim (n entries, >= 1). */
  dilation: number[];
  /** Number of groups; divides both channel counts. */
  groups: number;
}

/** Options of `conv1d`, `conv2d` and `conv3d` (torch.nn.functional's arguments). */
export interface ConvOptions {
  /** Stride, one for all dims or one per dim. Default 1. */
  stride?: number | readonly number[];
  /**
   * Zero padding on both sides, one for all dims or one per dim; `'valid'` is none, `'same'`
   * keeps the size (stride 1 only; an odd total puts the extra element on the right). Default 0.
   */
  padding?: number | readonly number[] | 'same' | 'valid';
  /** Dilation, one for all dims or one per dim. Default 1. */
  dilation?: number | readonly number[];
  /** Number of groups. Default 1. */
  groups?: number;
}

/** Options of `convTranspose1d`, `convTranspose2d` and `convTranspose3d`. */
export interface ConvTransposeOptions {
  /** Stride, one for all dims or one per dim. Default 1. */
  stride?: number | readonly number[];
  /** `dilation·(k-1) - padding` zero padding is added on both sides of the input. Default 0. */
  padding?: number | readonly number[];
  /** Extra size on one side of the output (to pick among the sizes a strided conv maps from). Default 0. */
  outputPadding?: number | readonly number[];
  /** Dilation, one for all dims or one per dim. Default 1. */
  dilation?: number | readonly number[];
  /** Number of groups. Default 1. */
  groups?: number;
}

/** Output size of a convolution along one dim (may be <= 0 when the kernel does not fit). */
export function convOutputSize(size: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Output size of a transposed convolution along one dim. */
export function convTransposeOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation: number,
  outputPadding: number,
): number {
  return (size - 1) * stride - padBefore - padAfter + dilation * (kernel - 1) + outputPadding + 1;
}

/**
 * Checks a resolved attribute list: exactly `len` integers, each >= min (shared by the conv,
 * pool and interpolate declarations).
 * @internal
 */
export function checkSpatialList(op: string, arg: string, v: unknown, len: number, min: number): number[] {
  if (!Array.isArray(v) || v.length !== len) {
    throw new ArgumentError(`${op}: ${arg} must be a list of ${len} ints, got ${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`);
  }
  v.forEach((x, i) => checkInt(op, `${arg}[${i}]`, x, min));
  return v as number[];
}

/** The checks both conv ops share: tensors, dtypes, ranks, bias; returns the number of spatial dims. */
function checkConvInputs(family: string, inputs: readonly Tensor[]): { op: string; n: number } {
  const [x, w, b] = inputs;
  checkTensor(family, 'input', x);
  checkTensor(family, 'weight', w);
  const n = x.ndim - 2;
  const op = n >= 1 && n <= 3 ? `${family}${n}d` : family;
  if (n < 1 || n > 3) {
    throw new ShapeError(`${op}: input must have rank 3, 4 or 5 (batch, channels, 1 to 3 spatial dims), got shape ${fmtShape(x.shape)}`);
  }
  if (w.ndim !== x.ndim) {
    throw new ShapeError(`${op}: weight must have rank ${x.ndim} for input ${fmtShape(x.shape)}, got weight ${fmtShape(w.shape)}`);
  }
  for (const [arg, t] of [['input', x], ['weight', w], ['bias', b]] as const) {
    if (t === undefined) continue;
    checkTensor(op, arg, t);
    if (t.dtype !== 'float32') throw new DTypeError(`${op}: ${arg} ${fmtShape(t.shape)} has dtype ${t.dtype}, expected float32`);
  }
  if (inputs.length > 3) throw new ArgumentError(`${op}: expected 2 or 3 inputs (input, weight, bias), got ${inputs.length}`);
  return { op, n };
}

function checkBias(op: string, b: Tensor | undefined, cout: number): void {
  if (b !== undefined && (b.ndim !== 1 || b.shape[0] !== cout)) {
    throw new ShapeError(`${op}: bias must have shape [${cout}] (one per output channel), got ${fmtShape(b.shape)}`);
  }
}

defineOp<ConvAttrs>({
  name: 'conv',
  kind: 'kernel',
  differentiable: true,
  infer: (inputs, a): OutputSpec[] => {
    const { op, n } = checkConvInputs('conv', inputs);
    const x = inputs[0]!;
    const w = inputs[1]!;
    const stride = checkSpatialList(op, 'stride', a.stride, n, 1);
    const padding = checkSpatialList(op, 'padding', a.padding, 2 * n, 0);
    const dilation = checkSpatialList(op, 'dilation', a.dilation, n, 1);
    const groups = checkInt(op, 'groups', a.groups, 1);
    const [batch, cin] = [x.shape[0]!, x.shape[1]!];
    const cout = w.shape[0]!;
    if (cout % groups !== 0) {
      throw new ShapeError(`${op}: weight ${fmtShape(w.shape)} has ${cout} output channels, not divisible by groups ${groups}`);
    }
    if (cin % groups !== 0) {
      throw new ShapeError(`${op}: input ${fmtShape(x.shape)} has ${cin} channels, not divisible by groups ${groups}`);
    }
    if (w.shape[1]! * groups !== cin) {
      throw new ShapeError(
        `${op}: weight ${fmtShape(w.shape)} expects ${w.shape[1]! * groups} input channels (groups ${groups}), input ${fmtShape(x.shape)} has ${cin}`,
      );
    }
    checkBias(op, inputs[2], cout);
    const spatial = x.shape.slice(2).map((size, i) => {
      const k = w.shape[i + 2]!;
      const out = convOutputSize(size, k, stride[i]!, padding[i]!, padding[n + i]!, dilation[i]!);
      if (out < 1) {
        throw new ShapeError(
          `${op}: input ${fmtShape(x.shape)} padded by [${padding.join(',')}] is smaller than the kernel ${fmtShape(w.shape.slice(2))} with dilation [${dilation.join(',')}] (spatial dim ${i})`,
        );
      }
      return out;
    });
    return [{ shape: [batch, cout, ...spatial], dtype: 'float32' }];
  },
});

defineOp<ConvTransposeAttrs>({
  name: 'convTranspose',
  kind: 'kernel',
  differentiable: true,
  infer: (inputs, a): OutputSpec[] => {
    const { op, n } = checkConvInputs('convTranspose', inputs);
    const x = inputs[0]!;
    const w = inputs[1]!;
    const stride = checkSpatialList(op, 'stride', a.stride, n, 1);
    const padding = checkSpatialList(op, 'padding', a.padding, 2 * n, 0);
    const outputPadding = checkSpatialList(op, 'outputPadding', a.outputPadding, n, 0);
    const dilation = checkSpatialList(op, 'dilation', a.dilation, n, 1);
    const groups = checkInt(op, 'groups', a.groups, 1);
    outputPadding.forEach((p, i) => {
      if (p >= stride[i]! && p >= dilation[i]!) {
        throw new ArgumentError(
          `${op}: outputPadding must be smaller than either stride or dilation, got outputPadding [${outputPadding.join(',')}], stride [${stride.join(',')}], dilation [${dilation.join(',')}]`,
        );
      }
    });
    const [batch, cin] = [x.shape[0]!, x.shape[1]!];
    if (w.shape[0] !== cin) {
      throw new ShapeError(`${op}: weight ${fmtShape(w.shape)} expects ${w.shape[0]} input channels, input ${fmtShape(x.shape)} has ${cin}`);
    }
    if (cin % groups !== 0) {
      throw new ShapeError(`${op}: input ${fmtShape(x.shape)} has ${cin} channels, not divisible by groups ${groups}`);
    }
    const cout = w.shape[1]! * groups;
    checkBias(op, inputs[2], cout);
    const spatial = x.shape.slice(2).map((size, i) => {
      const out = convTransposeOutputSize(size, w.shape[i + 2]!, stride[i]!, padding[i]!, padding[n + i]!, dilation[i]!, outputPadding[i]!);
      if (out < 1) {
        throw new ShapeError(
          `${op}: output size ${out} along spatial dim ${i} is too small (input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}, padding [${padding.join(',')}])`,
        );
      }
      return out;
    });
    return [{ shape: [batch, cout, ...spatial], dtype: 'float32' }];
  },
});

/**
 * Runs `fn` on `x` with a batch dim added when `x` has rank `n + 1` (PyTorch's unbatched input),
 * removing it from every result again.
 * @internal
 */
export function withOptionalBatch<T extends Tensor | Tensor[]>(op: string, x: Tensor, n: number, fn: (batched: Tensor) => T): T {
  checkTensor(op, 'input', x);
  if (x.ndim === n + 2) return fn(x);
  if (x.ndim !== n + 1) {
    throw new ShapeError(`${op}: input must have rank ${n + 1} (unbatched) or ${n + 2} (batched), got shape ${fmtShape(x.shape)}`);
  }
  const batched = unsqueeze(x, 0);
  const out = fn(batched);
  batched.dispose();
  const unbatch = (t: Tensor): Tensor => {
    const s = squeeze(t, 0);
    t.dispose();
    return s;
  };
  return (Array.isArray(out) ? out.map(unbatch) : unbatch(out)) as T;
}

function convNd(n: number, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: ConvOptions): Tensor {
  const op = `conv${n}d`;
  checkTensor(op, 'weight', weight);
  if (bias !== null && bias !== undefined) checkTensor(op, 'bias', bias);
  const stride = tuple(op, 'stride', opts.stride ?? 1, n, 1);
  const dilation = tuple(op, 'dilation', opts.dilation ?? 1, n, 1);
  const groups = checkInt(op, 'groups', opts.groups ?? 1, 1);
  const p = opts.padding ?? 0;
  let padding: number[];
  if (p === 'valid') padding = new Array<number>(2 * n).fill(0);
  else if (p === 'same') {
    if (stride.some((s) => s !== 1)) throw new ArgumentError(`${op}: padding 'same' is not supported for strided convolutions (stride [${stride.join(',')}])`);
    if (weight.ndim !== n + 2) throw new ShapeError(`${op}: weight must have rank ${n + 2}, got ${fmtShape(weight.shape)}`);
    // PyTorch: total d·(k-1), the smaller half before, the extra element after.
    const total = dilation.map((d, i) => d * (weight.shape[i + 2]! - 1));
    padding = [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
  } else if (typeof p === 'string') {
    throw new ArgumentError(`${op}: padding must be an int, a list of ${n} ints, 'same' or 'valid', got '${p}'`);
  } else {
    const sym = tuple(op, 'padding', p, n, 0);
    padding = [...sym, ...sym];
  }
  const attrs: ConvAttrs = { stride, padding, dilation, groups };
  return withOptionalBatch(op, input, n, (x) => run1('conv', bias ? [x, weight, bias] : [x, weight], attrs));
}

function convTransposeNd(n: number, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: ConvTransposeOptions): Tensor {
  const op = `convTranspose${n}d`;
  checkTensor(op, 'weight', weight);
  if (bias !== null && bias !== undefined) checkTensor(op, 'bias', bias);
  const sym = tuple(op, 'padding', opts.padding ?? 0, n, 0);
  const attrs: ConvTransposeAttrs = {
    stride: tuple(op, 'stride', opts.stride ?? 1, n, 1),
    padding: [...sym, ...sym],
    outputPadding: tuple(op, 'outputPadding', opts.outputPadding ?? 0, n, 0),
    dilation: tuple(op, 'dilation', opts.dilation ?? 1, n, 1),
    groups: checkInt(op, 'groups', opts.groups ?? 1, 1),
  };
  return withOptionalBatch(op, input, n, (x) => run1('convTranspose', bias ? [x, weight, bias] : [x, weight], attrs));
}

/**
 * 1-d convolution (cross-correlation) like `torch.nn.functional.conv1d`.
 * @param input `[N, Cin, L]` or unbatched `[Cin, L]`, float32
 * @param weight `[Cout, Cin/groups, k]`
 * @param bias `[Cout]`, optional
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd(1, input, weight, bias, opts);
}

/**
 * 2-d convolution (cross-correlation) like `torch.nn.functional.conv2d`.
 * @param input `[N, Cin, H, W]` or unbatched `[Cin, H, W]`, float32
 * @param weight `[Cout, Cin/groups, kH, kW]`
 * @param bias `[Cout]`, optional
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd(2, input, weight, bias, opts);
}

/**
 * 3-d convolution (cross-correlation) like `torch.nn.functional.conv3d`.
 * @param input `[N, Cin, D, H, W]` or unbatched `[Cin, D, H, W]`, float32
 * @param weight `[Cout, Cin/groups, kD, kH, kW]`
 * @param bias `[Cout]`, optional
 */
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd(3, input, weight, bias, opts);
}

/**
 * 1-d transposed convolution like `torch.nn.functional.conv_transpose1d`: output length
 * `(L-1)·stride - 2·padding + dilation·(k-1) + outputPadding + 1`.
 * @param input `[N, Cin, L]` or unbatched `[Cin, L]`, float32
 * @param weight `[Cin, Cout/groups, k]`
 * @param bias `[Cout]`, optional
 */
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(1, input, weight, bias, opts);
}

/**
 * 2-d transposed convolution like `torch.nn.functional.conv_transpose2d`.
 * @param input `[N, Cin, H, W]` or unbatched `[Cin, H, W]`, float32
 * @param weight `[Cin, Cout/groups, kH, kW]`
 * @param bias `[Cout]`, optional
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(2, input, weight, bias, opts);
}

/**
 * 3-d transposed convolution like `torch.nn.functional.conv_transpose3d`.
 * @param input `[N, Cin, D, H, W]` or unbatched `[Cin, D, H, W]`, float32
 * @param weight `[Cin, Cout/groups, kD, kH, kW]`
 * @param bias `[Cout]`, optional
 */
export function convTranspose3d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(3, input, weight, bias, opts);
}
