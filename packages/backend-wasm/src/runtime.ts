/**
 * The wasm runtime: one `WebAssembly.Memory` (shared when SharedArrayBuffer exists), the kernel
 * instance over it, the allocator, the thread pool, and the argument area through which the host
 * passes each task its parameters.
 *
 * Memory map (assembly/util.ts): [0, 64 KiB) unused; CTRL (thread control words); WS_TABLE (a
 * workspace pointer and size per thread); ARGS (64 KiB of 8-byte argument slots, then arrays);
 * SCRATCH (4 KiB per thread); the allocator's heap from HEAP_START up to 4 GiB.
 * @module
 */
import { BackendError } from '@tessera/tensor';
import { Allocator, type AllocatorStats } from './allocator.js';
import { type LoadedModule } from './loader.js';
import { ARGS, MAX_THREADS, ThreadPool } from './pool.js';

const WS_TABLE = 73216;
const ARGS_BYTES = 65536;
/** Argument slots before the array area. */
const HEADER_SLOTS = 64;
const HEAP_START = 524288;
const PAGE = 65536;
const INITIAL_PAGES = 256;
const MAX_PAGES = 65536;

type TaskFn = (args: number, chunk: number, tid: number) => void;

/** Element type codes shared with the kernels (assembly/util.ts). */
export const ElemType = { F32: 0, I32: 1, U8: 2, F64: 3 } as const;

/**
 * Writes one task's arguments: scalar slots (8 bytes each) and arrays after them. Arrays that do
 * not fit the argument area go to temporary heap blocks, freed by `release()`.
 */
export class Args {
  private next = ARGS + HEADER_SLOTS * 8;
  private temps: number[] = [];

  constructor(private readonly rt: WasmRuntime) {}

  /** Starts a new task's arguments (and zeroes the error slots 30-33). */
  reset(): this {
    this.release();
    this.next = ARGS + HEADER_SLOTS * 8;
    const dv = this.rt.dv();
    for (let s = 30; s < 34; s++) dv.setFloat64(ARGS + s * 8, 0, true);
    return this;
  }

  /** An int32 slot. */
  i(slot: number, v: number): this {
    this.rt.dv().setInt32(ARGS + slot * 8, v, true);
    return this;
  }

  /** A pointer (u32) slot. */
  p(slot: number, ptr: number): this {
    this.rt.dv().setUint32(ARGS + slot * 8, ptr, true);
    return this;
  }

  /** A float64 slot. */
  f(slot: number, v: number): this {
    this.rt.dv().setFloat64(ARGS + slot * 8, v, true);
    return this;
  }

  /** Reads an int32 slot back (error reports). */
  get(slot: number): number {
    return this.rt.dv().getInt32(ARGS + slot * 8, true);
  }

  private room(bytes: number): number {
    const aligned = Math.ceil(bytes / 8) * 8;
    if (this.next + aligned <= ARGS + ARGS_BYTES) {
      const p = this.next;
      this.next += aligned;
      return p;
    }
    const p = this.rt.alloc(bytes, 'kernel arguments');
    this.temps.push(p);
    return p;
  }

  /** An int32 array; returns its address. */
  i32(values: ArrayLike<number>): number {
    const p = this.room(Math.max(4, values.length * 4));
    const view = new Int32Array(this.rt.memory.buffer, p, values.length);
    for (let k = 0; k < values.length; k++) view[k] = values[k]!;
    return p;
  }

  /** A float64 array; returns its address. */
  f64(values: ArrayLike<number>): number {
    const p = this.room(Math.max(8, values.length * 8));
    new Float64Array(this.rt.memory.buffer, p, values.length).set(values);
    return p;
  }

  /** Frees temporary arrays. */
  release(): void {
    for (const p of this.temps) this.rt.free(p);
    this.temps = [];
  }
}

