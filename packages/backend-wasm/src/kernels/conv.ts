/**
 * Host side of conv, convTranspose, maxPool, avgPool and interpolate (assembly/conv.ts,
 * assembly/pool.ts): inputs made dense, shapes lifted to 3 spatial dims, work split into chunks
 * (im2col column blocks, output-channel blocks, blocks of planes).
 * @module
 */
import { type InterpolationTaps as Taps, type Kernel, type TensorView, linearTaps, nearestTaps } from '@tessera/tensor';
import { type WasmRuntime } from '../runtime.js';
import { sizeOf } from '../layout.js';
import { Ctx, operand } from './common.js';

/** Prepends `fill` until there are 3 entries. */
function lift(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

interface ConvLike {
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
}

/** Output columns per im2col block: keep the column buffer near 1 MiB, 8..256 wide. */
function colsPerBlock(rows: number, total: number): number {
  const fit = Math.floor(262144 / Math.max(1, rows) / 8) * 8;
  return Math.max(8, Math.min(256, fit, Math.ceil(total / 8) * 8));
}

/** Kernels by op name. */
export function convKernels(rt: WasmRuntime): Record<string, Kernel> {
  const GEMM_WS = rt.call('gemm_params', 5);

  /** Writes slots 0-25 shared by both conv tasks. */
  const geometry = (ctx: Ctx, inputs: readonly TensorView[], a: ConvLike, outShape: readonly number[]) => {
    const [xv, wv, bv] = inputs;
    const x = ctx.dense(operand(xv!));
    const w = ctx.dense(operand(wv!));
    const b = bv ? ctx.dense(operand(bv)) : 0;
    const n = xv!.shape.length - 2;
    const inS = lift(xv!.shape.slice(2), 1);
    const kS = lift(wv!.shape.slice(2), 1);
    const outS = lift(outShape.slice(2), 1);
    const stride = lift(a.stride, 1);
    const pad = lift(a.padding.slice(0, n), 0);
    const dil = lift(a.dilation, 1);
    const g = rt.args;
    g.i(0, xv!.shape[0]!).i(1, xv!.shape[1]!).i(2, outShape[1]!).i(3, a.groups);
    [...inS, ...kS, ...outS, ...stride, ...pad, ...dil].forEach((v, i) => g.i(4 + i, v));
    g.p(22, x).p(23, w).p(24, b);
    return { inS, kS, outS, stride, pad, dil };
  };

  const conv: Kernel = (inputs, a: ConvLike, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const geo = geometry(ctx, inputs, a, spec!.shape);
      const [N, Cin] = inputs[0]!.shape as [number, number];
      const cinG = Cin / a.groups;
      const kVol = sizeOf(geo.kS);
      const outVol = sizeOf(geo.outS);
      const K = cinG * kVol;
      const direct = kVol === 1 && geo.stride.every((s) => s === 1) && geo.pad.every((p) => p === 0);
      const ncol = direct ? Math.min(256, Math.ceil(outVol / 8) * 8) : colsPerBlock(K, outVol);
      const nblk = Math.ceil(outVol / ncol);
      rt.ensureWorkspace(GEMM_WS + (direct ? 0 : K * ncol * 4));
      rt.args.p(25, out.ptr).i(26, ncol).i(27, nblk).i(28, direct ? 1 : 0);
      rt.run('task_conv', N * a.groups * nblk);
      return [out];
    });

  const convTranspose: Kernel = (inputs, a: ConvLike, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const geo = geometry(ctx, inputs, a, spec!.shape);
      const N = inputs[0]!.shape[0]!;
      const coutG = spec!.shape[1]! / a.groups;
      const kVol = sizeOf(geo.kS);
      const inVol = sizeOf(geo.inS);
      const cb = Math.max(1, Math.min(coutG, Math.floor(256 / kVol)));
      const nblk = Math.ceil(coutG / cb);
      const ncol = Math.min(256, Math.ceil(inVol / 8) * 8);
      rt.ensureWorkspace(GEMM_WS + cb * kVol * ncol * 4);
      rt.args.p(25, out.ptr).i(26, cb).i(27, nblk).i(28, ncol);
      rt.run('task_conv_transpose', N * a.groups * nblk);
      return [out];
    });

  const maxPool: Kernel = ([xv], a: { kernelSize: number[]; stride: number[]; padding: number[]; dilation: number[] }, outputs) =>
    Ctx.run(rt, (ctx) => {
      const vals = ctx.out(outputs[0]!);
      const idx = ctx.out(outputs[1]!);
      const x = ctx.dense(operand(xv!));
      const planes = xv!.shape[0]! * xv!.shape[1]!;
      const inS = lift(xv!.shape.slice(2), 1);
      const outS = lift(outputs[0]!.shape.slice(2), 1);
      const g = rt.args;
      g.i(0, planes);
      [...inS, ...outS, ...lift(a.kernelSize, 1), ...lift(a.stride, 1), ...lift(a.padding, 0), ...lift(a.dilation, 1)].forEach((v, i) => g.i(1 + i, v));
      const per = Math.max(1, Math.floor(65536 / Math.max(1, sizeOf(inS) + sizeOf(outS) * sizeOf(a.kernelSize))));
      g.p(19, x).p(20, vals.ptr).p(21, idx.ptr).i(22, per);
      rt.run('task_maxpool', Math.ceil(planes / per));
      return [vals, idx];
    });

  const avgPool: Kernel = (
    [xv],
    a: { kernelSize: number[]; stride: number[]; padding: number[]; countIncludePad: boolean; divisorOverride?: number },
    [spec],
  ) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const x = ctx.dense(operand(xv!));
      const planes = xv!.shape[0]! * xv!.shape[1]!;
      const inS = lift(xv!.shape.slice(2), 1);
      const outS = lift(spec!.shape.slice(2), 1);
      const g = rt.args;
      g.i(0, planes);
      [...inS, ...outS, ...lift(a.kernelSize, 1), ...lift(a.stride, 1), ...lift(a.padding, 0)].forEach((v, i) => g.i(1 + i, v));
      const per = Math.max(1, Math.floor(65536 / Math.max(1, sizeOf(inS) + sizeOf(outS) * sizeOf(a.kernelSize))));
      g.i(16, a.countIncludePad ? 1 : 0).i(17, a.divisorOverride ?? 0).p(18, x).p(19, out.ptr).i(20, per);
      rt.run('task_avgpool', Math.ceil(planes / per));
      return [out];
    });

  const interpolate: Kernel = ([xv], a: InterpolateAttrs, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      const x = ctx.dense(operand(xv!));
      const n = xv!.shape.length - 2;
      const nearest = a.mode === 'nearest' || a.mode === 'nearest-exact';
      const tables = xv!.shape.slice(2).map((inSize, i) =>
        nearest ? nearestTaps(inSize, a.size[i]!, a.scale?.[i], a.mode === 'nearest-exact') : linearTaps(inSize, a.size[i]!, a.scale?.[i], a.alignCorners),
      );
      const all = [...new Array<Taps>(3 - n).fill(ONE), ...tables];
      const inS = lift(xv!.shape.slice(2), 1);
      const outS = lift(a.size, 1);
      const planes = xv!.shape[0]! * xv!.shape[1]!;
      const g = rt.args;
      const ip = all.map((t) => g.i32(t.index));
      const wp = all.map((t) => g.f64(t.weight));
      g.i(0, planes);
      [...inS, ...outS, ...all.map((t) => t.taps)].forEach((v, i) => g.i(1 + i, v));
      ip.forEach((p, i) => g.p(10 + i, p));
      wp.forEach((p, i) => g.p(13 + i, p));
      const per = Math.max(1, Math.floor(65536 / Math.max(1, sizeOf(outS) * 8)));
      g.p(16, x).p(17, out.ptr).i(18, per);
      rt.run('task_interpolate', Math.ceil(planes / per));
      return [out];
    });

  return { conv, convTranspose, maxPool, avgPool, interpolate };
}

interface InterpolateAttrs {
  size: number[];
  mode: 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear';
  alignCorners: boolean;
  scale?: number[];
}

// ---- interpolation: the taps come from @tessera/tensor (PyTorch's UpSample.h rules) ----

const ONE: Taps = { taps: 1, index: new Int32Array(1), weight: new Float64Array([1]) };
