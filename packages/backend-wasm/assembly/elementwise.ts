// Elementwise kernels.
//
// Unary ops run in place on a dense float32 (or int32) buffer the host has already filled with the
// input (converted and made contiguous by task_copy), four lanes at a time; the last 1-3 elements
// go through the same vector code via a 16-byte bounce buffer so every element sees identical
// arithmetic. Binary ops and `where` walk strided operands (broadcast dims have stride 0) with the
// N-d walker of util.ts; each innermost run picks a vector loop when the operands are dense or
// splatted scalars, a scalar loop otherwise. Work is split into fixed-size chunks of output
// elements, so results do not depend on the number of threads.
import { ai, ap, af, scratch, ndUnravel, ndDotOuter, ndAdvance, toInt32, F32, I32, U8, F64 } from './util';
import { vexp, vlog, vtanh, vsigmoid, verf, vgelu, vgeluTanh } from './vmath';

// ---- unary ----------------------------------------------------------------------------------------
// Codes as in src/kernels/elementwise.ts.
export const NEG = 0, ABS = 1, EXP = 2, LOG = 3, SQRT = 4, RSQRT = 5, SIN = 6, COS = 7, TANH = 8, SIGMOID = 9,
  RELU = 10, SILU = 11, ERF = 12, SQUARE = 13, RECIP = 14, FLOOR = 15, GELU = 16, GELU_TANH = 17;

/** One float32 unary op on four lanes (every op but sin and cos); gemm.ts's linear epilogue uses it too. */
@inline export function unaryV(op: i32, x: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(x);
    case ABS: return f32x4.abs(x);
    case EXP: return vexp(x);
    case LOG: return vlog(x);
    case SQRT: return f32x4.sqrt(x);
    case RSQRT: return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(x));
    case TANH: return vtanh(x);
    case SIGMOID: return vsigmoid(x);
    // relu: NaN stays NaN (x > 0 is false for NaN, and NaN is kept by the select below).
    case RELU: return v128.bitselect(f32x4.splat(0), x, f32x4.le(x, f32x4.splat(0)));
    case SILU: return f32x4.mul(x, vsigmoid(x));
    case ERF: return verf(x);
    case SQUARE: return f32x4.mul(x, x);
    case RECIP: return f32x4.div(f32x4.splat(1.0), x);
    case FLOOR: return f32x4.floor(x);
    case GELU: return vgelu(x);
    case GELU_TANH: return vgeluTanh(x);
    default: return x;
  }
}

@inline function unaryS(op: i32, x: f32): f32 {
  // sin and cos in float64 (AssemblyScript's musl port), rounded once, like the reference.
  if (op == SIN) return <f32>Math.sin(<f64>x);
  return <f32>Math.cos(<f64>x);
}

@inline function unaryRange(op: i32, p: usize, n: i32, bounce: usize): void {
  if (op == SIN || op == COS) {
    for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), unaryS(op, load<f32>(p + (<usize>i << 2))));
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), unaryV(op, v128.load(p + (<usize>i << 2))));
  if (i < n) {
    const r = <usize>(n - i) << 2;
    v128.store(bounce, v128.splat<i32>(0));
    memory.copy(bounce, p + (<usize>i << 2), r);
    v128.store(bounce, unaryV(op, v128.load(bounce)));
    memory.copy(p + (<usize>i << 2), bounce, r);
  }
}

