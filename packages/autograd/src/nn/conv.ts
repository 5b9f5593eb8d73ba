/**
 * Convolution layers over 1 to 3 spatial dims, NC(D)(H)W as in PyTorch: `Conv1d/2d/3d` (weight
 * `[out, in/groups, k…]`) and `ConvTranspose1d/2d/3d` (weight `[in, out/groups, k…]`). Both
 * families draw weight and bias from U(-1/√fanIn, 1/√fanIn), fanIn being `weight.shape[1]·∏k`
 * (PyTorch's `_ConvNd.reset_parameters`; for the transposed layers that is `out/groups·∏k`).
 * @module
 */
import {
  ArgumentError,
  type ConvOptions,
  ShapeError,
  type Tensor,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  fmtShape,
  tidy,
} from '@tessera/tensor';
import * as init from '../init.js';
import { Module } from './module.js';
import { type FactoryOptions, checkPositiveInt, emptyParam } from './param.js';

/** One int for every spatial dim, or one per dim. */
export type SpatialArg = number | readonly number[];

/** Options of `Conv1d`, `Conv2d` and `Conv3d` (PyTorch's keyword arguments, camelCased). */
export interface ConvLayerOptions extends FactoryOptions {
  /** Default 1. */
  stride?: SpatialArg;
  /** Zero padding on both sides, or `'same'` (stride 1 only) / `'valid'`. Default 0. */
  padding?: SpatialArg | 'same' | 'valid';
  /** Default 1. */
  dilation?: SpatialArg;
  /** Default 1; divides both channel counts. */
  groups?: number;
  /** Learn a per-output-channel bias (default true). */
  bias?: boolean;
  /** Only `'zeros'` is supported. */
  paddingMode?: 'zeros';
}

/** Options of `ConvTranspose1d/2d/3d`. */
export interface ConvTransposeLayerOptions extends FactoryOptions {
  /** Default 1. */
  stride?: SpatialArg;
  /** `dilation·(k-1) - padding` zeros are added to both sides of the input. Default 0. */
  padding?: SpatialArg;
  /** Extra size on one side of each output dim, below stride or dilation. Default 0. */
  outputPadding?: SpatialArg;
  /** Default 1; divides both channel counts. */
  groups?: number;
  /** Learn a per-output-channel bias (default true). */
  bias?: boolean;
  /** Default 1. */
  dilation?: SpatialArg;
  /** Only `'zeros'` is supported. */
  paddingMode?: 'zeros';
}

function spatial(layer: string, name: string, v: SpatialArg, n: number, min: number): number[] {
  const arr = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (arr.length !== n) throw new ArgumentError(`${layer}: ${name} must be an int or a list of ${n} ints, got [${arr.join(',')}]`);
  arr.forEach((x, i) => checkPositiveInt(layer, `${name}[${i}]`, x, min));
  return arr;
}

const tup = (xs: readonly number[]): string => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

/** What the direct and the transposed convolution layers share. */
abstract class ConvBase extends Module {
  /** Weight: `[out, in/groups, k…]` (Conv) or `[in, out/groups, k…]` (ConvTranspose). */
  declare readonly weight: Tensor;
  /** `[outChannels]`, or null with `bias: false`. */
  declare readonly bias: Tensor | null;
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** Kernel size per spatial dim. */
  readonly kernelSize: number[];
  /** Stride per spatial dim. */
  readonly stride: number[];
  /** Dilation per spatial dim. */
  readonly dilation: number[];
  /** Channel groups. */
  readonly groups: number;

  protected constructor(
    /** The layer's name in messages (`Conv2d`, …). */
    protected readonly layer: string,
    /** Number of spatial dims. */
    protected readonly n: number,
    transposed: boolean,
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialArg,
    opts: ConvLayerOptions | ConvTransposeLayerOptions,
  ) {
    super();
    this.inChannels = checkPositiveInt(layer, 'inChannels', inChannels);
    this.outChannels = checkPositiveInt(layer, 'outChannels', outChannels);
    this.kernelSize = spatial(layer, 'kernelSize', kernelSize, n, 1);
    this.stride = spatial(layer, 'stride', opts.stride ?? 1, n, 1);
    this.dilation = spatial(layer, 'dilation', opts.dilation ?? 1, n, 1);
    this.groups = checkPositiveInt(layer, 'groups', opts.groups ?? 1);
    if (inChannels % this.groups !== 0) throw new ArgumentError(`${layer}: inChannels ${inChannels} must be divisible by groups ${this.groups}`);
    if (outChannels % this.groups !== 0) throw new ArgumentError(`${layer}: outChannels ${outChannels} must be divisible by groups ${this.groups}`);
    if ((opts.paddingMode ?? 'zeros') !== 'zeros') {
      throw new ArgumentError(`${layer}: paddingMode '${String(opts.paddingMode)}' is not supported (only 'zeros')`);
    }
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    const g = { generator: opts.generator };
    this.registerParameter('weight', init.kaimingUniform(emptyParam(shape, opts), { a: Math.sqrt(5), ...g }));
    let bias: Tensor | null = null;
    if (opts.bias ?? true) {
      const [fanIn] = init.calculateFanInAndFanOut(shape);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      bias = init.uniform(emptyParam([outChannels], opts), -bound, bound, g);
    }
    this.registerParameter('bias', bias);
  }

