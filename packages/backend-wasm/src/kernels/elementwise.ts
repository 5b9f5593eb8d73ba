/**
 * Host side of the elementwise kernels (assembly/elementwise.ts, assembly/copy.ts): unary ops,
 * broadcasting binary ops, `where`, `clamp`, `cast`, `contiguous`.
 *
 * Unary ops copy the input (any layout, converted to the result type) into the output, then run in
 * place on the dense result. Binary ops convert an operand only when its dtype differs from the
 * compute type, then walk both operands through broadcast strides without copying them.
 * @module
 */
import { type DType, type Kernel, type TensorView, type OutputSpec } from '@tessera/tensor';
import { type WasmRuntime, ElemType } from '../runtime.js';
import { broadcastStrides, coalesce, denseStrides, sizeOf } from '../layout.js';
import { Ctx, type Operand, type WasmBuffer, etype, operand, perChunk } from './common.js';

/** Unary op codes (assembly/elementwise.ts). */
const UNARY: Record<string, number> = {
  neg: 0, abs: 1, exp: 2, log: 3, sqrt: 4, rsqrt: 5, sin: 6, cos: 7, tanh: 8, sigmoid: 9,
  relu: 10, silu: 11, erf: 12, square: 13, reciprocal: 14, floor: 15,
};
const GELU = 16;
const GELU_TANH = 17;

/** Binary op codes (assembly/elementwise.ts). */
const BINARY: Record<string, number> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12,
  logicalAnd: 13, logicalOr: 14,
};

/** Copies `x` into a fresh dense output of `spec` (converting), returning the output. */
function copyOut(ctx: Ctx, x: TensorView, spec: OutputSpec): WasmBuffer {
  const out = ctx.out(spec);
  const src = operand(x);
  ctx.copy(src, src.strides, out.ptr, denseStrides(spec.shape), etype(spec.dtype), spec.shape);
  return out;
}

function inPlace(rt: WasmRuntime, task: string, op: number, ptr: number, n: number, extra?: (a: WasmRuntime['args']) => void): void {
  const per = perChunk(n);
  const a = rt.args;
  a.i(0, op).p(1, ptr).f(2, n).i(3, per);
  extra?.(a);
  rt.run(task, Math.ceil(n / per));
}

