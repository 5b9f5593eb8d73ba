/**
 * What every kernel shares: storage types per dtype (bool and int32 live on the GPU as u32 and
 * i32), the binding and parameter header of a shader, the strided-offset computation that lets a
 * kernel read any view (broadcast strides of 0, permuted strides, offsets) without a copy, and
 * scalar maths written to be exact where WGSL leaves things to the implementation (NaN tests by
 * bits, since a compiler may assume values are never NaN).
 * @module
 */
import type { DType, OutputSpec, TensorView } from '@tessera/tensor';
import { BackendError, sizeOf } from '@tessera/tensor';
import type { GpuBuffer } from '../pool.js';
import { type GpuContext, Params } from '../context.js';

/** WGSL scalar type a dtype is stored as. */
export type WType = 'f32' | 'i32' | 'u32';

/** The WGSL storage type of a dtype: float32 → f32, int32 → i32, bool → u32 (0 or 1). */
export function wtype(dtype: DType): WType {
  return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32';
}

/** A WGSL expression converting `expr` of storage type `from` to compute type `to`. */
export function cvt(expr: string, from: WType, to: WType): string {
  if (from === to) return expr;
  if (to === 'u32') return from === 'f32' ? `u32(nzf(${expr}))` : `u32(${expr} != 0)`;
  return `${to}(${expr})`;
}

/** One storage binding of a shader. */
export interface Binding {
  /** Variable name. */
  name: string;
  /** Element type (`f32`, `vec4<f32>`, …). */
  type: string;
}

/**
 * The header of a shader: storage bindings (reads, then writes), the parameter block and its
 * accessors `pu/pi/pf(i)` (word i as u32 / i32 / f32), and the linear workgroup id helper.
 */
export function header(reads: readonly Binding[], writes: readonly Binding[], params: Params): string {
  const lines: string[] = [];
  let b = 0;
  for (const r of reads) lines.push(`@group(0) @binding(${b++}) var<storage, read> ${r.name}: array<${r.type}>;`);
  for (const w of writes) lines.push(`@group(0) @binding(${b++}) var<storage, read_write> ${w.name}: array<${w.type}>;`);
  lines.push(`struct Params { v: array<vec4<u32>, ${params.vec4s}> }`);
  lines.push(`@group(0) @binding(${b}) var<uniform> P: Params;`);
  lines.push(`fn pu(i: u32) -> u32 { return P.v[i >> 2u][i & 3u]; }`);
  lines.push(`fn pi(i: u32) -> i32 { return bitcast<i32>(P.v[i >> 2u][i & 3u]); }`);
  lines.push(`fn pf(i: u32) -> f32 { return bitcast<f32>(P.v[i >> 2u][i & 3u]); }`);
  lines.push(`fn linear_group(w: vec3u, n: vec3u) -> u32 { return w.x + w.y * n.x + w.z * n.x * n.y; }`);
  return lines.join('\n') + '\n' + MATH;
}

/**
 * Scalar maths. NaN and infinity are tested by their bits and made from runtime values (a
 * const-expression that evaluates to NaN or infinity is a shader-creation error in WGSL).
 */