/** In-place float32 unary op. Slots: 0 op, 1 ptr, 2 total (f64), 3 elements per chunk. */
export function task_unary_f32(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 3);
  const total = <i64>af(args, 2);
  const start = <i64>chunk * per;
  let end = start + per;
  if (end > total) end = total;
  if (start >= end) return;
  const op = ai(args, 0);
  const p = ap(args, 1) + (<usize>start << 2);
  const n = <i32>(end - start);
  const b = scratch(tid);
  switch (op) {
    case NEG: unaryRange(NEG, p, n, b); break;
    case ABS: unaryRange(ABS, p, n, b); break;
    case EXP: unaryRange(EXP, p, n, b); break;
    case LOG: unaryRange(LOG, p, n, b); break;
    case SQRT: unaryRange(SQRT, p, n, b); break;
    case RSQRT: unaryRange(RSQRT, p, n, b); break;
    case SIN: unaryRange(SIN, p, n, b); break;
    case COS: unaryRange(COS, p, n, b); break;
    case TANH: unaryRange(TANH, p, n, b); break;
    case SIGMOID: unaryRange(SIGMOID, p, n, b); break;
    case RELU: unaryRange(RELU, p, n, b); break;
    case SILU: unaryRange(SILU, p, n, b); break;
    case ERF: unaryRange(ERF, p, n, b); break;
    case SQUARE: unaryRange(SQUARE, p, n, b); break;
    case RECIP: unaryRange(RECIP, p, n, b); break;
    case FLOOR: unaryRange(FLOOR, p, n, b); break;
    case GELU: unaryRange(GELU, p, n, b); break;
    case GELU_TANH: unaryRange(GELU_TANH, p, n, b); break;
  }
}

/**
 * In-place int32 unary op (neg, abs, square, relu; floor is the identity and never gets here),
 * wrapping like int32 stores. Slots as task_unary_f32.
 */
export function task_unary_i32(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 3);
  const total = <i64>af(args, 2);
  const start = <i64>chunk * per;
  let end = start + per;
  if (end > total) end = total;
  if (start >= end) return;
  const op = ai(args, 0);
  const p = ap(args, 1) + (<usize>start << 2);
  const n = <i32>(end - start);
  for (let i = 0; i < n; i++) {
    const a = p + (<usize>i << 2);
    const x = load<i32>(a);
    let y = x;
    if (op == NEG) y = -x;
    else if (op == ABS) y = x < 0 ? -x : x;
    else if (op == SQUARE) y = x * x;
    else if (op == RELU) y = x > 0 ? x : 0;
    store<i32>(a, y);
  }
}

/** In-place float32 clamp (NaN stays NaN). Slots: 1 ptr, 2 total (f64), 3 per chunk, 4 min (f64), 5 max (f64). */
export function task_clamp_f32(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 3);
  const total = <i64>af(args, 2);
  const start = <i64>chunk * per;
  let end = start + per;
  if (end > total) end = total;
  if (start >= end) return;
  const p = ap(args, 1) + (<usize>start << 2);
  const n = <i32>(end - start);
  const lo = <f32>af(args, 4);
  const hi = <f32>af(args, 5);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = p + (<usize>i << 2);
    // pmax(x, lo) = x < lo ? lo : x and pmin(y, hi) = hi < y ? hi : y keep a NaN x (one instruction each)
    v128.store(a, f32x4.pmin(f32x4.pmax(v128.load(a), vlo), vhi));
  }
  for (; i < n; i++) {
    const a = p + (<usize>i << 2);
    store<f32>(a, min<f32>(max<f32>(load<f32>(a), lo), hi));
  }
}

/** In-place int32 clamp with float64 bounds, stored with int32 wrapping (like the reference). Slots as task_clamp_f32. */
export function task_clamp_i32(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 3);
  const total = <i64>af(args, 2);
  const start = <i64>chunk * per;
  let end = start + per;
  if (end > total) end = total;
  if (start >= end) return;
  const p = ap(args, 1) + (<usize>start << 2);
  const n = <i32>(end - start);
  const lo = af(args, 4);
  const hi = af(args, 5);
  for (let i = 0; i < n; i++) {
    const a = p + (<usize>i << 2);
    store<i32>(a, toInt32(Math.min(Math.max(<f64>load<i32>(a), lo), hi)));
  }
}

// ---- binary ---------------------------------------------------------------------------------------
// Codes as in src/kernels/elementwise.ts. The host converts both operands to one compute type T:
// float32 or int32 for arithmetic, float32/int32/float64 for comparisons (float64 only for mixed
// int/float, so comparisons stay exact), bool for the logical ops. The output type follows the op.
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, POW = 4, MAXIMUM = 5, MINIMUM = 6, EQ = 7, NE = 8, LT = 9, LE = 10,
  GT = 11, GE = 12, AND = 13, OR = 14;

