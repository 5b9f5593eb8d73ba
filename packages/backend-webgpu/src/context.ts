/// <reference types="@webgpu/types" />
/**
 * One initialised device and everything that lives with it: the buffer pool, the pipeline cache,
 * and command batching.
 *
 * Batching: every kernel appends a dispatch to one open compute pass of one command encoder; the
 * batch is submitted when something must be read back, when it holds {@link MAX_BATCH} dispatches,
 * or when the uniform arena is full — never once per op (a submit costs 40–90 µs on the software
 * adapters, a dispatch in an open pass 16–24 µs). Per-dispatch parameters (shapes, strides,
 * scalars) go into one uniform arena, a host array copied to the GPU with a single
 * `writeBuffer` just before the submit; each dispatch binds its own 256-byte-aligned slice.
 * @module
 */
import { BackendError } from '@tessera/tensor';
import { BufferPool, GpuBuffer } from './pool.js';

const MAP_READ = 0x01;
const COPY_DST = 0x08;
const UNIFORM = 0x40;
const COMPUTE = 0x4;

/** Dispatches per submitted batch. */
export const MAX_BATCH = 512;
const ARENA_BYTES = 1 << 20;

/** Per-dispatch scalar parameters, written as 32-bit words (floats by their bits). */
export class Params {
  private words: number[] = [];
  private static f = new Float32Array(1);
  private static u = new Uint32Array(Params.f.buffer);

  /** Appends an unsigned integer; returns its word index. */
  u(v: number): number {
    this.words.push(v >>> 0);
    return this.words.length - 1;
  }

  /** Appends a signed integer (two's complement); returns its word index. */
  i(v: number): number {
    this.words.push(v | 0);
    return this.words.length - 1;
  }

  /** Appends a float32 by its bits (±Infinity and NaN included); returns its word index. */
  f(v: number): number {
    Params.f[0] = v;
    this.words.push(Params.u[0]!);
    return this.words.length - 1;
  }

  /** Appends several unsigned integers; returns the index of the first. */
  us(vs: readonly number[]): number {
    const at = this.words.length;
    for (const v of vs) this.u(v);
    return at;
  }

  /** Number of words. */
  get length(): number {
    return this.words.length;
  }

  /** Number of vec4<u32> the shader's parameter array holds (at least 1). */
  get vec4s(): number {
    return Math.max(1, Math.ceil(this.words.length / 4));
  }

  /** The words, padded to whole vec4s. */
  toArray(): Uint32Array {
    const a = new Uint32Array(this.vec4s * 4);
    for (let i = 0; i < this.words.length; i++) a[i] = this.words[i]!;
    return a;
  }
}

/** One dispatch: a pipeline (built from `code` on a cache miss), its buffers and parameters. */
export interface Launch {
  /** Pipeline cache key: op, dtypes, rank class, variant — never the shape itself. */
  key: string;
  /** WGSL source; called only on a cache miss. Bindings: reads, then writes, then `params`. */
  code: () => string;
  /** Read-only storage buffers, bindings 0..r-1. */
  reads: readonly GpuBuffer[];
  /** Read-write storage buffers, bindings r..r+w-1. */
  writes: readonly GpuBuffer[];
  /** Uniform parameters (binding r+w). */
  params: Params;
  /** Workgroup counts (see {@link GpuContext.grid}). */
  groups: readonly [number, number, number];
}

/** Facts about the device that kernels choose variants by. */
export interface DeviceInfo {
  /** Adapter description (vendor, architecture, description). */
  adapter: string;
  /** Whether it is a CPU rasteriser (SwiftShader, llvmpipe, …). */
  cpu: boolean;
  /** `'core'` or `'compatibility'`. */
  featureLevel: string;
  /** Where the GPU came from. */
  source: 'given' | 'navigator' | 'dawn';
  /** The chosen matmul variant. */
  matmul: 'registers' | 'tiled';
  /** Features the device was created with. */
  features: string[];
  /** Storage buffers a shader stage may bind (4 by default in compatibility mode, 8 in core). */
  maxStorageBuffers: number;
  /**
   * Largest score matrix (batch·L·S elements) attention may materialise to use the matmul
   * kernels; beyond it, and always when 0, the online-softmax kernel runs.
   */
  attentionScoreBudget: number;
  /** Largest unfolded input (N·Cin·kvol·P elements) conv runs as im2col + matmul; else direct. */
  im2colBudget: number;
}

