// SIMD (f32x4) transcendental functions. Each is accurate to a few float32 ulp over its whole
// range (measured against float64 Math in src/vmath.test.ts), handles ±inf and NaN like the
// float64 reference, and is written branch-free so it runs four lanes at a time.
//
// Constants come from a table in memory (CONSTS, written once by init_constants) rather than from
// v128.const: V8 materialises each v128.const with several instructions at every use inside a
// loop, while a load from L1 is one; measured, exp over 1M floats went from 2.1 to 1.3 ms. Clamps
// use pmin/pmax (one instruction each on x64; NaN still passes through, as the operand order
// below keeps x in the "unordered" position) instead of min/max (NaN-propagating, ~8 instructions).
import { CONSTS } from './util';

@inline function K(i: i32): v128 {
  return v128.load(CONSTS + (<usize>i << 4));
}

// Table indices.
const EXP_HI = 0, EXP_LO = 1, LOG2E = 2, MAGIC = 3, LN2_HI = 4, LN2_LO = 5, EXP_P = 6; // 6 coefficients
const ONE = 12, I127 = 13, HALF = 14, TWO = 15;
const MIN_NORM = 16, TWO23 = 17, MANT_MASK = 18, HALF_BITS = 19, SQRTHF = 20, LOG_P = 21; // 9 coefficients
const INF = 30, NEG_INF = 31, QNAN = 32, SIGN = 33, I23 = 34;
const TANH_SMALL = 35, TANH_P = 36; // 5 coefficients
const ERFC_P = 41; // 10 coefficients
const ERF_P = 51; // 7 coefficients
const TWO_OVER_SQRTPI = 58, INV_SQRT2 = 59, SQRT_2_OVER_PI = 60, GELU_C = 61;
const XN_MAGIC = 62, XN_XMIN = 63, XN_P = 64; // 5 coefficients

@inline function setF(i: i32, v: f32): void {
  v128.store(CONSTS + (<usize>i << 4), f32x4.splat(v));
}
@inline function setI(i: i32, v: i32): void {
  v128.store(CONSTS + (<usize>i << 4), i32x4.splat(v));
}