@inline function binS<T, R>(op: i32, a: T, b: T): R {
  switch (op) {
    case ADD: return <R>(a + b);
    case SUB: return <R>(a - b);
    case MUL: return <R>(a * b);
    case DIV:
      if (isFloat<T>()) return <R>(a / b);
      return <R>(<f32>(<f64>a / <f64>b));
    case POW:
      if (isFloat<T>()) return <R>(<f32>Math.pow(<f64>a, <f64>b));
      return <R>toInt32(Math.pow(<f64>a, <f64>b));
    case MAXIMUM:
      if (isFloat<T>()) return <R>max<T>(a, b); // wasm max: NaN propagates
      return <R>(a > b ? a : b);
    case MINIMUM:
      if (isFloat<T>()) return <R>min<T>(a, b);
      return <R>(a < b ? a : b);
    case EQ: return <R>(a == b ? 1 : 0);
    case NE: return <R>(a != b ? 1 : 0);
    case LT: return <R>(a < b ? 1 : 0);
    case LE: return <R>(a <= b ? 1 : 0);
    case GT: return <R>(a > b ? 1 : 0);
    case GE: return <R>(a >= b ? 1 : 0);
    case AND: return <R>(a != 0 && b != 0 ? 1 : 0);
    case OR: return <R>(a != 0 || b != 0 ? 1 : 0);
    default: return <R>0;
  }
}

/** Whether op has a 4-lane path for T (float32: all but pow; int32: add, sub, mul, max, min, compares). */
@inline function hasV<T>(op: i32): bool {
  if (op == POW || op == AND || op == OR) return false;
  if (isFloat<T>() && sizeof<T>() == 4) return true;
  if (isInteger<T>() && sizeof<T>() == 4) return op != DIV;
  return false;
}

@inline function binV<T>(op: i32, a: v128, b: v128): v128 {
  if (isFloat<T>()) {
    switch (op) {
      case ADD: return f32x4.add(a, b);
      case SUB: return f32x4.sub(a, b);
      case MUL: return f32x4.mul(a, b);
      case DIV: return f32x4.div(a, b);
      case MAXIMUM: return f32x4.max(a, b);
      case MINIMUM: return f32x4.min(a, b);
      case EQ: return f32x4.eq(a, b);
      case NE: return f32x4.ne(a, b);
      case LT: return f32x4.lt(a, b);
      case LE: return f32x4.le(a, b);
      case GT: return f32x4.gt(a, b);
      case GE: return f32x4.ge(a, b);
    }
  } else {
    switch (op) {
      case ADD: return i32x4.add(a, b);
      case SUB: return i32x4.sub(a, b);
      case MUL: return i32x4.mul(a, b);
      case MAXIMUM: return i32x4.max_s(a, b);
      case MINIMUM: return i32x4.min_s(a, b);
      case EQ: return i32x4.eq(a, b);
      case NE: return i32x4.ne(a, b);
      case LT: return i32x4.lt_s(a, b);
      case LE: return i32x4.le_s(a, b);
      case GT: return i32x4.gt_s(a, b);
      case GE: return i32x4.ge_s(a, b);
    }
  }
  return a;
}

@inline function isCompare(op: i32): bool {
  return op >= EQ && op <= GE;
}

