/**
 * Reference-counted backend buffers and the live-memory accounting behind `memory()`.
 * Views share one Storage; the buffer is freed when its last tensor is disposed.
 * @module
 */
import type { Backend } from './backend.js';
import { type DType, itemSize } from './dtype.js';

interface BackendCounts {
  numTensors: number;
  numBytes: number;
  numBuffers: number;
}

const counts = new Map<string, BackendCounts>();

function countsFor(name: string): BackendCounts {
  let c = counts.get(name);
  if (!c) {
    c = { numTensors: 0, numBytes: 0, numBuffers: 0 };
    counts.set(name, c);
  }
  return c;
}

/** A backend buffer shared by a tensor and its views. */
export class Storage {
  /** Number of tensors referring to this storage. */
  refs = 0;
  /** Bytes held on the backend. */
  readonly bytes: number;

  /**
   * @param backend the backend that owns `buffer`
   * @param buffer the backend's handle
   * @param dtype element type
   * @param size number of elements
   */
  constructor(
    readonly backend: Backend,
    readonly buffer: unknown,
    readonly dtype: DType,
    readonly size: number,
  ) {
    this.bytes = size * itemSize(dtype);
    const c = countsFor(backend.name);
    c.numBytes += this.bytes;
    c.numBuffers++;
  }

  /** Called by each tensor that starts using this storage. */
  retain(): void {
    this.refs++;
    countsFor(this.backend.name).numTensors++;
  }

  /** Called by each tensor that stops using it; frees the buffer with the last one. */
  release(): void {
    this.refs--;
    const c = countsFor(this.backend.name);
    c.numTensors--;
    if (this.refs === 0) {
      c.numBytes -= this.bytes;
      c.numBuffers--;
      this.backend.free(this.buffer);
    }
  }
}

/** Live memory of one backend. */
export interface BackendMemory {
  /** Tensors not yet disposed (views count separately). */
  numTensors: number;
  /** Bytes of live buffers. */
  numBytes: number;
  /** Live buffers (a tensor and its views share one). */
  numBuffers: number;
}

/** Live memory over all backends and per backend. */
export interface MemoryInfo extends BackendMemory {
  /** Per backend name. */
  backends: Record<string, BackendMemory>;
}

/** Reports live tensors, buffers and bytes, in total and per backend. */
export function memory(): MemoryInfo {
  const info: MemoryInfo = { numTensors: 0, numBytes: 0, numBuffers: 0, backends: {} };
  for (const [name, c] of counts) {
    info.backends[name] = { ...c };
    info.numTensors += c.numTensors;
    info.numBytes += c.numBytes;
    info.numBuffers += c.numBuffers;
  }
  return info;
}