/** Writes the constant table (once, by the host, before any kernel runs). */
export function init_constants(): void {
  setF(EXP_HI, 88.8);
  setF(EXP_LO, -104.0);
  setF(LOG2E, 1.44269504088896341);
  setF(MAGIC, 12582912.0); // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
  setF(LN2_HI, 0.693359375);
  setF(LN2_LO, -2.12194440e-4);
  setF(EXP_P, 1.9875691500e-4);
  setF(EXP_P + 1, 1.3981999507e-3);
  setF(EXP_P + 2, 8.3334519073e-3);
  setF(EXP_P + 3, 4.1665795894e-2);
  setF(EXP_P + 4, 1.6666665459e-1);
  setF(EXP_P + 5, 5.0000001201e-1);
  setF(ONE, 1.0);
  setI(I127, 127);
  setF(HALF, 0.5);
  setF(TWO, 2.0);
  setF(MIN_NORM, 1.17549435e-38);
  setF(TWO23, 8388608.0);
  setI(MANT_MASK, 0x007fffff);
  setI(HALF_BITS, 0x3f000000);
  setF(SQRTHF, 0.707106781186547524);
  setF(LOG_P, 7.0376836292e-2);
  setF(LOG_P + 1, -1.1514610310e-1);
  setF(LOG_P + 2, 1.1676998740e-1);
  setF(LOG_P + 3, -1.2420140846e-1);
  setF(LOG_P + 4, 1.4249322787e-1);
  setF(LOG_P + 5, -1.6668057665e-1);
  setF(LOG_P + 6, 2.0000714765e-1);
  setF(LOG_P + 7, -2.4999993993e-1);
  setF(LOG_P + 8, 3.3333331174e-1);
  setF(INF, Infinity);
  setF(NEG_INF, -Infinity);
  setF(QNAN, NaN);
  setI(SIGN, 0x80000000);
  setI(I23, 23);
  setF(TANH_SMALL, 0.625);
  setF(TANH_P, -5.70498872745e-3);
  setF(TANH_P + 1, 2.06390887954e-2);
  setF(TANH_P + 2, -5.37397155531e-2);
  setF(TANH_P + 3, 1.33314422036e-1);
  setF(TANH_P + 4, -3.33332819422e-1);
  setF(ERFC_P, 0.17087277);
  setF(ERFC_P + 1, -0.82215223);
  setF(ERFC_P + 2, 1.48851587);
  setF(ERFC_P + 3, -1.13520398);
  setF(ERFC_P + 4, 0.27886807);
  setF(ERFC_P + 5, -0.18628806);
  setF(ERFC_P + 6, 0.09678418);
  setF(ERFC_P + 7, 0.37409196);
  setF(ERFC_P + 8, 1.00002368);
  setF(ERFC_P + 9, -1.26551223);
  setF(ERF_P, 1.0 / 9360.0);
  setF(ERF_P + 1, -1.0 / 1320.0);
  setF(ERF_P + 2, 1.0 / 216.0);
  setF(ERF_P + 3, -1.0 / 42.0);
  setF(ERF_P + 4, 1.0 / 10.0);
  setF(ERF_P + 5, -1.0 / 3.0);
  setF(ERF_P + 6, 1.0);
  setF(TWO_OVER_SQRTPI, 1.1283791670955126);
  setF(INV_SQRT2, 0.7071067811865476);
  setF(SQRT_2_OVER_PI, 0.7978845608028654);
  setF(GELU_C, 0.044715);
  setF(XN_MAGIC, 12583039.0); // 1.5·2^23 + 127: the rounded n lands in the low bits already biased
  setF(XN_XMIN, -88.0); // round(-88·log2 e) = -127: the scale's bits are 0, so e^x comes out 0
  setF(XN_P, 8.289290592074394e-3); // minimax e^t ≈ 1 + t·(c1 + t·(c2 + … + t·c5)) on |t| <= ln2/2
  setF(XN_P + 1, 4.189782217144966e-2);
  setF(XN_P + 2, 1.6667652130126953e-1);
  setF(XN_P + 3, 4.999915063381195e-1);
  setF(XN_P + 4, 9.999997019767761e-1);
}

/** a·b + c, one rounding step each (no FMA, so results match on every engine). */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(f32x4.mul(a, b), c);
}

// ---- exp ------------------------------------------------------------------------------------------
// Cephes expf: n = round(x·log2 e) (by adding and subtracting 1.5·2^23), r = x - n·ln 2 (in two
// parts, Cody–Waite), e^r by a degree-6 polynomial on |r| <= ln2/2, then the result is scaled by
// 2^n as 2^(n>>1)·2^(n-(n>>1)) so that overflow gives +inf and underflow goes through the
// subnormals to 0 as float32 rounding would.

@inline function vpow2i(n: v128): v128 {
  // 2^n for integer lanes in [-126, 127]
  return i32x4.shl(i32x4.add(n, K(I127)), 23);
}

@inline export function vexp(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, K(EXP_HI)), K(EXP_LO));
  const t = madd(x, K(LOG2E), K(MAGIC));
  const fx = f32x4.sub(t, K(MAGIC));
  let r = f32x4.sub(x, f32x4.mul(fx, K(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, K(LN2_LO)));
  const z = f32x4.mul(r, r);
  let p = K(EXP_P);
  p = madd(p, r, K(EXP_P + 1));
  p = madd(p, r, K(EXP_P + 2));
  p = madd(p, r, K(EXP_P + 3));
  p = madd(p, r, K(EXP_P + 4));
  p = madd(p, r, K(EXP_P + 5));
  p = f32x4.add(madd(p, z, r), K(ONE));
  const n = i32x4.sub(t, K(MAGIC)); // the integer, from the bit patterns
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  return f32x4.mul(f32x4.mul(p, vpow2i(n1)), vpow2i(n2));
}