  /** PyTorch's repr of the layer. */
  abstract override toString(): string;

  /** Checks the input's rank and channel count, naming the layer and both shapes. */
  protected checkInput(x: Tensor): void {
    const n = this.n;
    if (x.ndim !== n + 1 && x.ndim !== n + 2) {
      throw new ShapeError(`${this.toString()}: input must have rank ${n + 1} (unbatched) or ${n + 2} (batched), got ${fmtShape(x.shape)}`);
    }
    const c = x.shape[x.ndim - n - 1]!;
    if (c !== this.inChannels) {
      throw new ShapeError(`${this.toString()}: input ${fmtShape(x.shape)} has ${c} channels, expected ${this.inChannels} (weight ${fmtShape(this.weight.shape)})`);
    }
  }

  /** The keyword part of PyTorch's repr (non-default values only). */
  protected reprArgs(extra: string[]): string {
    const ones = (xs: number[]): boolean => xs.every((v) => v === 1);
    const parts = [`${this.inChannels}`, `${this.outChannels}`, `kernel_size=${tup(this.kernelSize)}`, `stride=${tup(this.stride)}`, ...extra];
    if (!ones(this.dilation)) parts.push(`dilation=${tup(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=False');
    return `${this.layer}(${parts.join(', ')})`;
  }
}

/** A direct convolution layer over `n` spatial dims. */
abstract class ConvNd extends ConvBase {
  /** Symmetric padding per spatial dim, or `'same'` / `'valid'`. */
  readonly padding: number[] | 'same' | 'valid';

  protected constructor(layer: string, n: number, inChannels: number, outChannels: number, kernelSize: SpatialArg, opts: ConvLayerOptions) {
    super(layer, n, false, inChannels, outChannels, kernelSize, opts);
    const p = opts.padding ?? 0;
    if (typeof p === 'string') {
      if (p !== 'same' && p !== 'valid') throw new ArgumentError(`${layer}: invalid padding string '${p}', should be one of 'valid', 'same'`);
      if (p === 'same' && this.stride.some((s) => s !== 1)) {
        throw new ArgumentError(`${layer}: padding='same' is not supported for strided convolutions (stride ${tup(this.stride)})`);
      }
      this.padding = p;
    } else {
      this.padding = spatial(layer, 'padding', p, n, 0);
    }
  }

  /** The functional call's options. */
  protected get convOptions(): ConvOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  /** PyTorch's repr, e.g. `Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))`. */
  override toString(): string {
    const p = this.padding;
    const extra = typeof p === 'string' ? [`padding=${p}`] : p.every((v) => v === 0) ? [] : [`padding=${tup(p)}`];
    return this.reprArgs(extra);
  }
}

/** 1-d convolution: `[N, inC, L]` (or `[inC, L]`) → `[N, outC, L']`. Weight `[outC, inC/groups, k]`. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, opts: ConvLayerOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, opts);
  }

  /** Applies the convolution. */
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return tidy(() => conv1d(x, this.weight, this.bias, this.convOptions));
  }
}

/** 2-d convolution: `[N, inC, H, W]` (or unbatched) → `[N, outC, H', W']`. Weight `[outC, inC/groups, kH, kW]`. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, opts: ConvLayerOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, opts);
  }

  /** Applies the convolution. */
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return tidy(() => conv2d(x, this.weight, this.bias, this.convOptions));
  }
}