export const MATH = /* wgsl */ `
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f() -> f32 { return bitcast<f32>(INF_BITS); }
fn isnan_f(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_f(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn finite_f(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }
fn nzf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }
fn signbit_f(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
fn maxnan_f(a: f32, b: f32) -> f32 { return select(max(a, b), nan_f(), isnan_f(a) || isnan_f(b)); }
fn minnan_f(a: f32, b: f32) -> f32 { return select(min(a, b), nan_f(), isnan_f(a) || isnan_f(b)); }
// tanh through e^(-2|x|): never inf/inf, exact sign, ~1 ulp of 1 absolute error.
fn tanh_f(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(select(t, -t, x < 0.0), x, isnan_f(x));
}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// erf: its Maclaurin series below |x| = 0.5 (error < 5e-10), Abramowitz & Stegun 7.1.26 above
// (|error| < 1.5e-7).
fn erf_f(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.5) {
    let x2 = x * x;
    return x * (1.1283791670955126 + x2 * (-0.37612638903183754 + x2 * (0.11283791670955126 + x2 * (-0.026866170645131252
      + x2 * (0.005223977625442188 + x2 * (-0.0008548327023450852 + x2 * 0.00012055332981789664))))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-ax * ax);
  return select(y, -y, x < 0.0);
}
// sin and cos to ~1 ulp (SwiftShader's built-ins are off by up to 2e-4): Cody-Waite reduction by
// pi/2 in three parts, then the Cephes minimax polynomials on [-pi/4, pi/4].
fn sincos_poly(r: f32, q: i32, want_cos: bool) -> f32 {
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let qq = (q + select(0, 1, want_cos)) & 3;
  var v = select(s, c, (qq & 1) == 1);
  if (qq >= 2) { v = -v; }
  return v;
}
fn sin_f(x: f32) -> f32 {
  if (!finite_f(x)) { return nan_f(); }
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  return sincos_poly(r, i32(k), false);
}
fn cos_f(x: f32) -> f32 {
  if (!finite_f(x)) { return nan_f(); }
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  return sincos_poly(r, i32(k), true);
}
// Integer powers by repeated squaring are exact; other exponents go through exp2/log2.
fn powi_f(a: f32, n: u32) -> f32 {
  var r = 1.0;
  var b = a;
  var e = n;
  loop {
    if ((e & 1u) != 0u) { r = r * b; }
    e = e >> 1u;
    if (e == 0u) { break; }
    b = b * b;
  }
  return r;
}
// C99 pow (what PyTorch and the reference follow): pow(x, ±0) = 1, pow(1, y) = 1, pow(-1, ±inf) = 1,
// a negative base needs an integer exponent, signed zeros and infinities as in C99.
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0) { return 1.0; }
  if (isnan_f(a) || isnan_f(b)) { return nan_f(); }
  let ab = abs(a);
  if (isinf_f(b)) {
    if (ab == 1.0) { return 1.0; }
    return select(0.0, inf_f(), (ab > 1.0) == (b > 0.0));
  }
  let isint = floor(b) == b;
  let odd = isint && abs(b) < 16777216.0 && (floor(b * 0.5) * 2.0 != b);
  let neg = signbit_f(a);
  if (neg && !isint && ab != 0.0 && !isinf_f(a)) { return nan_f(); }
  var r: f32;
  if (ab == 0.0) {
    r = select(inf_f(), 0.0, b > 0.0);
  } else if (isinf_f(ab)) {
    r = select(0.0, inf_f(), b > 0.0);
  } else if (isint && abs(b) <= 64.0) {
    r = powi_f(ab, u32(abs(b)));
    if (b < 0.0) { r = 1.0 / r; }
  } else {
    r = exp2(b * log2(ab));
  }
  return select(r, -r, neg && odd);
}
// int32 pow as the reference computes it: Math.pow in float64, truncated into int32.
fn pow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var r = 1;
  var x = a;
  var e = u32(b);
  loop {
    if (e == 0u) { break; }
    if ((e & 1u) != 0u) { r = r * x; }
    x = x * x;
    e = e >> 1u;
  }
  return r;
}
`;

/** Strides of `v` aligned to `outShape` (NumPy broadcasting): 0 for new and size-1 dims. */
export function alignStrides(v: TensorView, outShape: readonly number[]): number[] {
  const lead = outShape.length - v.shape.length;
  return outShape.map((_, i) => (i < lead || v.shape[i - lead] === 1 ? 0 : v.strides[i - lead]!));
}

