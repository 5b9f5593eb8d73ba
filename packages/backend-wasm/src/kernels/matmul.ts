/**
 * Host side of matmul (assembly/gemm.ts). Operands are passed with their own row and column
 * strides (a transposed view costs nothing) and per-batch element offsets (0 strides for
 * broadcast batch dims). float32 work is split into chunks of output tiles (at most MC×NC, see
 * chunkTile) per batch entry; int32 (wrapping) into one chunk per output row.
 *
 * `linear` (activation(x·Wᵀ + bias), a catalogue composite) runs float32 as the same GEMM task
 * with an epilogue hook: each chunk adds the bias to its freshly computed tile of C and applies
 * the activation before the next chunk, while the tile is still in cache, instead of two more
 * passes over C. W is read transposed through its strides (packB's column-major path).
 * @module
 */
import { type DType, type Kernel, type LinearAttrs, type OutputSpec, type TensorView, promoteTypes } from '@tessera/tensor';
import { type WasmRuntime, ElemType } from '../runtime.js';
import { broadcastStrides, coalesce, denseStrides, sizeOf } from '../layout.js';
import { Ctx, type Operand, type WasmBuffer, operand } from './common.js';

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

/** Activation codes of task_linear (the unary op codes of assembly/elementwise.ts). */
const ACTIVATION: Record<LinearAttrs['activation'], number> = { none: -1, relu: 10, silu: 11, gelu: 16, geluTanh: 17 };

/** The build's GEMM blocking: [MC, NC, workspace bytes]. */
function gemmParams(rt: WasmRuntime): [number, number, number] {
  return [rt.call('gemm_params', 3), rt.call('gemm_params', 4), rt.call('gemm_params', 5)];
}

/** Row and column multiples of the micro-kernel tile (assembly/gemm.ts MR, NR). */
const MR = 4;
const NR = 8;
/** Fewer chunks than this in a whole task leave threads idle at the end: smaller tiles are cut. */
const MIN_CHUNKS = 8;
/** ...but not below this many flops per chunk, where packing and claiming start to show. */
const MIN_CHUNK_FLOPS = 2 ** 22;

/**
 * The output tile of one float32 chunk, [rows, columns]: the blocking's MC×NC spread evenly over
 * M and N (1024 rows: six blocks of 172 and 164, not five of 192 and a 64-row tail), then halved
 * along its longer side while the task has fewer than MIN_CHUNKS chunks and a half keeps at least
 * MIN_CHUNK_FLOPS (matmul 256 was 2 chunks, 192 and 64 rows: a second thread gained nothing).
 * Depends on the shapes only, never on the thread count, so results are identical for any.
 */
function chunkTile(M: number, N: number, K: number, batch: number, MC: number, NC: number): [number, number] {
  const even = (n: number, block: number, mult: number): number =>
    n <= 0 ? 1 : Math.min(n, Math.ceil(Math.ceil(n / Math.ceil(n / block)) / mult) * mult);
  let mch = even(M, MC, MR);
  let nch = even(N, NC, NR);
  const chunks = (): number => batch * Math.ceil(M / mch) * Math.ceil(N / nch);
  while (chunks() < MIN_CHUNKS) {
    const rows = mch >= nch;
    const half = rows ? Math.ceil(mch / 2 / MR) * MR : Math.ceil(nch / 2 / NR) * NR;
    if (half >= (rows ? mch : nch) || 2 * (rows ? half * nch : mch * half) * K < MIN_CHUNK_FLOPS) break;
    if (rows) mch = half;
    else nch = half;
  }
  return [mch, nch];
}

/** Runs a float32 or int32 batched matmul (or, with `epilogue`, task_linear) into `out`. */
function gemm(rt: WasmRuntime, [MC, NC, GEMM_WS]: [number, number, number], ctx: Ctx, av: Operand, bv: Operand, spec: OutputSpec, out: WasmBuffer, epilogue?: { bias: number; act: number }): void {
  const t = spec.dtype === 'float32' ? ElemType.F32 : ElemType.I32;
  const a = asType(ctx, av, t);
  const b = asType(ctx, bv, t);
  const r = spec.shape.length;
  const M = spec.shape[r - 2]!;
  const N = spec.shape[r - 1]!;
  const K = a.shape[a.shape.length - 1]!;
  const outBatch = spec.shape.slice(0, -2);
  const batch = sizeOf(outBatch);
  const aOff = batchOffsets(a, outBatch, 2);
  const bOff = batchOffsets(b, outBatch, 2);
  const rsA = a.strides[a.shape.length - 2]!;
  const csA = a.strides[a.shape.length - 1]!;
  const rsB = b.strides[b.shape.length - 2]!;
  const csB = b.strides[b.shape.length - 1]!;
  const isF = t === ElemType.F32;
  if (isF) rt.ensureWorkspace(GEMM_WS);
  const [mch, nch] = isF ? chunkTile(M, N, K, batch, MC, NC) : [1, N];
  const mb = Math.ceil(M / mch);
  const nb = Math.ceil(N / nch);
  // At most 65535 chunks per task: run the batch in slices.
  const perBatch = mb * nb;
  const slice = Math.max(1, Math.floor(65535 / perBatch));
  for (let b0 = 0; b0 < batch; b0 += slice) {
    const nbatch = Math.min(slice, batch - b0);
    const g = rt.args;
    g.i(0, M).i(1, N).i(2, K).p(3, a.addr).i(4, rsA).i(5, csA).p(6, b.addr).i(7, rsB).i(8, csB);
    g.p(9, out.ptr + b0 * M * N * 4).i(10, nbatch).p(11, g.i32(aOff.slice(b0, b0 + nbatch))).p(12, g.i32(bOff.slice(b0, b0 + nbatch)));
    g.i(13, mb).i(14, nb).i(15, mch).i(16, nch);
    if (epilogue) g.p(17, epilogue.bias).i(18, epilogue.act);
    rt.run(epilogue ? 'task_linear' : isF ? 'task_matmul' : 'task_matmul_i32', nbatch * perBatch);
  }
}

