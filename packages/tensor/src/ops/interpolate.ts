/**
 * Resampling of 1 to 3 spatial dims (NC(D)(H)W), like `torch.nn.functional.interpolate`: the
 * `interpolate` op with `nearest` (PyTorch's legacy nearest), `nearest-exact`, and `linear`,
 * `bilinear`, `trilinear` with either `alignCorners` convention.
 * @module
 */
import { type OutputSpec } from '../backend.js';
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { type Tensor } from '../tensor.js';
import { checkTensor } from './util.js';
import { checkSpatialList } from './conv.js';

/** Interpolation modes. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear';

/** Attributes of the `interpolate` op. */
export interface InterpolateAttrs {
  /** Output spatial sizes (one per spatial dim, >= 1). */
  size: number[];
  /** How output positions map to and combine input elements. */
  mode: InterpolateMode;
  /**
   * Linear modes: whether the corner elements of input and output line up (source position
   * `dst·(in-1)/(out-1)`) rather than their areas (`(dst+0.5)·in/out - 0.5`). False for nearest modes.
   */
  alignCorners: boolean;
  /**
   * The user's scale factors, when the size came from them: like PyTorch (without
   * `recompute_scale_factor`), source positions then use `1/scale` rather than `in/out`.
   * Ignored by the linear modes with `alignCorners`.
   */
  scale?: number[];
}

/** Options of `interpolate`; exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** Output spatial size, one for all dims or one per dim. */
  size?: number | readonly number[];
  /** Multiplier of the spatial size (output = floor(in·scale)), one for all dims or one per dim. */
  scaleFactor?: number | readonly number[];
  /** Default `'nearest'`. `linear` needs 3-d input, `bilinear` 4-d, `trilinear` 5-d. */
  mode?: InterpolateMode;
  /** Linear modes only: giving it at all, even `false`, with a nearest mode is an error, as in PyTorch. Default false. */
  alignCorners?: boolean;
}

const MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'];
/** The input rank each linear mode needs. */
const LINEAR_RANK: Partial<Record<InterpolateMode, number>> = { linear: 3, bilinear: 4, trilinear: 5 };

function checkMode(op: string, x: Tensor, mode: unknown, alignCorners: unknown): void {
  if (!MODES.includes(mode as InterpolateMode)) {
    throw new ArgumentError(`${op}: mode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, got '${String(mode)}'`);
  }
  const need = LINEAR_RANK[mode as InterpolateMode];
  if (need !== undefined && x.ndim !== need) {
    throw new ShapeError(`${op}: mode '${String(mode)}' needs a ${need}-d input, got shape ${fmtShape(x.shape)} (${x.ndim}-d)`);
  }
  if (need === undefined && alignCorners !== undefined && alignCorners !== false) {
    throw new ArgumentError(`${op}: alignCorners can only be set with the linear modes (linear, bilinear, trilinear), not '${String(mode)}'`);
  }
}

defineOp<InterpolateAttrs>({
  name: 'interpolate',
  kind: 'kernel',
  differentiable: true,
  infer: ([x, ...rest], a): OutputSpec[] => {
    const op = 'interpolate';
    checkTensor(op, 'input', x);
    if (rest.length > 0) throw new ArgumentError(`${op}: expected 1 input, got ${rest.length + 1}`);
    if (x.ndim < 3 || x.ndim > 5) {
      throw new ShapeError(`${op}: input must have rank 3, 4 or 5 (batch, channels, 1 to 3 spatial dims), got shape ${fmtShape(x.shape)}`);
    }
    if (x.dtype !== 'float32') throw new DTypeError(`${op}: input ${fmtShape(x.shape)} has dtype ${x.dtype}, expected float32`);
    if (typeof a.alignCorners !== 'boolean') throw new ArgumentError(`${op}: alignCorners must be a boolean, got ${String(a.alignCorners)}`);
    checkMode(op, x, a.mode, a.alignCorners);
    const n = x.ndim - 2;
    const size = checkSpatialList(op, 'size', a.size, n, 1);
    if (a.scale !== undefined) {
      if (!Array.isArray(a.scale) || a.scale.length !== n || a.scale.some((s) => typeof s !== 'number' || !(s > 0) || !Number.isFinite(s))) {
        throw new ArgumentError(`${op}: scale must be a list of ${n} positive numbers, got ${String(a.scale)}`);
      }
    }
    if (x.shape.slice(2).some((s) => s === 0)) {
      throw new ShapeError(`${op}: input ${fmtShape(x.shape)} has an empty spatial dim; input and output sizes must be positive`);
    }
    return [{ shape: [x.shape[0]!, x.shape[1]!, ...size], dtype: 'float32' }];
  },
});

/**
 * Resizes the spatial dims of `input` (`[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`), like
 * `torch.nn.functional.interpolate` with `recompute_scale_factor` unset: given `scaleFactor`, the
 * output size is `floor(in·scale)` and source positions use `1/scale`.
 */
export function interpolate(input: Tensor, opts: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  checkTensor(op, 'input', input);
  const mode = opts.mode ?? 'nearest';
  if (input.ndim < 3 || input.ndim > 5) {
    throw new ShapeError(`${op}: input must have rank 3, 4 or 5 (batch, channels, 1 to 3 spatial dims), got shape ${fmtShape(input.shape)}`);
  }
  // PyTorch rejects align_corners given at all (even False) with the nearest modes.
  if ((mode === 'nearest' || mode === 'nearest-exact') && opts.alignCorners !== undefined) {
    throw new ArgumentError(`${op}: alignCorners can only be set with the linear modes (linear, bilinear, trilinear), not '${mode}'`);
  }
  checkMode(op, input, mode, opts.alignCorners);
  const n = input.ndim - 2;
  const spatial = input.shape.slice(2);
  const list = (arg: string, v: number | readonly number[]): number[] => {
    const arr = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
    if (arr.length !== n) {
      throw new ArgumentError(`${op}: ${arg} must be a number or a list of ${n} numbers for input ${fmtShape(input.shape)}, got [${arr.join(',')}]`);
    }
    return arr;
  };
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) {
    throw new ArgumentError(`${op}: exactly one of size and scaleFactor must be given`);
  }
  const attrs: InterpolateAttrs = { size: [], mode, alignCorners: opts.alignCorners ?? false };
  if (opts.size !== undefined) {
    attrs.size = list('size', opts.size);
  } else {
    const scale = list('scaleFactor', opts.scaleFactor!);
    scale.forEach((s, i) => {
      if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) {
        throw new ArgumentError(`${op}: scaleFactor[${i}] must be a positive number, got ${String(s)}`);
      }
    });
    attrs.size = spatial.map((s, i) => Math.floor(s * scale[i]!));
    attrs.scale = scale;
  }
  attrs.size.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1) {
      throw new ArgumentError(`${op}: output size must be positive integers, got [${attrs.size.join(',')}] for input ${fmtShape(input.shape)} (dim ${i})`);
    }
  });
  return run1('interpolate', [input], attrs);
}