/** The runtime: memory, instance, allocator, threads. */
export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly allocator: Allocator;
  readonly pool: ThreadPool;
  readonly args: Args;
  private readonly taskIds = new Map<string, number>();
  private readonly exports: Record<string, unknown>;
  private buf: ArrayBuffer | SharedArrayBuffer;
  private _dv: DataView;
  private wsBytes = 0;
  /** Workspace block of each thread id. */
  private readonly ws = new Map<number, number>();
  /** The memory's maximum, in 64 KiB pages (65536: the whole wasm32 address space). */
  readonly maxPages: number;

  constructor(readonly loaded: LoadedModule) {
    // A shared memory reserves its maximum up front; where 4 GiB of address space cannot be
    // reserved (32-bit or constrained hosts), settle for less.
    let maxPages = MAX_PAGES;
    for (;;) {
      try {
        this.memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: maxPages, shared: loaded.shared } as WebAssembly.MemoryDescriptor);
        break;
      } catch (e) {
        if (maxPages <= 4096) throw e;
        maxPages /= 2;
      }
    }
    this.maxPages = maxPages;
    const instance = new WebAssembly.Instance(loaded.module, {
      env: {
        memory: this.memory,
        abort: () => {
          throw new BackendError('wasm kernel aborted');
        },
      },
    });
    this.exports = instance.exports as Record<string, unknown>;
    (this.exports.init_constants as () => void)();
    const names = WebAssembly.Module.exports(loaded.module)
      .filter((e) => e.kind === 'function' && e.name.startsWith('task_'))
      .map((e) => e.name)
      .sort();
    names.forEach((n, i) => this.taskIds.set(n, i));
    this.buf = this.memory.buffer;
    this._dv = new DataView(this.buf);
    this.allocator = new Allocator(
      HEAP_START,
      () => this.memory.buffer.byteLength,
      (end) => {
        const have = this.memory.buffer.byteLength / PAGE;
        const need = Math.ceil(end / PAGE);
        // Grow geometrically (x1.5) to keep the number of grows logarithmic, within the maximum.
        const want = Math.min(this.maxPages, Math.max(need, Math.ceil(have * 1.5)));
        try {
          this.memory.grow(want - have);
        } catch {
          this.memory.grow(need - have);
        }
      },
      this.maxPages * PAGE,
    );
    this.pool = new ThreadPool(
      this.memory,
      loaded.module,
      names.map((n) => this.exports[n] as TaskFn),
    );
    this.args = new Args(this);
  }

  /** A DataView over the current memory (re-made after growth). */
  dv(): DataView {
    if (this.memory.buffer !== this.buf || this._dv.byteLength !== this.memory.buffer.byteLength) {
      this.buf = this.memory.buffer;
      this._dv = new DataView(this.buf);
    }
    return this._dv;
  }

  /** Allocates `bytes` on the heap. */
  alloc(bytes: number, what?: string): number {
    return this.allocator.alloc(bytes, what);
  }

  /** Frees a heap block. */
  free(ptr: number): void {
    this.allocator.free(ptr);
  }

  /** The numeric id of a task by name. */
  task(name: string): number {
    const id = this.taskIds.get(name);
    if (id === undefined) throw new BackendError(`wasm backend: the kernel module has no task '${name}'`);
    return id;
  }

  /** Runs chunks 0..n-1 of a task whose arguments are written; `parallel` allows workers. */
  run(name: string, n: number, parallel = true): void {
    this.pool.run(this.task(name), n, parallel);
  }

  /** A non-task export (e.g. gemm_params). */
  call(name: string, ...a: number[]): number {
    return (this.exports[name] as (...x: number[]) => number)(...a);
  }

  /** Makes every thread's workspace at least `bytes` long. */
  ensureWorkspace(bytes: number): void {
    const tids = this.pool.tids;
    if (bytes <= this.wsBytes && tids.every((t) => this.ws.has(t))) return;
    const size = Math.max(bytes, this.wsBytes);
    this.dropWorkspaces();
    const dv = this.dv();
    for (const t of tids) {
      const p = this.alloc(size, `the workspace of thread ${t}`);
      this.ws.set(t, p);
      dv.setUint32(WS_TABLE + t * 8, p, true);
      dv.setUint32(WS_TABLE + t * 8 + 4, size, true);
    }
    this.wsBytes = size;
  }

  /** Frees the workspaces (they are re-made on demand). */
  dropWorkspaces(): void {
    for (const p of this.ws.values()) this.free(p);
    this.ws.clear();
    this.wsBytes = 0;
    const dv = this.dv();
    for (let t = 0; t < MAX_THREADS; t++) dv.setBigUint64(WS_TABLE + t * 8, 0n, true);
  }

  /** Bytes held by workspaces. */
  get workspaceBytes(): number {
    return this.wsBytes * this.ws.size;
  }

  /** Allocator counters. */
  stats(): AllocatorStats {
    return this.allocator.stats();
  }
}
