/**
 * What every host-side kernel wrapper shares: buffer handles, the per-call context that owns
 * outputs and temporaries (freeing them on error), and the strided copy that normalises inputs.
 * @module
 */
import { type DType, type OutputSpec, type TensorView, itemSize } from '@tessera/tensor';
import { type WasmRuntime, ElemType } from '../runtime.js';
import { broadcastStrides, coalesce, denseStrides, isDense, sizeOf } from '../layout.js';

/** A wasm buffer handle: its heap address and its byte length (0 bytes: no block, ptr 0). */
export interface WasmBuffer {
  /** Byte address of the block in the wasm memory (0 for an empty buffer). */
  ptr: number;
  /** Length in bytes of the data. */
  bytes: number;
}

/** Elements per chunk of an elementwise task: 32 K floats = 128 KiB, a few L2-sized pieces per thread. */
export const ELEM_CHUNK = 32768;

/** Elements per chunk for `total` elements: ELEM_CHUNK, or more when there would be over 65535 chunks. */
export function perChunk(total: number, base = ELEM_CHUNK): number {
  return Math.max(base, Math.ceil(total / 65535));
}

/** The element type code of a dtype. */
export function etype(dtype: DType): number {
  return dtype === 'float32' ? ElemType.F32 : dtype === 'int32' ? ElemType.I32 : ElemType.U8;
}

/** Bytes per element of a type code. */
export function esize(t: number): number {
  return t === ElemType.U8 ? 1 : t === ElemType.F64 ? 8 : 4;
}

/** An operand as the kernels see it: an address (of element [0,…,0]), a type code, a shape and element strides. */
export interface Operand {
  /** Byte address of element [0,…,0]. */
  addr: number;
  /** Element type code. */
  type: number;
  /** Logical shape. */
  shape: readonly number[];
  /** Element strides. */
  strides: readonly number[];
}

/** The operand of a tensor view. */
export function operand(v: TensorView): Operand {
  const b = v.buffer as WasmBuffer;
  return { addr: b.ptr + v.offset * itemSize(v.dtype), type: etype(v.dtype), shape: v.shape, strides: v.strides };
}

/** One kernel call: allocates outputs and temporaries, frees temporaries at the end, and everything on error. */
export class Ctx {
  private temps: number[] = [];
  private outs: WasmBuffer[] = [];

  constructor(readonly rt: WasmRuntime) {
    rt.args.reset();
  }

  /** A fresh output buffer for a spec. */
  out(spec: OutputSpec): WasmBuffer {
    const bytes = sizeOf(spec.shape) * itemSize(spec.dtype);
    const b: WasmBuffer = { ptr: bytes > 0 ? this.rt.alloc(bytes, `a ${spec.dtype} tensor of shape [${spec.shape.join(',')}]`) : 0, bytes };
    this.outs.push(b);
    return b;
  }

  /** A temporary block freed when the call ends. */
  tmp(bytes: number, what = 'a kernel temporary'): number {
    if (bytes <= 0) return 0;
    const p = this.rt.alloc(bytes, what);
    this.temps.push(p);
    return p;
  }

  /** Runs the body, then frees temporaries; on error frees outputs too. */
  static run<T>(rt: WasmRuntime, body: (ctx: Ctx) => T): T {
    const ctx = new Ctx(rt);
    try {
      return body(ctx);
    } catch (e) {
      for (const b of ctx.outs) if (b.ptr) rt.free(b.ptr);
      throw e;
    } finally {
      for (const p of ctx.temps) rt.free(p);
      rt.args.release();
    }
  }

  /**
   * Copies `src` (any layout, shape `shape` after broadcasting with `srcStrides`) into `dst`
   * (laid out with `dstStrides`), converting to type `dstType`.
   */
  copy(src: Operand, srcStrides: readonly number[], dstAddr: number, dstStrides: readonly number[], dstType: number, shape: readonly number[]): void {
    const total = sizeOf(shape);
    if (total === 0) return;
    const c = coalesce(shape, [srcStrides, dstStrides]);
    const a = this.rt.args;
    const r = c.shape.length;
    if (src.type === dstType && esize(dstType) === 4 && (r === 2 || r === 3) && c.strides[1]![r - 1] === 1 && c.strides[0]![r - 2] === 1 && c.strides[0]![r - 1]! > 16) {
      // a transpose of the last two dims: tiled
      const [B, R, C] = r === 3 ? c.shape : [1, ...c.shape];
      const [sb, sj] = r === 3 ? [c.strides[0]![0]!, c.strides[0]![2]!] : [0, c.strides[0]![1]!];
      const [db, dr] = r === 3 ? [c.strides[1]![0]!, c.strides[1]![1]!] : [0, c.strides[1]![0]!];
      const nb = Math.ceil(R! / 16);
      if (B! * nb <= 65535) {
        a.i(1, B!).i(2, R!).i(3, C!).p(4, src.addr).i(5, sb).i(6, sj).p(7, dstAddr).i(8, db).i(9, dr).i(10, nb);
        this.rt.run('task_transpose', B! * nb);
        return;
      }
    }
    const per = perChunk(total);
    a.i(0, src.type).i(1, dstType).i(2, c.shape.length).p(3, a.i32(c.shape));
    a.p(4, src.addr).p(5, a.i32(c.strides[0]!)).p(6, dstAddr).p(7, a.i32(c.strides[1]!));
    a.i(8, per).f(9, total);
    this.rt.run('task_copy', Math.ceil(total / per));
  }

  /**
   * The address of a dense copy of `src` in type `type` (the operand itself when it is dense and
   * of that type already). With `shape`, `src` is first broadcast to it.
   */
  dense(src: Operand, type: number = src.type, shape: readonly number[] = src.shape): number {
    const strides = shape === src.shape ? src.strides : broadcastStrides(src.shape, src.strides, shape);
    if (type === src.type && isDense(shape, strides)) return src.addr;
    const dst = this.tmp(sizeOf(shape) * esize(type), 'a dense copy of an input');
    this.copy(src, strides, dst, denseStrides(shape), type, shape);
    return dst;
  }

  /** Fills `n` elements of size 1 or 4 at `addr` with a bit pattern. */
  fill(addr: number, n: number, size: 1 | 4, bits: number): void {
    if (n <= 0) return;
    const per = perChunk(n, ELEM_CHUNK * 4);
    this.rt.args.i(0, size).p(1, addr).f(2, n).i(3, bits).i(4, per);
    this.rt.run('task_fill', Math.ceil(n / per));
  }
}

const f32bits = new Int32Array(new Float32Array(1).buffer);
/** The int32 bit pattern of a float32 value. */
export function floatBits(v: number): number {
  new Float32Array(f32bits.buffer)[0] = v;
  return f32bits[0]!;
}