// exp for x <= 0 only (softmax and attention take exp(x - max)), about 40% cheaper than vexp: one
// scale 2^n built straight from the rounding's bit pattern (the magic constant carries the +127
// bias) and a degree-5 polynomial. x is first raised to at least -88, where n = -127 makes the
// scale's bits all 0, so e^x comes out exactly 0 from there down (-inf included) without a
// compare and mask at the end (which kept x alive through the polynomial: one register fewer in
// the 16-lane softmax loop); between -87.7 and -87.3 the result goes through the subnormals.
// Terms that small are < 1.2e-38 of the row's largest. NaN stays NaN (pmax keeps a NaN first
// operand). Relative error under 2e-7 (src/vmath.test.ts). Written from the published "rr2_p5"
// scheme: n = round(x·log2 e), t = x - n·ln2 (two parts), e^x = s + s·t·p(t).

@inline export function vexpNeg(x: v128): v128 {
  x = f32x4.pmax(x, K(XN_XMIN));
  let n = madd(x, K(LOG2E), K(XN_MAGIC));
  const s = i32x4.shl(n, 23);
  n = f32x4.sub(n, K(XN_MAGIC));
  let t = f32x4.sub(x, f32x4.mul(n, K(LN2_HI)));
  t = f32x4.sub(t, f32x4.mul(n, K(LN2_LO)));
  let p = madd(K(XN_P), t, K(XN_P + 1));
  p = madd(p, t, K(XN_P + 2));
  p = madd(p, t, K(XN_P + 3));
  p = madd(p, t, K(XN_P + 4));
  t = f32x4.mul(t, s);
  return madd(t, p, s);
}

// ---- log ------------------------------------------------------------------------------------------
// Cephes logf: x = m·2^e with m in [√½, √2), log(m) = t - t²/2 + t³·P(t) with t = m - 1, plus e·ln 2
// in two parts. Subnormal inputs are scaled by 2^23 first; x < 0 and NaN give NaN, 0 gives -inf,
// +inf gives +inf.

@inline export function vlog(x0: v128): v128 {
  const sub = f32x4.lt(x0, K(MIN_NORM));
  const x = v128.bitselect(f32x4.mul(x0, K(TWO23)), x0, sub);
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  e = i32x4.sub(e, v128.and(sub, K(I23)));
  // mantissa in [0.5, 1)
  let m = v128.or(v128.and(x, K(MANT_MASK)), K(HALF_BITS));
  const small = f32x4.lt(m, K(SQRTHF));
  e = i32x4.add(e, small); // small lanes are -1: e -= 1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), K(ONE));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let p = K(LOG_P);
  p = madd(p, m, K(LOG_P + 1));
  p = madd(p, m, K(LOG_P + 2));
  p = madd(p, m, K(LOG_P + 3));
  p = madd(p, m, K(LOG_P + 4));
  p = madd(p, m, K(LOG_P + 5));
  p = madd(p, m, K(LOG_P + 6));
  p = madd(p, m, K(LOG_P + 7));
  p = madd(p, m, K(LOG_P + 8));
  let y = f32x4.mul(f32x4.mul(p, m), z);
  y = madd(fe, K(LN2_LO), y);
  y = f32x4.sub(y, f32x4.mul(z, K(HALF)));
  let r = madd(fe, K(LN2_HI), f32x4.add(m, y));
  // specials: +inf stays +inf, 0 gives -inf, negatives and NaN give NaN
  r = v128.bitselect(x0, r, f32x4.eq(x0, K(INF)));
  r = v128.bitselect(K(NEG_INF), r, f32x4.eq(x0, f32x4.splat(0)));
  r = v128.bitselect(K(QNAN), r, v128.not(f32x4.ge(x0, f32x4.splat(0))));
  return r;
}

// ---- tanh -----------------------------------------------------------------------------------------
// Cephes tanhf: an odd polynomial below |x| = 0.625, 1 - 2/(e^{2|x|} + 1) above (no cancellation
// there), the sign put back by a bit copy.