/** A device with its pool, pipelines and open batch. */
export class GpuContext {
  /** Buffer pool. */
  readonly pool: BufferPool;
  /** Set when the device is lost: the reason, for error messages. */
  lostReason: string | null = null;
  /** Set by {@link destroy}. */
  destroyed = false;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private lastPipeline: GPUComputePipeline | null = null;
  private readonly arenaHost = new ArrayBuffer(ARENA_BYTES);
  private readonly arenaU32 = new Uint32Array(this.arenaHost);
  private readonly arena: GPUBuffer;
  private arenaUsed = 0;
  private readonly align: number;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private readonly staging = new Map<number, GPUBuffer[]>();
  private errors: string[] = [];
  /** Submits so far (for tests and the bench). */
  submits = 0;
  /** Largest workgroup count per dimension. */
  readonly maxGroups: number;

  /**
   * @param device the device
   * @param info facts kernels choose variants by
   * @param owners the GPU and adapter the device came from. Held for the device's lifetime: with
   *   Dawn, a garbage-collected `GPU` object destroys its instance while the device still polls it
   *   (a use-after-free in `InstanceBase::ProcessEvents` that aborts the process at random).
   */
  constructor(
    readonly device: GPUDevice,
    readonly info: DeviceInfo,
    readonly owners: { gpu: GPU; adapter: GPUAdapter },
  ) {
    const lim = device.limits;
    const maxBinding = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    this.pool = new BufferPool(device, maxBinding, (bytes) => new BackendError(
      `webgpu: a buffer of ${bytes} bytes exceeds this device's maxStorageBufferBindingSize of ${maxBinding} bytes ` +
        `(adapter '${info.adapter}'); split the tensor, or use an adapter with larger limits (SwiftShader allows 1 GiB, llvmpipe 128 MiB)`,
    ));
    this.align = Math.max(16, lim.minUniformBufferOffsetAlignment);
    this.maxGroups = lim.maxComputeWorkgroupsPerDimension;
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: UNIFORM | COPY_DST });
    device.addEventListener('uncapturederror', (e) => {
      const err = (e as GPUUncapturedErrorEvent).error;
      if (this.errors.length < 8) this.errors.push(err.message);
    });
    void device.lost.then((i) => {
      if (!this.destroyed) this.lostReason = `${i.reason}: ${i.message}`;
    });
  }

  /** Throws if the device can no longer be used. */
  check(): void {
    if (this.destroyed) throw new BackendError("webgpu: the device was destroyed by destroyWebGPU(); call 'await initWebGPU()' to make a new one");
    if (this.lostReason !== null) {
      throw new BackendError(
        `webgpu: the device was lost (${this.lostReason}); call 'await initWebGPU()' again for a new device (tensors of the lost device cannot be used)`,
      );
    }
  }

  /** Throws the first GPU validation error recorded since the last call, if any. */
  takeErrors(): void {
    if (this.errors.length === 0) return;
    const first = this.errors[0]!;
    const more = this.errors.length - 1;
    this.errors = [];
    throw new BackendError(`webgpu: GPU error: ${first}${more ? ` (and ${more} more)` : ''}`);
  }

  /** Workgroup counts for `n` workgroups, folded into y (and z) past the per-dimension limit. */
  grid(n: number): [number, number, number] {
    const m = this.maxGroups;
    if (n <= m) return [Math.max(1, n), 1, 1];
    const y = Math.ceil(n / m);
    if (y <= m) return [m, y, 1];
    return [m, m, Math.ceil(n / (m * m))];
  }

  private layoutFor(reads: number, writes: number): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const sig = `${reads}r${writes}w`;
    let l = this.layouts.get(sig);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < reads; i++) entries.push({ binding: i, visibility: COMPUTE, buffer: { type: 'read-only-storage' } });
      for (let i = 0; i < writes; i++) entries.push({ binding: reads + i, visibility: COMPUTE, buffer: { type: 'storage' } });
      entries.push({ binding: reads + writes, visibility: COMPUTE, buffer: { type: 'uniform' } });
      const group = this.device.createBindGroupLayout({ entries });
      l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(sig, l);
    }
    return l;
  }

  private pipelineFor(spec: Launch, layout: GPUPipelineLayout): GPUComputePipeline {
    const key = `${spec.key}|${spec.reads.length}r${spec.writes.length}w|p${spec.params.vec4s}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: spec.code(), label: spec.key });
      p = this.device.createComputePipeline({ layout, compute: { module, entryPoint: 'main' }, label: spec.key });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Number of cached pipelines. */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  private openPass(): GPUComputePassEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    if (!this.pass) {
      this.pass = this.encoder.beginComputePass();
      this.lastPipeline = null;
    }
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Encodes one dispatch into the open batch (submitting the batch first if it is full). */
  launch(spec: Launch): void {
    this.check();
    const words = spec.params.toArray();
    const bytes = words.byteLength;
    const at = Math.ceil(this.arenaUsed / this.align) * this.align;
    if (at + bytes > ARENA_BYTES || this.dispatches >= MAX_BATCH) {
      this.flush();
      return this.launch(spec);
    }
    if (spec.reads.length + spec.writes.length > this.info.maxStorageBuffers) {
      throw new BackendError(`webgpu: ${spec.key} binds ${spec.reads.length + spec.writes.length} storage buffers, more than this device's ${this.info.maxStorageBuffers}`);
    }
    for (const b of [...spec.reads, ...spec.writes]) {
      if (b.freed) throw new BackendError(`webgpu: ${spec.key}: a buffer was used after it was freed (a disposed tensor?)`);
    }
    this.arenaU32.set(words, at / 4);
    this.arenaUsed = at + bytes;
    const layout = this.layoutFor(spec.reads.length, spec.writes.length);
    const pipeline = this.pipelineFor(spec, layout.pipeline);
    const entries: GPUBindGroupEntry[] = [];
    spec.reads.forEach((b, i) => entries.push({ binding: i, resource: { buffer: b.gpu } }));
    spec.writes.forEach((b, i) => entries.push({ binding: spec.reads.length + i, resource: { buffer: b.gpu } }));
    entries.push({ binding: spec.reads.length + spec.writes.length, resource: { buffer: this.arena, offset: at, size: bytes } });
    const group = this.device.createBindGroup({ layout: layout.group, entries });
    const pass = this.openPass();
    if (pipeline !== this.lastPipeline) {
      pass.setPipeline(pipeline);
      this.lastPipeline = pipeline;
    }
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(spec.groups[0], spec.groups[1], spec.groups[2]);
    this.dispatches++;
  }

  /** Submits the open batch, if any. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaHost, 0, Math.ceil(this.arenaUsed / 4) * 4);
    this.device.queue.submit([this.encoder.finish()]);
    this.submits++;
    this.encoder = null;
    this.arenaUsed = 0;
    this.dispatches = 0;
    this.pool.onSubmit();
  }

  /** A new buffer holding `data` (written at once on the queue, ahead of the open batch). */
  upload(data: ArrayBufferView): GpuBuffer {
    this.check();
    const b = this.pool.acquire(Math.max(4, data.byteLength), true);
    if (data.byteLength > 0) this.device.queue.writeBuffer(b.gpu, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  }

  /** Reads `bytes` from the start of a buffer: flushes the batch and waits for the copy. */
  async read(b: GpuBuffer, bytes: number): Promise<ArrayBuffer> {
    this.check();
    if (bytes === 0) return new ArrayBuffer(0);
    const size = Math.ceil(bytes / 4) * 4;
    const cls = Math.max(256, 2 ** Math.ceil(Math.log2(size)));
    const staging = this.staging.get(cls)?.pop() ?? this.device.createBuffer({ size: cls, usage: MAP_READ | COPY_DST });
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(b.gpu, 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(MAP_READ, 0, size);
    } catch (e) {
      this.check();
      this.takeErrors();
      throw new BackendError(`webgpu: reading a buffer back failed: ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    let list = this.staging.get(cls);
    if (!list) this.staging.set(cls, (list = []));
    if (list.length < 4) list.push(staging);
    else staging.destroy();
    this.takeErrors();
    return out;
  }

  /** Waits until the GPU has finished all submitted work (flushing first). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.takeErrors();
  }

  /** Destroys the device (and with it every buffer); the context cannot be used afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    try {
      if (this.lostReason === null) this.flush();
    } catch {
      // A failing submit must not keep the device (and the core Dawn spins) alive.
    }
    this.destroyed = true;
    this.pipelines.clear();
    this.device.destroy();
  }
}