/** Kernels by op name. */
export function matmulKernels(rt: WasmRuntime): Record<string, Kernel> {
  const gp = gemmParams(rt);
  const matmul: Kernel = ([av, bv], _attrs, [spec]) =>
    Ctx.run(rt, (ctx) => {
      const out = ctx.out(spec!);
      gemm(rt, gp, ctx, operand(av as TensorView), operand(bv as TensorView), spec!, out);
      return [out];
    });
  return { matmul };
}

/**
 * x `[..., K]` as a matrix (or a batch of them): its leading dims merged into rows where its
 * strides allow (one product, as the decomposition does), else kept as batch dims against the
 * broadcast weight; Wᵀ as a `[K, N]` view of the weight; and the shape of the product (contiguous,
 * so the same memory as the `[..., N]` output).
 */
function linearViews(x: TensorView, w: TensorView): { xm: TensorView; wt: TensorView; shape: number[] } {
  const r = x.shape.length;
  const K = w.shape[1]!;
  const N = w.shape[0]!;
  const lead = coalesce(x.shape.slice(0, -1), [x.strides.slice(0, -1)]);
  const rows = lead.shape.length ? lead.shape : [1];
  const rowStrides = lead.shape.length ? lead.strides[0]! : [0];
  return {
    xm: { ...x, shape: [...rows, K], strides: [...rowStrides, r > 0 ? x.strides[r - 1]! : 1] },
    wt: { ...w, shape: [K, N], strides: [w.strides[1]!, w.strides[0]!] },
    shape: [...rows, N],
  };
}

/**
 * The `linear` kernel. float32 x, weight and bias: task_linear (the bias and activation in the
 * GEMM's per-tile epilogue). Other dtypes (int32 products, mixed with a float bias): matmul, add
 * and the activation kernel one after the other, as the decomposition would run them.
 */
export function linearKernel(rt: WasmRuntime, kernels: Record<string, Kernel>): Kernel {
  const gp = gemmParams(rt);
  return (inputs, attrs: LinearAttrs, [spec]) => {
    const [x, w, bias] = inputs as TensorView[];
    const hasBias = attrs.hasBias;
    const { xm, wt, shape } = linearViews(x!, w!);
    if (x!.dtype === 'float32' && w!.dtype === 'float32' && (!hasBias || bias!.dtype === 'float32')) {
      return Ctx.run(rt, (ctx) => {
        const out = ctx.out(spec!);
        const biasPtr = hasBias ? ctx.dense(operand(bias!)) : 0;
        gemm(rt, gp, ctx, operand(xm), operand(wt), { shape, dtype: 'float32' }, out, { bias: biasPtr, act: ACTIVATION[attrs.activation] });
        return [out];
      });
    }
    // Unfused: the product, then the bias and the activation through their own kernels.
    const dense = (buffer: WasmBuffer, dtype: DType): TensorView => ({ buffer, dtype, shape, strides: denseStrides(shape), offset: 0 });
    const temps: WasmBuffer[] = [];
    try {
      let dtype: DType = promoteTypes(x!.dtype, w!.dtype);
      let cur = kernels.matmul!([xm, wt], {}, [{ shape, dtype }])[0] as WasmBuffer;
      temps.push(cur);
      if (hasBias) {
        const sum = promoteTypes(dtype, bias!.dtype);
        cur = kernels.add!([dense(cur, dtype), bias!], {}, [{ shape, dtype: sum }])[0] as WasmBuffer;
        temps.push(cur);
        dtype = sum;
      }
      const act = attrs.activation;
      if (act !== 'none') {
        const kernel = kernels[act === 'geluTanh' ? 'gelu' : act]!;
        cur = kernel([dense(cur, dtype)], { approximate: act === 'geluTanh' ? 'tanh' : 'none' }, [{ shape, dtype: spec!.dtype }])[0] as WasmBuffer;
        temps.push(cur);
      }
      temps.pop(); // the result
      return [cur];
    } finally {
      for (const t of temps) if (t.ptr) rt.free(t.ptr);
    }
  };
}
