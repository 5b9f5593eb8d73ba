/**
 * The host-side allocator over the wasm heap. Kernels never allocate: every tensor buffer,
 * temporary and per-thread workspace is a block handed out here.
 *
 * Blocks are multiples of 64 bytes (one cache line, so every buffer is SIMD- and line-aligned).
 * Free blocks are coalesced with free neighbours on release and kept in power-of-two size bins;
 * a request takes the best fit from its own bin, else any block of a larger bin (splitting off the
 * rest), else bumps the top of the heap, growing the memory when the top passes its end. A free
 * block that reaches the top is given back to it, so a heap that empties shrinks to its start.
 * @module
 */
import { BackendError } from '@tessera/tensor';

/** Bytes per allocation unit. */
export const ALIGN = 64;

/** The wasm32 address space: 65536 pages of 64 KiB. */
export const ADDRESS_SPACE = 2 ** 32;

/** Thrown when a request cannot be met within the 4 GiB wasm32 address space (or the engine refuses to grow). */
export class WasmOutOfMemoryError extends BackendError {}

/** A snapshot of the allocator. */
export interface AllocatorStats {
  /** Bytes in live blocks (rounded up to 64). */
  liveBytes: number;
  /** Live blocks. */
  liveBlocks: number;
  /** Bytes in free blocks below the top. */
  freeBytes: number;
  /** Free blocks below the top. */
  freeBlocks: number;
  /** End of the used heap (the bump pointer). */
  top: number;
  /** Highest `liveBytes` seen. */
  peakLiveBytes: number;
  /** Allocations served in all. */
  allocations: number;
  /** Allocations served from a free block rather than the top. */
  reused: number;
  /** Times the memory grew. */
  grows: number;
}

function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Size bin of a block: floor(log2(size)). */
function bin(size: number): number {
  return 31 - Math.clz32(Math.min(size, 2 ** 31));
}

/** A first-fit-by-bin, best-fit-within-bin allocator with coalescing. Pure bookkeeping: memory is grown through a callback. */
export class Allocator {
  private top: number;
  private readonly live = new Map<number, number>();
  private readonly freeByStart = new Map<number, number>();
  private readonly freeByEnd = new Map<number, number>();
  private readonly bins: Set<number>[] = Array.from({ length: 33 }, () => new Set<number>());
  private liveBytes = 0;
  private peak = 0;
  private allocations = 0;
  private reused = 0;
  private grows = 0;

  /**
   * @param start first address to hand out (64-aligned)
   * @param capacity current end of the memory
   * @param grow makes the memory reach at least `end` bytes (throws if it cannot)
   * @param limit end of the address space (4 GiB; lower in tests)
   */
  constructor(
    readonly start: number,
    private readonly capacity: () => number,
    private readonly grow: (end: number) => void,
    readonly limit: number = ADDRESS_SPACE,
  ) {
    this.top = start;
  }

  /** Allocates `bytes` (> 0) and returns the block's address. `what` names the request in errors. */
  alloc(bytes: number, what = 'a buffer'): number {
    if (!(bytes > 0) || !Number.isFinite(bytes)) throw new BackendError(`wasm allocator: invalid request of ${bytes} bytes for ${what}`);
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    this.allocations++;
    let ptr = this.takeFree(size);
    if (ptr >= 0) {
      this.reused++;
    } else {
      const end = this.top + size;
      if (end > this.limit) {
        throw new WasmOutOfMemoryError(
          `wasm backend: out of memory: cannot allocate ${fmtBytes(bytes)} (${bytes} bytes) for ${what}; the heap would end at ${fmtBytes(end)}, ` +
            `past the ${fmtBytes(this.limit)} wasm32 address space (live: ${fmtBytes(this.liveBytes)} in ${this.live.size} buffers, free below the top: ${fmtBytes(this.freeTotal())}). ` +
            'Dispose tensors you no longer need (tidy, dispose) or use smaller shapes.',
        );
      }
      if (end > this.capacity()) {
        try {
          this.grow(end);
        } catch (e) {
          throw new WasmOutOfMemoryError(
            `wasm backend: out of memory: cannot allocate ${fmtBytes(bytes)} (${bytes} bytes) for ${what}: the engine refused to grow the memory to ${fmtBytes(end)} (${(e as Error).message})`,
          );
        }
        this.grows++;
      }
      ptr = this.top;
      this.top = end;
    }
    this.live.set(ptr, size);
    this.liveBytes += size;
    if (this.liveBytes > this.peak) this.peak = this.liveBytes;
    return ptr;
  }

  /** Returns a block. Throws on an address that is not a live block (double free). */
  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new BackendError(`wasm allocator: free of ${ptr}, which is not a live block (double free?)`);
    this.live.delete(ptr);
    this.liveBytes -= size;
    let start = ptr;
    let end = ptr + size;
    const before = this.freeByEnd.get(start);
    if (before !== undefined) {
      this.removeFree(before);
      start = before;
    }
    const afterSize = this.freeByStart.get(end);
    if (afterSize !== undefined) {
      this.removeFree(end);
      end += afterSize;
    }
    if (end === this.top) this.top = start;
    else this.addFree(start, end - start);
  }

  /** Size in bytes of a live block. */
  sizeOf(ptr: number): number | undefined {
    return this.live.get(ptr);
  }

  /** A snapshot of the counters. */
  stats(): AllocatorStats {
    return {
      liveBytes: this.liveBytes,
      liveBlocks: this.live.size,
      freeBytes: this.freeTotal(),
      freeBlocks: this.freeByStart.size,
      top: this.top,
      peakLiveBytes: this.peak,
      allocations: this.allocations,
      reused: this.reused,
      grows: this.grows,
    };
  }

  private freeTotal(): number {
    let n = 0;
    for (const s of this.freeByStart.values()) n += s;
    return n;
  }

  private takeFree(size: number): number {
    const b0 = bin(size);
    // Best fit within the request's own bin (its blocks may be smaller than the request).
    let best = -1;
    let bestSize = Infinity;
    for (const start of this.bins[b0]!) {
      const s = this.freeByStart.get(start)!;
      if (s >= size && s < bestSize) {
        best = start;
        bestSize = s;
        if (s === size) break;
      }
    }
    // Else the smallest non-empty larger bin: any of its blocks fits.
    for (let b = b0 + 1; best < 0 && b < this.bins.length; b++) {
      const set = this.bins[b]!;
      if (set.size === 0) continue;
      for (const start of set) {
        const s = this.freeByStart.get(start)!;
        if (s < bestSize) {
          best = start;
          bestSize = s;
        }
      }
    }
    if (best < 0) return -1;
    this.removeFree(best);
    if (bestSize > size) this.addFree(best + size, bestSize - size);
    return best;
  }

  private addFree(start: number, size: number): void {
    this.freeByStart.set(start, size);
    this.freeByEnd.set(start + size, start);
    this.bins[bin(size)]!.add(start);
  }

  private removeFree(start: number): void {
    const size = this.freeByStart.get(start)!;
    this.freeByStart.delete(start);
    this.freeByEnd.delete(start + size);
    this.bins[bin(size)]!.delete(start);
  }
}