/** One innermost run: n outputs at o (dense), a with element stride sa, b with stride sb. */
@inline function binRun<T, R>(op: i32, n: i32, o: usize, a: usize, sa: i32, b: usize, sb: i32): void {
  let i = 0;
  if (hasV<T>(op) && sizeof<T>() == 4) {
    if (isCompare(op)) {
      // 16 results per step: four lane masks narrowed to bytes, then & 1.
      if ((sa == 1 || sa == 0) && (sb == 1 || sb == 0)) {
        const astep: usize = sa == 1 ? 16 : 0;
        const bstep: usize = sb == 1 ? 16 : 0;
        const va0 = v128.load32_splat(a);
        const vb0 = v128.load32_splat(b);
        for (; i + 16 <= n; i += 16) {
          const ab = a + (<usize>(i * sa) << 2);
          const bb = b + (<usize>(i * sb) << 2);
          const m0 = binV<T>(op, sa ? v128.load(ab) : va0, sb ? v128.load(bb) : vb0);
          const m1 = binV<T>(op, sa ? v128.load(ab + astep) : va0, sb ? v128.load(bb + bstep) : vb0);
          const m2 = binV<T>(op, sa ? v128.load(ab + 2 * astep) : va0, sb ? v128.load(bb + 2 * bstep) : vb0);
          const m3 = binV<T>(op, sa ? v128.load(ab + 3 * astep) : va0, sb ? v128.load(bb + 3 * bstep) : vb0);
          const w = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
          v128.store(o + <usize>i, v128.and(w, i8x16.splat(1)));
        }
      }
    } else {
      const ob = o;
      if (sa == 1 && sb == 1) {
        for (; i + 4 <= n; i += 4) {
          const k = <usize>i << 2;
          v128.store(ob + k, binV<T>(op, v128.load(a + k), v128.load(b + k)));
        }
      } else if (sa == 1 && sb == 0) {
        const vb = v128.load32_splat(b);
        for (; i + 4 <= n; i += 4) {
          const k = <usize>i << 2;
          v128.store(ob + k, binV<T>(op, v128.load(a + k), vb));
        }
      } else if (sa == 0 && sb == 1) {
        const va = v128.load32_splat(a);
        for (; i + 4 <= n; i += 4) {
          const k = <usize>i << 2;
          v128.store(ob + k, binV<T>(op, va, v128.load(b + k)));
        }
      }
    }
  }
  const ra = <usize>sa * sizeof<T>();
  const rb = <usize>sb * sizeof<T>();
  let pa = a + <usize>i * ra;
  let pb = b + <usize>i * rb;
  for (; i < n; i++) {
    store<R>(o + <usize>i * sizeof<R>(), binS<T, R>(op, load<T>(pa), load<T>(pb)));
    pa += ra;
    pb += rb;
  }
}

function binRange<T, R>(op: i32, args: usize, start: i64, end: i64, idx: usize): void {
  const rank = ai(args, 2);
  const shape = ap(args, 3);
  const out = ap(args, 4);
  const a = ap(args, 5);
  const sa = ap(args, 6);
  const b = ap(args, 7);
  const sb = ap(args, 8);
  if (rank == 0) {
    store<R>(out, binS<T, R>(op, load<T>(a), load<T>(b)));
    return;
  }
  const last = rank - 1;
  const inner = load<i32>(shape + (<usize>last << 2));
  const sal = load<i32>(sa + (<usize>last << 2));
  const sbl = load<i32>(sb + (<usize>last << 2));
  ndUnravel(rank, shape, start, idx);
  let pos = start;
  while (pos < end) {
    const at = load<i32>(idx + (<usize>last << 2));
    let n = inner - at;
    if (<i64>n > end - pos) n = <i32>(end - pos);
    const oa = ndDotOuter(rank, idx, sa) + <i64>at * sal;
    const ob = ndDotOuter(rank, idx, sb) + <i64>at * sbl;
    binRun<T, R>(op, n, out + <usize>pos * sizeof<R>(), a + <usize>oa * sizeof<T>(), sal, b + <usize>ob * sizeof<T>(), sbl);
    pos += n;
    ndAdvance(rank, shape, idx, n);
  }
}

@inline function binOp<T>(op: i32, args: usize, s: i64, e: i64, idx: usize): void {
  switch (op) {
    case ADD: binRange<T, T>(ADD, args, s, e, idx); break;
    case SUB: binRange<T, T>(SUB, args, s, e, idx); break;
    case MUL: binRange<T, T>(MUL, args, s, e, idx); break;
    case DIV: binRange<T, f32>(DIV, args, s, e, idx); break;
    case POW: if (isFloat<T>()) binRange<T, f32>(POW, args, s, e, idx); else binRange<T, i32>(POW, args, s, e, idx); break;
    case MAXIMUM: binRange<T, T>(MAXIMUM, args, s, e, idx); break;
    case MINIMUM: binRange<T, T>(MINIMUM, args, s, e, idx); break;
    case EQ: binRange<T, u8>(EQ, args, s, e, idx); break;
    case NE: binRange<T, u8>(NE, args, s, e, idx); break;
    case LT: binRange<T, u8>(LT, args, s, e, idx); break;
    case LE: binRange<T, u8>(LE, args, s, e, idx); break;
    case GT: binRange<T, u8>(GT, args, s, e, idx); break;
    case GE: binRange<T, u8>(GE, args, s, e, idx); break;
  }
}

