/**
 * Host side of cat, pad, gather, indexSelect and scatterAdd (assembly/copy.ts,
 * assembly/indexing.ts). `cat` and `pad` are strided copies into regions of the output; the index
 * kernels check every index and report the first bad one, which is thrown here with the
 * reference's message.
 * @module
 */
import { ArgumentError, type Kernel, itemSize } from '@tessera/tensor';
import { type WasmRuntime, ElemType } from '../runtime.js';
import { denseStrides, sizeOf } from '../layout.js';
import { Ctx, etype, floatBits, operand, perChunk } from './common.js';

/** Throws the reference's error if a kernel recorded a bad index. */
function checkIndexError(rt: WasmRuntime, op: string): void {
  const a = rt.args;
  if (a.get(30) !== 0) throw new ArgumentError(`${op}: index ${a.get(31)} is out of range for dim ${a.get(32)} of size ${a.get(33)}`);
}

/** Kernels by op name. */
export function indexingKernels(rt: WasmRuntime): Record<string, Kernel> {
  const cat: Kernel = (inputs, a: { dim: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const os = denseStrides(spec!.shape);
      const t = etype(spec!.dtype);
      const size = itemSize(spec!.dtype);
      let base = 0;
      for (const x of inputs) {
        const src = operand(x);
        ctx.copy(src, src.strides, out.ptr + base * os[a.dim]! * size, os, t, x.shape);
        base += x.shape[a.dim]!;
      }
      return [out];
    });

  const pad: Kernel = ([x], a: { before: number[]; value: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const total = sizeOf(spec!.shape);
      const dt = spec!.dtype;
      const bits = dt === 'float32' ? floatBits(a.value) : dt === 'int32' ? a.value | 0 : (a.value | 0) & 0xff;
      ctx.fill(out.ptr, total, dt === 'bool' ? 1 : 4, bits);
      const os = denseStrides(spec!.shape);
      let off = 0;
      a.before.forEach((b, d) => (off += b * os[d]!));
      const src = operand(x!);
      ctx.copy(src, src.strides, out.ptr + off * itemSize(dt), os, etype(dt), x!.shape);
      return [out];
    });

  const gather: Kernel = ([xv, iv], a: { dim: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const x = ctx.dense(operand(xv!));
      const index = ctx.dense(operand(iv!));
      const total = sizeOf(iv!.shape);
      const per = perChunk(total);
      const g = rt.args;
      g.i(0, itemSize(xv!.dtype)).i(1, iv!.shape.length).p(2, g.i32(iv!.shape)).p(3, g.i32(denseStrides(xv!.shape)));
      g.i(4, a.dim).p(5, x).p(6, index).p(7, out.ptr).i(8, xv!.shape[a.dim] ?? 1).i(9, per).f(10, total);
      rt.run('task_gather', Math.ceil(total / per));
      checkIndexError(rt, 'gather');
      return [out];
    });

  const indexSelect: Kernel = ([xv, iv], a: { dim: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const x = ctx.dense(operand(xv!));
      const index = ctx.dense(operand(iv!));
      const shape = xv!.shape;
      const m = iv!.shape[0]!;
      const es = itemSize(xv!.dtype);
      if (shape.length === 0) {
        const idx = new Int32Array(rt.memory.buffer.slice(index, index + 4 * m));
        for (const i of idx) if (i < -1 || i >= 1) throw new ArgumentError(`indexSelect: index ${i} is out of range for dim 0 of size 1`);
        new Uint8Array(rt.memory.buffer, out.ptr, es).set(new Uint8Array(rt.memory.buffer, x, es));
        return [out];
      }
      const outer = sizeOf(shape.slice(0, a.dim));
      const n = shape[a.dim]!;
      const inner = sizeOf(shape.slice(a.dim + 1));
      const rows = outer * m;
      if (rows === 0 || inner === 0) return [out];
      const per = Math.max(1, Math.ceil(32768 / Math.max(1, inner)), Math.ceil(rows / 65535));
      const g = rt.args;
      g.i(0, es).i(1, outer).i(2, n).i(3, inner).i(4, m).p(5, x).p(6, index).p(7, out.ptr).i(8, per).i(9, a.dim);
      rt.run('task_index_select', Math.ceil(rows / per));
      checkIndexError(rt, 'indexSelect');
      return [out];
    });

  const scatterAdd: Kernel = ([xv, iv, sv], a: { dim: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const t = etype(spec!.dtype);
      const xo = operand(xv!);
      ctx.copy(xo, xo.strides, out.ptr, denseStrides(spec!.shape), t, spec!.shape);
      const index = ctx.dense(operand(iv!));
      const src = ctx.dense(operand(sv!));
      const total = sizeOf(iv!.shape);
      if (total === 0) return [out];
      const g = rt.args;
      g.i(0, t === ElemType.F32 ? 0 : t === ElemType.I32 ? 1 : 2).i(1, iv!.shape.length).p(2, g.i32(iv!.shape));
      g.p(3, g.i32(denseStrides(spec!.shape))).p(4, g.i32(denseStrides(sv!.shape))).i(5, a.dim);
      g.p(6, index).p(7, src).p(8, out.ptr).i(9, spec!.shape[a.dim] ?? 1).f(10, total);
      rt.run('task_scatter_add', 1);
      checkIndexError(rt, 'scatterAdd');
      return [out];
    });

  return { cat, pad, gather, indexSelect, scatterAdd };
}
