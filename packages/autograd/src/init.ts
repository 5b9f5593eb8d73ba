/**
 * Parameter initialisation, after `torch.nn.init`: each function fills the given tensor in place
 * (through `Tensor.assign`, outside the tape) and returns it. Values are drawn on the host from a
 * `Generator` (the global one unless `generator` is given) and uploaded to the tensor's backend,
 * so a seed gives the same parameters on every backend. The distributions and bounds are
 * PyTorch's; the random streams are not (Tessera has its own generator).
 *
 * ```ts
 * const w = zeros([64, 32]);
 * init.kaimingUniform(w, { a: Math.sqrt(5) });   // what nn.Linear does: U(-1/√32, 1/√32)
 * ```
 * @module
 */
import {
  ArgumentError,
  DTypeError,
  type Generator,
  ShapeError,
  type Tensor,
  defaultGenerator,
  fmtShape,
  fromArray,
  full,
} from '@tessera/tensor';
import { noGrad } from './functional.js';

/** The option every init function takes. */
export interface InitOptions {
  /** Generator to draw from (default: the global one seeded by `manualSeed`). */
  generator?: Generator;
}

/** Nonlinearity names accepted by `calculateGain` (PyTorch's spellings; camelCase also works). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'leakyRelu'
  | 'selu';

/** Which fan `kaimingUniform` / `kaimingNormal` scale by. */
export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';

/** Options of `kaimingUniform` and `kaimingNormal` (PyTorch's defaults). */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (only used with `'leaky_relu'`). Default 0. */
  a?: number;
  /** `'fan_in'` (default) keeps the forward variance, `'fan_out'` the backward one. */
  mode?: FanMode;
  /** Default `'leaky_relu'`, as in PyTorch. */
  nonlinearity?: Nonlinearity;
}

/** Replaces `t`'s values by `n` host values from `draw`, returning `t`. */
function fill(op: string, t: Tensor, draw: (i: number) => number): Tensor {
  if (t.dtype !== 'float32') throw new DTypeError(`init.${op}: tensor ${fmtShape(t.shape)} must be float32, got ${t.dtype}`);
  const data = new Float32Array(t.size);
  for (let i = 0; i < data.length; i++) data[i] = draw(i);
  noGrad(() => {
    const v = fromArray(data, t.shape, { backend: t.backend.name });
    t.assign(v);
    v.dispose();
  });
  return t;
}

/**
 * `[fanIn, fanOut]` of a weight tensor (or shape), PyTorch's `_calculate_fan_in_and_fan_out`:
 * dim 1 and dim 0 times the receptive field (the product of dims 2…). For a Linear weight
 * `[out, in]` that is `[in, out]`; for a Conv weight `[out, in/groups, k…]`, `[in/groups·∏k,
 * out·∏k]`; for a ConvTranspose weight `[in, out/groups, k…]`, `[out/groups·∏k, in·∏k]`.
 */
export function calculateFanInAndFanOut(t: Tensor | readonly number[]): [number, number] {
  const shape = Array.isArray(t) ? (t as readonly number[]) : (t as Tensor).shape;
  if (shape.length < 2) {
    throw new ShapeError(`calculateFanInAndFanOut: fan in and fan out need a tensor with at least 2 dims, got ${fmtShape(shape)}`);
  }
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1]! * receptive, shape[0]! * receptive];
}

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`): 1 for linear, conv and
 * sigmoid; 5/3 for tanh; √2 for relu; √(2/(1+slope²)) for leaky_relu (slope `param`, default
 * 0.01); 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new ArgumentError(`calculateGain: negative_slope ${String(param)} is not a valid number`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

function fan(op: string, t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fan_in' || mode === 'fanIn') return fanIn;
  if (mode === 'fan_out' || mode === 'fanOut') return fanOut;
  throw new ArgumentError(`init.${op}: mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
}

/** Fills `t` from U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  if (!(a <= b)) throw new ArgumentError(`init.uniform: expected a <= b, got a=${a}, b=${b}`);
  const g = opts.generator ?? defaultGenerator;
  return fill('uniform', t, () => a + (b - a) * g.uniform());
}

/** Fills `t` from N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  if (!(std >= 0)) throw new ArgumentError(`init.normal: std must be >= 0, got ${std}`);
  const g = opts.generator ?? defaultGenerator;
  return fill('normal', t, () => mean + std * g.normal());
}

/** Fills `t` with `value`. */
export function constant(t: Tensor, value: number): Tensor {
  noGrad(() => {
    const v = full(t.shape, value, { dtype: t.dtype, backend: t.backend.name });
    t.assign(v);
    v.dispose();
  });
  return t;
}

/** Fills `t` with zeros. */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills `t` with ones. */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Xavier/Glorot uniform: U(-a, a), a = gain·√(6 / (fanIn + fanOut)) (Glorot & Bengio 2010). */
export function xavierUniform(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = Math.sqrt(3) * gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform(t, -a, a, opts);
}

/** Xavier/Glorot normal: N(0, std²), std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

function kaimingStd(op: string, t: Tensor, opts: KaimingOptions): number {
  const f = fan(op, t, opts.mode ?? 'fan_in');
  return calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(f);
}

/**
 * Kaiming/He uniform: U(-bound, bound), bound = gain·√(3 / fan) (He et al. 2015). With
 * `a = √5` (what Linear and Conv use) the bound is 1/√fanIn.
 */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (t.size === 0) return t; // PyTorch warns and leaves an empty tensor alone
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', t, opts);
  return uniform(t, -bound, bound, opts);
}

/** Kaiming/He normal: N(0, std²), std = gain / √fan. */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (t.size === 0) return t;
  return normal(t, 0, kaimingStd('kaimingNormal', t, opts), opts);
}

/**
 * Truncated normal: N(mean, std²) restricted to [a, b] (PyTorch's `trunc_normal_`), drawn by
 * inverting the normal CDF on U(Φ(α), Φ(β)), α = (a-mean)/std, β = (b-mean)/std, then clamped.
 * Like PyTorch's, it is accurate when [a, b] is not far out in one tail.
 */
export function truncNormal(t: Tensor, mean = 0, std = 1, a = -2, b = 2, opts: InitOptions = {}): Tensor {
  if (!(std > 0)) throw new ArgumentError(`init.truncNormal: std must be > 0, got ${std}`);
  if (!(a < b)) throw new ArgumentError(`init.truncNormal: expected a < b, got a=${a}, b=${b}`);
  const g = opts.generator ?? defaultGenerator;
  const lo = normalCdf((a - mean) / std);
  const hi = normalCdf((b - mean) / std);
  return fill('truncNormal', t, () => {
    // Keep the probability inside (0, 1): the inverse CDF is infinite at the ends.
    const p = Math.min(Math.max(lo + (hi - lo) * g.uniform(), 1e-300), 1 - 1e-16);
    return Math.min(Math.max(mean + std * normalPpf(p), a), b);
  });
}

/** Φ(x) through erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7 everywhere). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-z * z + poly);
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/** Φ⁻¹(p), Acklam's rational approximation (relative error < 1.2e-9). */
function normalPpf(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