@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = K(TANH_P);
  p = madd(p, z, K(TANH_P + 1));
  p = madd(p, z, K(TANH_P + 2));
  p = madd(p, z, K(TANH_P + 3));
  p = madd(p, z, K(TANH_P + 4));
  const small = madd(f32x4.mul(p, z), x, x);
  const e = vexp(f32x4.add(ax, ax));
  let big = f32x4.sub(K(ONE), f32x4.div(K(TWO), f32x4.add(e, K(ONE))));
  big = v128.or(big, v128.and(x, K(SIGN)));
  return v128.bitselect(small, big, f32x4.lt(ax, K(TANH_SMALL)));
}

// ---- sigmoid --------------------------------------------------------------------------------------

@inline export function vsigmoid(x: v128): v128 {
  return f32x4.div(K(ONE), f32x4.add(K(ONE), vexp(f32x4.neg(x))));
}

// ---- erf / erfc -----------------------------------------------------------------------------------
// erfc(z) for z >= 0 by the Chebyshev-fitted form of Numerical Recipes (§6.2, `erfcc`):
// t·exp(-z² + P(t)) with t = 1/(1 + z/2), fractional error below 1.2e-7 everywhere. erf uses it
// above |x| = 0.5 and the Maclaurin series (7 terms, error < 1e-9 relative) below, where 1 - erfc
// would cancel.

@inline export function verfcPos(z: v128): v128 {
  const t = f32x4.div(K(ONE), madd(K(HALF), z, K(ONE)));
  let p = K(ERFC_P);
  p = madd(p, t, K(ERFC_P + 1));
  p = madd(p, t, K(ERFC_P + 2));
  p = madd(p, t, K(ERFC_P + 3));
  p = madd(p, t, K(ERFC_P + 4));
  p = madd(p, t, K(ERFC_P + 5));
  p = madd(p, t, K(ERFC_P + 6));
  p = madd(p, t, K(ERFC_P + 7));
  p = madd(p, t, K(ERFC_P + 8));
  p = madd(p, t, K(ERFC_P + 9));
  return f32x4.mul(t, vexp(f32x4.sub(p, f32x4.mul(z, z))));
}

@inline function verfSmall(x: v128): v128 {
  // 2/√π · (x - x³/3 + x⁵/10 - x⁷/42 + x⁹/216 - x¹¹/1320 + x¹³/9360)
  const z = f32x4.mul(x, x);
  let p = K(ERF_P);
  p = madd(p, z, K(ERF_P + 1));
  p = madd(p, z, K(ERF_P + 2));
  p = madd(p, z, K(ERF_P + 3));
  p = madd(p, z, K(ERF_P + 4));
  p = madd(p, z, K(ERF_P + 5));
  p = madd(p, z, K(ERF_P + 6));
  return f32x4.mul(f32x4.mul(p, x), K(TWO_OVER_SQRTPI));
}

@inline export function verf(x: v128): v128 {
  const ax = f32x4.abs(x);
  let big = f32x4.sub(K(ONE), verfcPos(ax));
  big = v128.or(big, v128.and(x, K(SIGN)));
  return v128.bitselect(verfSmall(x), big, f32x4.lt(ax, K(HALF)));
}

// ---- GELU -----------------------------------------------------------------------------------------
// Exact: x·Φ(x) = x/2·(1 + erf(x/√2)); for x < 0 written as x/2·erfc(-x/√2) so the tail keeps
// its relative accuracy instead of cancelling. Tanh form: 1 + tanh(u) = 2·sigmoid(2u), likewise.

@inline export function vgelu(x: v128): v128 {
  // 1 + erf(u) is 2 - erfc(u) for u >= 0 and erfc(-u) below: no cancellation on either side.
  const u = f32x4.mul(x, K(INV_SQRT2));
  const ec = verfcPos(f32x4.abs(u));
  const onePlusErf = v128.bitselect(f32x4.sub(K(TWO), ec), ec, f32x4.ge(u, f32x4.splat(0)));
  return f32x4.mul(f32x4.mul(K(HALF), x), onePlusErf);
}

@inline export function vgeluTanh(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(K(SQRT_2_OVER_PI), madd(K(GELU_C), x3, x));
  return f32x4.mul(x, vsigmoid(f32x4.add(u, u)));
}

/** Scalar exp through the vector code (lane 0), so tails see exactly the same arithmetic. */
@inline export function sexp(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}