/** Kernels by op name. */
export function elementwiseKernels(rt: WasmRuntime): Record<string, Kernel> {
  const k: Record<string, Kernel> = {};

  const floatUnary = (code: number): Kernel => ([x], _a, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = copyOut(ctx, x!, spec!);
      if (spec!.dtype === 'float32') inPlace(rt, 'task_unary_f32', code, out.ptr, sizeOf(spec!.shape));
      else if (code !== UNARY.floor) inPlace(rt, 'task_unary_i32', code, out.ptr, sizeOf(spec!.shape));
      return [out];
    });
  for (const [name, code] of Object.entries(UNARY)) k[name] = floatUnary(code);
  k.gelu = (inputs, attrs: { approximate: string }, outputs) => floatUnary(attrs.approximate === 'tanh' ? GELU_TANH : GELU)(inputs, attrs, outputs);

  k.clamp = ([x], a: { min: number; max: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = copyOut(ctx, x!, spec!);
      const task = spec!.dtype === 'float32' ? 'task_clamp_f32' : 'task_clamp_i32';
      inPlace(rt, task, 0, out.ptr, sizeOf(spec!.shape), (args) => args.f(4, a.min).f(5, a.max));
      return [out];
    });

  k.cast = ([x], _a, [spec]) => Ctx.run(rt, (ctx) => [copyOut(ctx, x!, spec!)]);
  k.contiguous = ([x], _a, [spec]) => Ctx.run(rt, (ctx) => [copyOut(ctx, x!, spec!)]);

  for (const [name, code] of Object.entries(BINARY)) {
    k[name] = ([a, b], _attrs, [spec]) => Ctx.run(rt, (ctx) => [binary(ctx, code, operand(a!), operand(b!), spec!)]);
  }

  // logicalNot(x) = (x == 0), compared in x's own type (bool read as int32).
  k.logicalNot = ([x], _a, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const src = operand(x!);
      const t = src.type === ElemType.F32 ? ElemType.F32 : ElemType.I32;
      const zero: Operand = { addr: ctx.tmp(4, 'a zero'), type: t, shape: [], strides: [] };
      new Int32Array(rt.memory.buffer, zero.addr, 1)[0] = 0;
      return [binary(ctx, BINARY.eq!, src, zero, spec!)];
    });

  k.where = ([c, a, b], _attrs, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const t = etype(spec!.dtype);
      const shape = spec!.shape;
      const oc = operand(c!);
      const oa = asType(ctx, operand(a!), t);
      const ob = asType(ctx, operand(b!), t);
      const out = ctx.out(spec!);
      const total = sizeOf(shape);
      const cs = coalesce(shape, [
        broadcastStrides(oc.shape, oc.strides, shape),
        broadcastStrides(oa.shape, oa.strides, shape),
        broadcastStrides(ob.shape, ob.strides, shape),
      ]);
      const per = perChunk(total);
      const args = rt.args;
      args.i(0, t === ElemType.U8 ? 1 : 4).i(1, cs.shape.length).p(2, args.i32(cs.shape)).p(3, out.ptr);
      args.p(4, oc.addr).p(5, args.i32(cs.strides[0]!)).p(6, oa.addr).p(7, args.i32(cs.strides[1]!));
      args.p(8, ob.addr).p(9, args.i32(cs.strides[2]!)).i(10, per).f(11, total);
      rt.run('task_where', Math.ceil(total / per));
      return [out];
    });

  return k;
}

/** The operand converted to type t (a dense copy) unless it already is of that type. */
function asType(ctx: Ctx, x: Operand, t: number): Operand {
  if (x.type === t) return x;
  return { addr: ctx.dense(x, t), type: t, shape: x.shape, strides: denseStrides(x.shape) };
}

const isFloat = (x: Operand): boolean => x.type === ElemType.F32;

/** The type both operands are converted to before the op runs. */
function computeType(code: number, a: Operand, b: Operand, out: DType): number {
  if (code === BINARY.logicalAnd || code === BINARY.logicalOr) return ElemType.U8;
  if (code >= BINARY.eq! && code <= BINARY.ge!) {
    if (isFloat(a) && isFloat(b)) return ElemType.F32;
    if (!isFloat(a) && !isFloat(b)) return ElemType.I32;
    return ElemType.F64; // mixed int/float: compare exactly, as the float64 reference does
  }
  if (code === BINARY.div) return isFloat(a) || isFloat(b) ? ElemType.F32 : ElemType.I32;
  return etype(out);
}

/** Runs binary op `code` on two operands, broadcasting to `spec.shape`. */
function binary(ctx: Ctx, code: number, a0: Operand, b0: Operand, spec: OutputSpec): WasmBuffer {
  const t = computeType(code, a0, b0, spec.dtype);
  const a = asType(ctx, a0, t);
  const b = asType(ctx, b0, t);
  const out = ctx.out(spec);
  const shape = spec.shape;
  const total = sizeOf(shape);
  const cs = coalesce(shape, [broadcastStrides(a.shape, a.strides, shape), broadcastStrides(b.shape, b.strides, shape)]);
  const per = perChunk(total);
  const args = ctx.rt.args;
  args.i(0, code).i(1, t).i(2, cs.shape.length).p(3, args.i32(cs.shape)).p(4, out.ptr);
  args.p(5, a.addr).p(6, args.i32(cs.strides[0]!)).p(7, b.addr).p(8, args.i32(cs.strides[1]!));
  args.i(9, per).f(10, total);
  ctx.rt.run('task_binary', Math.ceil(total / per));
  return out;
}