/**
 * Merges dims of `shape` that every operand walks contiguously relative to each other (like
 * PyTorch's TensorIterator), and drops size-1 dims: most elementwise ops end up rank 1.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((d, i) => i).filter((i) => shape[i] !== 1);
  let s = keep.map((i) => shape[i]!);
  let st = strides.map((a) => keep.map((i) => a[i]!));
  if (s.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  const outS = [s[s.length - 1]!];
  const outSt = st.map((a) => [a[a.length - 1]!]);
  for (let d = s.length - 2; d >= 0; d--) {
    const inner = outS[0]!;
    const ok = st.every((a, k) => a[d] === outSt[k]![0]! * inner);
    if (ok) {
      outS[0] = s[d]! * inner;
    } else {
      outS.unshift(s[d]!);
      st.forEach((a, k) => outSt[k]!.unshift(a[d]!));
    }
  }
  s = outS;
  st = outSt;
  return { shape: s, strides: st };
}

/**
 * Writes the strided-index parameters of `rank` dims (the shape, then per operand its offset and
 * strides) and returns the WGSL that turns a linear index `lin` into `off0`, `off1`, … for each
 * operand (names prefixed by `prefix`). The outermost dim needs no division; the rest one `%`
 * and one `/` each.
 */
export function stridedIndex(
  p: Params,
  shape: readonly number[],
  operands: readonly { offset: number; strides: readonly number[] }[],
  lin = 'lin',
  prefix = '',
): string {
  const rank = shape.length;
  const shapeAt = p.us(shape);
  const at = operands.map((o) => {
    const off = p.u(o.offset);
    p.us(o.strides);
    return off;
  });
  const off = (k: number): string => `${prefix}off${k}`;
  const lines: string[] = [];
  operands.forEach((_, k) => lines.push(`var ${off(k)}: u32 = pu(${at[k]}u);`));
  if (rank === 1) {
    operands.forEach((_, k) => lines.push(`${off(k)} += ${lin} * pu(${at[k]! + 1}u);`));
    return lines.join('\n');
  }
  const rem = `${prefix}rem`;
  lines.push(`var ${rem}: u32 = ${lin};`);
  for (let d = rank - 1; d >= 0; d--) {
    if (d > 0) {
      lines.push(`{ let s = pu(${shapeAt + d}u); let c = ${rem} % s; ${rem} = ${rem} / s;`);
      operands.forEach((_, k) => lines.push(`  ${off(k)} += c * pu(${at[k]! + 1 + d}u);`));
      lines.push('}');
    } else {
      operands.forEach((_, k) => lines.push(`${off(k)} += ${rem} * pu(${at[k]! + 1}u);`));
    }
  }
  return lines.join('\n');
}

/** The GPU buffer of a kernel input, checked to belong to the live device. */
export function buf(ctx: GpuContext, v: TensorView): GpuBuffer {
  const b = v.buffer as GpuBuffer;
  if (!b || b.owner !== ctx.pool) {
    throw new BackendError('webgpu: an input tensor lives on a device that was destroyed or lost; recreate it after initWebGPU()');
  }
  return b;
}

/** A fresh output buffer for a spec (at least 4 bytes). */
export function outBuffer(ctx: GpuContext, spec: OutputSpec): GpuBuffer {
  return ctx.pool.acquire(Math.max(4, sizeOf(spec.shape) * 4), false);
}

/** Whether a view is dense row-major (any offset). */
export function isDense(v: TensorView): boolean {
  let s = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] !== 1 && v.strides[i] !== s) return false;
    s *= v.shape[i]!;
  }
  return true;
}

/** Workgroup size of the one-element-per-invocation kernels. */
export const WG = 64;

/** The WGSL prologue of a one-item-per-invocation kernel over `n` items (`lin`, early return). */
export function linearPrologue(nWord: number): string {
  return `let lin = linear_group(wid, nwg) * ${WG}u + lid.x;\n  if (lin >= pu(${nWord}u)) { return; }`;
}

/** The entry point signature of a kernel with workgroup size `[x, y, z]`. */
export function entry(x: number, y = 1, z = 1): string {
  return `@compute @workgroup_size(${x}, ${y}, ${z})\nfn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(global_invocation_id) gid: vec3u) {`;
}

/** The key fragment that names a params layout by operand dtypes. */
export function dtKey(vs: readonly { dtype: DType }[]): string {
  return vs.map((v) => v.dtype[0]).join('');
}

export { Params };
