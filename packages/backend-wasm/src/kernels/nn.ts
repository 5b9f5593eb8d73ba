/**
 * Fused kernels registered under composite names (assembly/nn.ts, assembly/attention.ts):
 * softmax, logSoftmax, layerNorm, groupNorm and scaledDotProductAttention. Each replaces the op's
 * decomposition on this backend; the conformance kit checks it against the decomposition on cpu.
 * @module
 */
import { type Kernel, type TensorView } from '@tessera/tensor';
import { type WasmRuntime } from '../runtime.js';
import { broadcastStrides, denseStrides, sizeOf } from '../layout.js';
import { Ctx, operand } from './common.js';
import { batchOffsets } from './matmul.js';

/** Query rows and keys per attention tile. */
const BR = 64;
const BC = 128;

/** Kernels by op name. */
export function nnKernels(rt: WasmRuntime): Record<string, Kernel> {
  const GEMM_WS = rt.call('gemm_params', 5);

  const softmaxLike = (isLog: number): Kernel => ([xv], a: { dim: number }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const x = ctx.dense(operand(xv!));
      const shape = xv!.shape;
      const dim = shape.length === 0 ? 0 : a.dim;
      const outer = sizeOf(shape.slice(0, dim));
      const n = shape.length === 0 ? 1 : shape[dim]!;
      const inner = sizeOf(shape.slice(dim + 1));
      const per = Math.max(1, Math.floor(32768 / Math.max(1, n * inner)), Math.ceil(outer / 65535));
      rt.args.i(0, isLog).i(1, outer).i(2, n).i(3, inner).p(4, x).p(5, out.ptr).i(6, per).f(7, outer);
      rt.run('task_softmax', Math.ceil(outer / per));
      return [out];
    });

  const layerNorm: Kernel = (inputs, a: { normalizedShape: number[]; eps: number; hasWeight: boolean; hasBias: boolean }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const x = ctx.dense(operand(inputs[0]!));
      let i = 1;
      const w = a.hasWeight ? ctx.dense(operand(inputs[i++]!)) : 0;
      const b = a.hasBias ? ctx.dense(operand(inputs[i]!)) : 0;
      const D = sizeOf(a.normalizedShape);
      const rows = sizeOf(spec!.shape) / D;
      const per = Math.max(1, Math.floor(32768 / D), Math.ceil(rows / 65535));
      rt.args.i(0, rows).i(1, D).p(2, x).p(3, w).p(4, b).p(5, out.ptr).f(6, a.eps).i(7, per);
      rt.run('task_layernorm', Math.ceil(rows / per));
      return [out];
    });

  const groupNorm: Kernel = (inputs, a: { numGroups: number; eps: number; hasWeight: boolean; hasBias: boolean }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const xv = inputs[0]!;
      const x = ctx.dense(operand(xv));
      let i = 1;
      const w = a.hasWeight ? ctx.dense(operand(inputs[i++]!)) : 0;
      const b = a.hasBias ? ctx.dense(operand(inputs[i]!)) : 0;
      const [N, C] = xv.shape as [number, number];
      const S = sizeOf(xv.shape.slice(2));
      const G = a.numGroups;
      const total = N * G;
      const len = (C / G) * S;
      const per = Math.max(1, Math.floor(32768 / Math.max(1, len)), Math.ceil(total / 65535));
      rt.args.i(0, total).i(1, C / G).i(2, S).i(3, G).p(4, x).p(5, w).p(6, b).p(7, out.ptr).f(8, a.eps).i(9, per);
      rt.run('task_groupnorm', Math.ceil(total / per));
      return [out];
    });

  const attention: Kernel = (inputs, a: { scale: number; isCausal: boolean; maskKind: 'none' | 'bool' | 'additive' }, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const [qv, kv, vv, mv] = inputs as [TensorView, TensorView, TensorView, TensorView?];
      const r = spec!.shape.length;
      const L = spec!.shape[r - 2]!;
      const Ev = spec!.shape[r - 1]!;
      const S = kv.shape[kv.shape.length - 2]!;
      const E = qv.shape[qv.shape.length - 1]!;
      const outBatch = spec!.shape.slice(0, -2);
      const batch = sizeOf(outBatch);
      if (S === 0) {
        // softmax over no keys is empty, and the empty product is zero (as the decomposition gives)
        ctx.fill(out.ptr, sizeOf(spec!.shape), 4, 0);
        return [out];
      }
      const dense = (t: TensorView) => {
        const o = operand(t);
        const addr = ctx.dense(o);
        return { addr, offs: batchOffsets({ ...o, addr, strides: denseStrides(o.shape) }, outBatch, 2) };
      };
      const q = dense(qv);
      const k = dense(kv);
      const v = dense(vv);
      const maskKind = a.maskKind === 'bool' ? 1 : a.maskKind === 'additive' ? 2 : 0;
      let maskAddr = 0;
      let maskOffs: number[] = [0];
      let mrs = 0;
      let mcs = 0;
      if (maskKind && mv) {
        const full = [...outBatch, L, S];
        const st = broadcastStrides(mv.shape, mv.strides, full);
        maskAddr = (mv.buffer as { ptr: number }).ptr;
        maskOffs = batchOffsets({ addr: 0, type: 0, shape: full, strides: st }, outBatch, 2).map((o) => o + mv.offset);
        mrs = st[st.length - 2]!;
        mcs = st[st.length - 1]!;
      }
      const qb = Math.ceil(L / BR);
      // scores, output accumulator, running max and sum, then the packed query tile (rows padded to MR)
      rt.ensureWorkspace(GEMM_WS + (BR * BC + BR * Ev + 2 * BR + (BR + 8) * E) * 4);
      const slice = Math.max(1, Math.floor(65535 / qb));
      for (let b0 = 0; b0 < batch; b0 += slice) {
        const nb = Math.min(slice, batch - b0);
        const g = rt.args;
        g.i(0, nb).i(1, L).i(2, S).i(3, E).i(4, Ev).p(5, q.addr).p(6, k.addr).p(7, v.addr).p(8, out.ptr + b0 * L * Ev * 4);
        g.p(9, g.i32(q.offs.slice(b0, b0 + nb))).p(10, g.i32(k.offs.slice(b0, b0 + nb))).p(11, g.i32(v.offs.slice(b0, b0 + nb)));
        g.i(12, maskKind).p(13, maskAddr).p(14, g.i32(maskKind ? maskOffs.slice(b0, b0 + nb) : [0])).i(15, mrs).i(16, mcs);
        g.i(17, a.isCausal ? 1 : 0).f(18, a.scale).i(19, BR).i(20, BC).i(21, qb);
        rt.run('task_attention', nb * qb);
      }
      return [out];
    });

  return {
    softmax: softmaxLike(0),
    logSoftmax: softmaxLike(1),
    layerNorm,
    groupNorm,
    scaledDotProductAttention: attention,
  };
}
