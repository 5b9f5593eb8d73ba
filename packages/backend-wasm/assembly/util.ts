// Shared helpers for the kernels: the fixed memory map, argument slots and per-thread scratch.
//
// The host (src/runtime.ts) owns all memory. Below HEAP_START it keeps fixed regions that both
// sides agree on; everything above is handed out by the host allocator. Kernels never allocate:
// the stub runtime is linked only because AssemblyScript needs one.

/** Constant table of vmath.ts (256 vectors), written once by init_constants. */
export const CONSTS: usize = 61440;
/** Thread control words (Int32Array on the host side, see src/pool.ts). */
export const CTRL: usize = 65536;
/** Per-thread workspace table: for tid t, a u32 pointer at WS_TABLE + 8t and a u32 size after it. */
export const WS_TABLE: usize = 73216;
/** Kernel arguments: 8-byte slots (i32 or u32 in the low half, or an f64), then arrays. */
export const ARGS: usize = 73728;
/** Per-thread scratch, SCRATCH_SIZE bytes per tid (index vectors, edge tiles, small tables). */
export const SCRATCH: usize = 139264;
export const SCRATCH_SIZE: usize = 4096;
/** First byte the host allocator may hand out. */
export const HEAP_START: usize = 524288;

/** Element type codes, as in src/args.ts. */
export const F32: i32 = 0;
export const I32: i32 = 1;
export const U8: i32 = 2;
export const F64: i32 = 3;

/** The i32 in argument slot `i`. */
@inline export function ai(args: usize, i: i32): i32 {
  return load<i32>(args + (<usize>i << 3));
}
/** The pointer (u32) in argument slot `i`. */
@inline export function ap(args: usize, i: i32): usize {
  return <usize>load<u32>(args + (<usize>i << 3));
}
/** The f64 in argument slot `i`. */
@inline export function af(args: usize, i: i32): f64 {
  return load<f64>(args + (<usize>i << 3));
}
/** Element `j` of the i32 array whose address is in slot `i`. */
@inline export function aai(args: usize, i: i32, j: i32): i32 {
  return load<i32>(ap(args, i) + (<usize>j << 2));
}

/** Scratch memory of thread `tid`. */
@inline export function scratch(tid: i32): usize {
  return SCRATCH + (<usize>tid) * SCRATCH_SIZE;
}
/** Workspace of thread `tid` (packing buffers, im2col columns, attention tiles). */
@inline export function workspace(tid: i32): usize {
  return <usize>load<u32>(WS_TABLE + (<usize>tid << 3));
}

@inline export function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}
@inline export function imax(a: i32, b: i32): i32 {
  return a > b ? a : b;
}

/** JavaScript's ToInt32 of a float: truncate, wrap modulo 2^32, non-finite gives 0 (Int32Array stores). */
@inline export function toInt32(x: f64): i32 {
  if (!isFinite(x)) return 0;
  if (Math.abs(x) >= 9.2e18) return 0; // beyond i64: every such float is a multiple of 2^32
  return <i32>(<i64>x);
}

/** Byte size of an element type code. */
@inline export function elemSize(t: i32): usize {
  return t == U8 ? 1 : t == F64 ? 8 : 4;
}

// ---- N-d iteration over a flat range of a row-major shape ----------------------------------------
//
// Kernels over strided operands walk [start, end) of the output in row-major order, one run of the
// innermost dim at a time: `ndUnravel` turns `start` into a multi-index (kept in scratch), the
// caller processes min(remaining, shape[last] - idx[last]) elements, then `ndAdvance` carries.
// Operand offsets are recomputed per run with `ndDot` (rank multiply-adds per run, not per element).

/** Writes the multi-index of flat position `pos` of `shape` (rank dims) to `idx`. */
export function ndUnravel(rank: i32, shape: usize, pos: i64, idx: usize): void {
  for (let d = rank - 1; d >= 0; d--) {
    const s = <i64>load<i32>(shape + (<usize>d << 2));
    store<i32>(idx + (<usize>d << 2), s > 0 ? <i32>(pos % s) : 0);
    if (s > 0) pos /= s;
  }
}

/** Σ idx[d]·strides[d] over the first `rank - 1` dims (the innermost is walked by the caller). */
@inline export function ndDotOuter(rank: i32, idx: usize, strides: usize): i64 {
  let o: i64 = 0;
  for (let d = 0; d < rank - 1; d++) o += <i64>load<i32>(idx + (<usize>d << 2)) * <i64>load<i32>(strides + (<usize>d << 2));
  return o;
}

/** Advances `idx` by `n` along the innermost dim, carrying into outer dims. */
export function ndAdvance(rank: i32, shape: usize, idx: usize, n: i32): void {
  const last = rank - 1;
  let v = load<i32>(idx + (<usize>last << 2)) + n;
  if (v < load<i32>(shape + (<usize>last << 2))) {
    store<i32>(idx + (<usize>last << 2), v);
    return;
  }
  store<i32>(idx + (<usize>last << 2), 0);
  for (let d = last - 1; d >= 0; d--) {
    const p = idx + (<usize>d << 2);
    v = load<i32>(p) + 1;
    if (v < load<i32>(shape + (<usize>d << 2))) {
      store<i32>(p, v);
      return;
    }
    store<i32>(p, 0);
  }
}