/**
 * Broadcasting binary op. Slots: 0 op, 1 compute type T, 2 rank, 3 shape*, 4 out, 5 a,
 * 6 a strides*, 7 b, 8 b strides*, 9 per chunk, 10 total (f64). Strides are in elements.
 */
export function task_binary(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 9);
  const total = <i64>af(args, 10);
  const s = <i64>chunk * per;
  let e = s + per;
  if (e > total) e = total;
  if (s >= e) return;
  const op = ai(args, 0);
  const t = ai(args, 1);
  const idx = scratch(tid);
  if (t == F32) binOp<f32>(op, args, s, e, idx);
  else if (t == I32) binOp<i32>(op, args, s, e, idx);
  else if (t == F64) {
    if (op >= EQ && op <= GE) binOp<f64>(op, args, s, e, idx);
  } else {
    if (op == AND) binRange<u8, u8>(AND, args, s, e, idx);
    else binRange<u8, u8>(OR, args, s, e, idx);
  }
}

// ---- where ----------------------------------------------------------------------------------------

function whereRange<T>(args: usize, start: i64, end: i64, idx: usize): void {
  const rank = ai(args, 1);
  const shape = ap(args, 2);
  const out = ap(args, 3);
  const c = ap(args, 4);
  const sc = ap(args, 5);
  const a = ap(args, 6);
  const sa = ap(args, 7);
  const b = ap(args, 8);
  const sb = ap(args, 9);
  if (rank == 0) {
    store<T>(out, load<u8>(c) ? load<T>(a) : load<T>(b));
    return;
  }
  const last = rank - 1;
  const inner = load<i32>(shape + (<usize>last << 2));
  const scl = load<i32>(sc + (<usize>last << 2));
  const sal = load<i32>(sa + (<usize>last << 2));
  const sbl = load<i32>(sb + (<usize>last << 2));
  ndUnravel(rank, shape, start, idx);
  let pos = start;
  while (pos < end) {
    const at = load<i32>(idx + (<usize>last << 2));
    let n = inner - at;
    if (<i64>n > end - pos) n = <i32>(end - pos);
    let pc = c + <usize>(ndDotOuter(rank, idx, sc) + <i64>at * scl);
    let pa = a + <usize>(ndDotOuter(rank, idx, sa) + <i64>at * sal) * sizeof<T>();
    let pb = b + <usize>(ndDotOuter(rank, idx, sb) + <i64>at * sbl) * sizeof<T>();
    let po = out + <usize>pos * sizeof<T>();
    const rc = <usize>scl;
    const ra = <usize>sal * sizeof<T>();
    const rb = <usize>sbl * sizeof<T>();
    for (let i = 0; i < n; i++) {
      store<T>(po, load<u8>(pc) ? load<T>(pa) : load<T>(pb));
      po += sizeof<T>();
      pc += rc;
      pa += ra;
      pb += rb;
    }
    pos += n;
    ndAdvance(rank, shape, idx, n);
  }
}

/**
 * where(c, a, b) with a and b already of the output type. Slots: 0 element size (1 or 4),
 * 1 rank, 2 shape*, 3 out, 4 c, 5 c strides*, 6 a, 7 a strides*, 8 b, 9 b strides*, 10 per chunk,
 * 11 total (f64).
 */
export function task_where(args: usize, chunk: i32, tid: i32): void {
  const per = <i64>ai(args, 10);
  const total = <i64>af(args, 11);
  const s = <i64>chunk * per;
  let e = s + per;
  if (e > total) e = total;
  if (s >= e) return;
  if (ai(args, 0) == 1) whereRange<u8>(args, s, e, scratch(tid));
  else whereRange<i32>(args, s, e, scratch(tid));
}
