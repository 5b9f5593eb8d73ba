/**
 * Host side of matmul (assembly/gemm.ts). Operands are passed with their own row and column
 * strides (a transposed view costs nothing) and per-batch element offsets (0 strides for
 * broadcast batch dims). float32 work is split into chunks of MC×NC output tiles per batch entry;
 * int32 (wrapping) into one chunk per output row.
 * @module
 */
import { type Kernel, type TensorView } from '@tessera/tensor';
import { type WasmRuntime, ElemType } from '../runtime.js';
import { broadcastStrides, denseStrides, sizeOf } from '../layout.js';
import { Ctx, type Operand, operand } from './common.js';

/** Element offsets of every batch entry of `x` (batch dims of `x` broadcast to `outBatch`). */
export function batchOffsets(x: Operand, outBatch: readonly number[], keep: number): number[] {
  const bshape = x.shape.slice(0, x.shape.length - keep);
  const bstr = broadcastStrides(bshape, x.strides.slice(0, x.strides.length - keep), outBatch);
  const n = sizeOf(outBatch);
  const offs = new Array<number>(n);
  const idx = new Array<number>(outBatch.length).fill(0);
  for (let f = 0; f < n; f++) {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += idx[d]! * bstr[d]!;
    offs[f] = o;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < outBatch[d]!) break;
      idx[d] = 0;
    }
  }
  return offs;
}

function asType(ctx: Ctx, x: Operand, t: number): Operand {
  if (x.type === t) return x;
  return { addr: ctx.dense(x, t), type: t, shape: x.shape, strides: denseStrides(x.shape) };
}

/** Kernels by op name. */
export function matmulKernels(rt: WasmRuntime): Record<string, Kernel> {
  const MC = rt.call('gemm_params', 3);
  const NC = rt.call('gemm_params', 4);
  const GEMM_WS = rt.call('gemm_params', 5);

  const matmul: Kernel = ([av, bv], _attrs, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const t = spec!.dtype === 'float32' ? ElemType.F32 : ElemType.I32;
      const a = asType(ctx, operand(av as TensorView), t);
      const b = asType(ctx, operand(bv as TensorView), t);
      const out = ctx.out(spec!);
      const r = spec!.shape.length;
      const M = spec!.shape[r - 2]!;
      const N = spec!.shape[r - 1]!;
      const K = a.shape[a.shape.length - 1]!;
      const outBatch = spec!.shape.slice(0, -2);
      const batch = sizeOf(outBatch);
      const aOff = batchOffsets(a, outBatch, 2);
      const bOff = batchOffsets(b, outBatch, 2);
      const rsA = a.strides[a.shape.length - 2]!;
      const csA = a.strides[a.shape.length - 1]!;
      const rsB = b.strides[b.shape.length - 2]!;
      const csB = b.strides[b.shape.length - 1]!;
      const isF = t === ElemType.F32;
      if (isF) rt.ensureWorkspace(GEMM_WS);
      const mch = Math.min(MC, M);
      const nch = Math.min(NC, N);
      const mb = isF ? Math.ceil(M / mch) : M;
      const nb = isF ? Math.ceil(N / nch) : 1;
      // At most 65535 chunks per task: run the batch in slices.
      const perBatch = mb * nb;
      const slice = Math.max(1, Math.floor(65535 / perBatch));
      for (let b0 = 0; b0 < batch; b0 += slice) {
        const nbatch = Math.min(slice, batch - b0);
        const g = rt.args;
        g.i(0, M).i(1, N).i(2, K).p(3, a.addr).i(4, rsA).i(5, csA).p(6, b.addr).i(7, rsB).i(8, csB);
        g.p(9, out.ptr + b0 * M * N * 4).i(10, nbatch).p(11, g.i32(aOff.slice(b0, b0 + nbatch))).p(12, g.i32(bOff.slice(b0, b0 + nbatch)));
        g.i(13, mb).i(14, nb).i(15, mch).i(16, nch);
        rt.run(isF ? 'task_matmul' : 'task_matmul_i32', nbatch * perBatch);
      }
      return [out];
    });
  return { matmul };
}
