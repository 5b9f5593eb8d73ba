/**
 * Host side of the reductions (assembly/reduce.ts): the input's dims are split into kept and
 * reduced dims, each coalesced, and passed with the input's own strides (no copy unless the dtype
 * changes). Outputs per chunk are sized to about 32 K input elements.
 * @module
 */
import { type Kernel } from '@tessera/tensor';
import { type WasmRuntime, ElemType } from '../runtime.js';
import { coalesce, denseStrides, isDense, sizeOf } from '../layout.js';
import { Ctx, type Operand, operand } from './common.js';

const OPS: Record<string, number> = { sum: 0, prod: 1, max: 2, min: 3 };

/** Elements per partial of a long reduction (fixed, so results do not depend on the thread count). */
const SEG = 65536;

/**
 * Reduces few long rows in two stages: float64 partials per SEG-long segment (threaded), folded
 * here in segment order. The input is first made dense with the reduced dims last.
 */
function partialReduce(ctx: Ctx, code: number, t: number, src: Operand, dims: number[], rows: number, n: number, outPtr: number): void {
  const order = [...src.shape.keys()].filter((d) => !dims.includes(d)).concat(dims);
  const pshape = order.map((d) => src.shape[d]!);
  const pstrides = order.map((d) => src.strides[d]!);
  let addr = src.addr;
  if (!isDense(pshape, pstrides)) {
    addr = ctx.tmp(rows * n * 4, 'a dense copy of a reduction input');
    ctx.copy({ ...src, shape: pshape, strides: pstrides }, pstrides, addr, denseStrides(pshape), t, pshape);
  }
  const segs = Math.ceil(n / SEG);
  const partials = ctx.tmp(rows * segs * 8, 'reduction partials');
  const g = ctx.rt.args;
  g.i(0, code).i(1, t).p(2, addr).i(3, n).i(4, SEG).i(5, segs).p(6, partials);
  ctx.rt.run('task_reduce_partial', rows * segs);
  const part = new Float64Array(ctx.rt.memory.buffer, partials, rows * segs);
  const out = t === ElemType.F32 ? new Float32Array(ctx.rt.memory.buffer, outPtr, rows) : new Int32Array(ctx.rt.memory.buffer, outPtr, rows);
  for (let r = 0; r < rows; r++) {
    let acc = part[r * segs]!;
    for (let s = 1; s < segs; s++) {
      const v = part[r * segs + s]!;
      if (t === ElemType.I32) acc = code === 0 ? (acc + v) | 0 : code === 1 ? Math.imul(acc, v) : code === 2 ? Math.max(acc, v) : Math.min(acc, v);
      else if (code === 0) acc += v;
      else if (code === 1) acc *= v;
      else if (Number.isNaN(acc) || Number.isNaN(v)) acc = NaN;
      else acc = code === 2 ? Math.max(acc, v) : Math.min(acc, v);
    }
    out[r] = acc;
  }
}

function toType(ctx: Ctx, x: Operand, t: number): Operand {
  if (x.type === t) return x;
  return { addr: ctx.dense(x, t), type: t, shape: x.shape, strides: denseStrides(x.shape) };
}

/** Kernels by op name. */
export function reduceKernels(rt: WasmRuntime): Record<string, Kernel> {
  const k: Record<string, Kernel> = {};
  for (const [name, code] of Object.entries(OPS)) {
    k[name] = ([x], a: { dims: number[] }, [spec]) =>
      Ctx.run(rt, (ctx) => {
        const t = spec!.dtype === 'float32' ? ElemType.F32 : ElemType.I32;
        const src = toType(ctx, operand(x!), t);
        const out = ctx.out(spec!);
        const keptShape: number[] = [];
        const keptStrides: number[] = [];
        const redShape: number[] = [];
        const redStrides: number[] = [];
        src.shape.forEach((d, i) => {
          if (a.dims.includes(i)) {
            redShape.push(d);
            redStrides.push(src.strides[i]!);
          } else {
            keptShape.push(d);
            keptStrides.push(src.strides[i]!);
          }
        });
        const numOut0 = sizeOf(keptShape);
        const redSize0 = sizeOf(redShape);
        if (numOut0 <= 16 && redSize0 >= 2 * SEG) {
          partialReduce(ctx, code, t, src, a.dims, numOut0, redSize0, out.ptr);
          return [out];
        }
        const kept = coalesce(keptShape, [keptStrides]);
        const red = coalesce(redShape, [redStrides]);
        const numOut = sizeOf(keptShape);
        const redSize = sizeOf(redShape);
        const per = Math.max(4, Math.ceil(32768 / Math.max(1, redSize)), Math.ceil(numOut / 65535));
        const g = rt.args;
        g.i(0, code).i(1, t).i(2, kept.shape.length).p(3, g.i32(kept.shape)).p(4, g.i32(kept.strides[0]!));
        g.i(5, red.shape.length).p(6, g.i32(red.shape)).p(7, g.i32(red.strides[0]!));
        g.p(8, src.addr).p(9, out.ptr).i(10, per).f(11, numOut).f(12, redSize);
        rt.run('task_reduce', Math.ceil(numOut / per));
        return [out];
      });
  }

  const arg = (isMin: number): Kernel => ([x], a: { dim: number | null }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      let src = operand(x!);
      const out = ctx.out(spec!);
      let keptShape: number[] = [];
      let keptStrides: number[] = [];
      let n = 1;
      let stride = 1;
      if (a.dim === null || src.shape.length === 0) {
        if (!isDense(src.shape, src.strides)) src = { ...src, addr: ctx.dense(src), strides: denseStrides(src.shape) };
        n = sizeOf(src.shape);
      } else {
        n = src.shape[a.dim]!;
        stride = src.strides[a.dim]!;
        src.shape.forEach((d, i) => {
          if (i !== a.dim) {
            keptShape.push(d);
            keptStrides.push(src.strides[i]!);
          }
        });
        const c = coalesce(keptShape, [keptStrides]);
        keptShape = c.shape;
        keptStrides = c.strides[0]!;
      }
      const numOut = sizeOf(keptShape);
      const per = Math.max(1, Math.ceil(32768 / Math.max(1, n)), Math.ceil(numOut / 65535));
      const g = rt.args;
      g.i(0, isMin).i(1, src.type).i(2, keptShape.length).p(3, g.i32(keptShape)).p(4, g.i32(keptStrides));
      g.i(5, n).i(6, stride).p(7, src.addr).p(8, out.ptr).i(9, per).f(10, numOut);
      rt.run('task_argreduce', Math.ceil(numOut / per));
      return [out];
    });
  k.argmax = arg(0);
  k.argmin = arg(1);

  k.cumsum = ([x], a: { dim: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const t = spec!.dtype === 'float32' ? ElemType.F32 : ElemType.I32;
      const src = operand(x!);
      const addr = ctx.dense(src, t);
      const out = ctx.out(spec!);
      const shape = src.shape;
      const dim = shape.length === 0 ? 0 : a.dim;
      const outer = sizeOf(shape.slice(0, dim));
      const n = shape.length === 0 ? 1 : shape[dim]!;
      const inner = sizeOf(shape.slice(dim + 1));
      const lines = outer * inner;
      const per = Math.max(1, Math.ceil(32768 / Math.max(1, n)), Math.ceil(lines / 65535));
      const g = rt.args;
      g.i(0, t).i(1, outer).i(2, n).i(3, inner).p(4, addr).p(5, out.ptr).i(6, per).f(7, lines);
      rt.run('task_cumsum', Math.ceil(lines / per));
      return [out];
    });
  return k;
}
