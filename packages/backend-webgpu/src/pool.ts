/// <reference types="@webgpu/types" />
/**
 * The buffer pool. Tensor buffers are recycled by size class instead of being created and
 * destroyed per op (creating a GPUBuffer costs far more than a dispatch).
 *
 * Ordering is the subtle part. Kernels are encoded into a batch that is submitted later, while
 * `queue.writeBuffer` (used by uploads) takes effect at once on the queue timeline, i.e. *before*
 * the batch still being encoded. So a buffer freed while the current batch may still read it is
 * put on a `recent` list: a later kernel in the same batch may write it (dispatches run in order),
 * but an upload may not. At submit, `recent` joins `ready`, which is safe for everything.
 * @module
 */

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

/** A tensor buffer: the GPUBuffer and its capacity in bytes. */
export class GpuBuffer {
  /** Set when returned to the pool (a second free is ignored). */
  freed = false;
  /**
   * @param gpu the GPU buffer
   * @param bytes its capacity (the size class)
   * @param owner the pool that made it (buffers of a destroyed device are ignored)
   */
  constructor(
    readonly gpu: GPUBuffer,
    readonly bytes: number,
    readonly owner: BufferPool,
  ) {}
}

/** Rounds a byte count up to its size class: 256 B minimum, then 4 steps per power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = Math.max(256, p / 4);
  return Math.ceil(bytes / step) * step;
}

/** Counters of the buffer pool, as `webgpuMemory()` reports them. */
export interface PoolStats {
  /** Bytes of buffers handed out and not yet freed (by size class). */
  liveBytes: number;
  /** Buffers handed out and not yet freed. */
  liveBuffers: number;
  /** Bytes of idle buffers kept for reuse. */
  pooledBytes: number;
  /** GPUBuffers created so far. */
  created: number;
  /** Acquisitions served from the pool. */
  reused: number;
}

/** Recycles storage buffers by size class. */
export class BufferPool {
  private ready = new Map<number, GpuBuffer[]>();
  private recent = new Map<number, GpuBuffer[]>();
  private live = 0;
  private liveCount = 0;
  private pooled = 0;
  private created = 0;
  private reused = 0;
  /** Idle bytes kept beyond which freed buffers are destroyed. */
  maxPooledBytes = 512 * 2 ** 20;

  /**
   * @param device the device buffers are created on
   * @param maxBytes the largest buffer the device allows (binding size limit)
   * @param tooBig builds the error thrown for a request above `maxBytes`
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly maxBytes: number,
    private readonly tooBig: (bytes: number) => Error,
  ) {}

  /**
   * A buffer of at least `bytes`. `forWrite` (uploads) only takes buffers no pending command
   * reads; kernel outputs may take one freed in the batch being encoded.
   */
  acquire(bytes: number, forWrite: boolean): GpuBuffer {
    if (bytes > this.maxBytes) throw this.tooBig(bytes);
    const size = sizeClass(bytes);
    const cap = size <= this.maxBytes ? size : Math.ceil(bytes / 4) * 4;
    let b = forWrite ? undefined : this.recent.get(cap)?.pop();
    b ??= this.ready.get(cap)?.pop();
    if (b) {
      this.reused++;
      this.pooled -= b.bytes;
      b.freed = false;
    } else {
      const gpu = this.device.createBuffer({ size: cap, usage: STORAGE | COPY_SRC | COPY_DST });
      b = new GpuBuffer(gpu, cap, this);
      this.created++;
    }
    this.live += b.bytes;
    this.liveCount++;
    return b;
  }

  /** Returns a buffer; it becomes reusable by kernels at once and by uploads after the next submit. */
  release(b: GpuBuffer): void {
    if (b.freed) return;
    b.freed = true;
    this.live -= b.bytes;
    this.liveCount--;
    this.pooled += b.bytes;
    let list = this.recent.get(b.bytes);
    if (!list) this.recent.set(b.bytes, (list = []));
    list.push(b);
  }

  /** Called after each submit: recently freed buffers become safe for uploads; trims the pool. */
  onSubmit(): void {
    for (const [size, list] of this.recent) {
      if (list.length === 0) continue;
      let dst = this.ready.get(size);
      if (!dst) this.ready.set(size, (dst = []));
      dst.push(...list);
      list.length = 0;
    }
    if (this.pooled > this.maxPooledBytes) this.trim(this.maxPooledBytes / 2);
  }

  /** Destroys idle ready buffers, largest classes first, until at most `keep` idle bytes remain. */
  trim(keep = 0): void {
    const sizes = [...this.ready.keys()].sort((a, b) => b - a);
    for (const s of sizes) {
      const list = this.ready.get(s)!;
      while (list.length && this.pooled > keep) {
        const b = list.pop()!;
        this.pooled -= b.bytes;
        b.gpu.destroy();
      }
    }
  }

  /** Counters: live and pooled bytes, buffers created and reused. */
  stats(): PoolStats {
    return { liveBytes: this.live, liveBuffers: this.liveCount, pooledBytes: this.pooled, created: this.created, reused: this.reused };
  }
}