/** 3-d convolution: `[N, inC, D, H, W]` (or unbatched) → `[N, outC, D', H', W']`. Weight `[outC, inC/groups, kD, kH, kW]`. */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, opts: ConvLayerOptions = {}) {
    super('Conv3d', 3, inChannels, outChannels, kernelSize, opts);
  }

  /** Applies the convolution. */
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return tidy(() => conv3d(x, this.weight, this.bias, this.convOptions));
  }
}

type ConvTransposeFn = typeof convTranspose2d;

/** A transposed convolution layer over `n` spatial dims. */
abstract class ConvTransposeNd extends ConvBase {
  /** Symmetric padding per spatial dim. */
  readonly padding: number[];
  /** Output padding per spatial dim. */
  readonly outputPadding: number[];

  protected constructor(
    layer: string,
    n: number,
    private readonly fn: ConvTransposeFn,
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialArg,
    opts: ConvTransposeLayerOptions,
  ) {
    super(layer, n, true, inChannels, outChannels, kernelSize, opts);
    if (typeof opts.padding === 'string') throw new ArgumentError(`${layer}: padding must be an int or a list of ${n} ints, got '${opts.padding}'`);
    this.padding = spatial(layer, 'padding', opts.padding ?? 0, n, 0);
    this.outputPadding = spatial(layer, 'outputPadding', opts.outputPadding ?? 0, n, 0);
    this.outputPadding.forEach((p, i) => {
      if (p >= this.stride[i]! && p >= this.dilation[i]!) {
        throw new ArgumentError(
          `${layer}: outputPadding must be smaller than either stride or dilation, got outputPadding ${tup(this.outputPadding)}, stride ${tup(this.stride)}, dilation ${tup(this.dilation)}`,
        );
      }
    });
  }

  /**
   * Applies the transposed convolution. `outputSize` (spatial sizes, optionally with the leading
   * batch/channel dims) picks among the output sizes a strided convolution maps from, overriding
   * `outputPadding`, as PyTorch's `forward(input, output_size)` does.
   */
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    this.checkInput(x);
    const outputPadding = outputSize ? this.outputPaddingFor(x, outputSize) : this.outputPadding;
    const opts = { stride: this.stride, padding: this.padding, outputPadding, dilation: this.dilation, groups: this.groups };
    return tidy(() => this.fn(x, this.weight, this.bias, opts));
  }

  private outputPaddingFor(x: Tensor, outputSize: readonly number[]): number[] {
    const n = this.n;
    const lead = x.ndim - n;
    const size = outputSize.length === n + lead ? outputSize.slice(lead) : [...outputSize];
    if (size.length !== n) {
      throw new ArgumentError(`${this.toString()}: outputSize must have ${n} or ${n + lead} elements, got [${outputSize.join(',')}]`);
    }
    return size.map((s, d) => {
      const min = (x.shape[lead + d]! - 1) * this.stride[d]! - 2 * this.padding[d]! + this.dilation[d]! * (this.kernelSize[d]! - 1) + 1;
      const max = min + this.stride[d]! - 1;
      if (s < min || s > max) {
        throw new ArgumentError(
          `${this.toString()}: requested an output size of [${size.join(',')}], but valid sizes along spatial dim ${d} range from ${min} to ${max} (for an input of ${fmtShape(x.shape.slice(lead))})`,
        );
      }
      return s - min;
    });
  }

  /** PyTorch's repr, e.g. `ConvTranspose2d(8, 4, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))`. */
  override toString(): string {
    const extra: string[] = [];
    if (this.padding.some((v) => v !== 0)) extra.push(`padding=${tup(this.padding)}`);
    if (this.outputPadding.some((v) => v !== 0)) extra.push(`output_padding=${tup(this.outputPadding)}`);
    return this.reprArgs(extra);
  }
}

/** 1-d transposed convolution. Weight `[inC, outC/groups, k]`. */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, opts: ConvTransposeLayerOptions = {}) {
    super('ConvTranspose1d', 1, convTranspose1d, inChannels, outChannels, kernelSize, opts);
  }
}

/** 2-d transposed convolution. Weight `[inC, outC/groups, kH, kW]`. */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, opts: ConvTransposeLayerOptions = {}) {
    super('ConvTranspose2d', 2, convTranspose2d, inChannels, outChannels, kernelSize, opts);
  }
}

/** 3-d transposed convolution. Weight `[inC, outC/groups, kD, kH, kW]`. */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, opts: ConvTransposeLayerOptions = {}) {
    super('ConvTranspose3d', 3, convTranspose3d, inChannels, outChannels, kernelSize, opts);
  }
}
