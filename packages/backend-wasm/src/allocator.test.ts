// The host-side allocator: reuse of freed blocks, coalescing, growth, and the out-of-memory error
// (pure bookkeeping first, then through the backend).
import { describe, expect, it } from 'vitest';
import { matmul, memory, ones, setBackend, tensor, tidy, zeros } from '@tessera/tensor';
import { Allocator, WasmOutOfMemoryError } from './allocator.js';
import { runtime, wasmInfo } from './index.js';

function fake(limit = 2 ** 32) {
  let cap = 1 << 16;
  const grows: number[] = [];
  const a = new Allocator(
    1024,
    () => cap,
    (end) => {
      grows.push(end);
      cap = Math.ceil(end / 65536) * 65536;
    },
    limit,
  );
  return { a, grows, cap: () => cap };
}

describe('Allocator', () => {
  it('reuses a freed block for a request of the same size', () => {
    const { a } = fake();
    const p = a.alloc(1000);
    a.alloc(64); // keeps p from being the top
    a.free(p);
    expect(a.alloc(1000)).toBe(p);
    expect(a.stats().reused).toBe(1);
  });

  it('splits a larger free block and coalesces neighbours on free', () => {
    const { a } = fake();
    const p = a.alloc(256);
    const q = a.alloc(256);
    const r = a.alloc(256);
    a.alloc(64);
    a.free(p);
    a.free(r);
    a.free(q); // p, q, r merge into one 768-byte block
    expect(a.stats().freeBlocks).toBe(1);
    expect(a.stats().freeBytes).toBe(768);
    expect(a.alloc(700)).toBe(p);
    const s = a.alloc(64); // the 64-byte rest of the merged block
    expect(s).toBe(p + 704);
  });

  it('gives a freed block at the top back to the top', () => {
    const { a } = fake();
    const start = a.stats().top;
    const p = a.alloc(5000);
    const q = a.alloc(5000);
    a.free(p);
    a.free(q);
    expect(a.stats()).toMatchObject({ top: start, freeBlocks: 0, liveBytes: 0 });
  });

  it('grows the memory when the top passes its end', () => {
    const { a, grows, cap } = fake();
    a.alloc(200_000);
    expect(grows.length).toBe(1);
    expect(cap()).toBeGreaterThanOrEqual(1024 + 200_000);
    expect(a.stats().grows).toBe(1);
  });

  it('throws a clear error naming the request past the address space', () => {
    const { a } = fake(1 << 20);
    a.alloc(512 * 1024, 'first');
    expect(() => a.alloc(600 * 1024, 'a float32 tensor of shape [1000,150]')).toThrow(WasmOutOfMemoryError);
    expect(() => a.alloc(600 * 1024, 'a float32 tensor of shape [1000,150]')).toThrow(/614400 bytes\) for a float32 tensor of shape \[1000,150\].*address space/);
    // a failed request changes nothing
    expect(a.stats().liveBlocks).toBe(1);
  });

  it('rejects a double free', () => {
    const { a } = fake();
    const p = a.alloc(10);
    a.free(p);
    expect(() => a.free(p)).toThrow(/not a live block/);
  });
});

describe('wasm backend memory', () => {
  it('reuses the block of a disposed tensor', () => {
    setBackend('wasm');
    const t = zeros([1000]);
    const keep = ones([10]);
    const ptr = (t.storage.buffer as { ptr: number }).ptr;
    t.dispose();
    const u = zeros([1000]);
    expect((u.storage.buffer as { ptr: number }).ptr).toBe(ptr);
    u.dispose();
    keep.dispose();
    setBackend('cpu');
  });

  it('grows the memory for a large tensor and keeps earlier data', () => {
    const small = tensor([1, 2, 3], { backend: 'wasm' });
    const before = wasmInfo().memoryBytes;
    const big = zeros([64 * 1024 * 1024 / 4 + before / 4], { backend: 'wasm' }); // more than the whole memory
    expect(wasmInfo().memoryBytes).toBeGreaterThan(before);
    expect(Array.from(small.dataSync())).toEqual([1, 2, 3]);
    expect(big.dataSync()[big.size - 1]).toBe(0);
    big.dispose();
    small.dispose();
  });

  it('reads back large tensors of every dtype into arrays of their own, exactly sized (unfilled host memory)', () => {
    // 100000 elements: past the size where the host array skips its zero fill; the copy must cover it all.
    const n = 100000;
    const f = tensor(Float32Array.from({ length: n }, (_, i) => i * 0.5 - 7), { backend: 'wasm' });
    const i32 = tensor(Int32Array.from({ length: n }, (_, i) => i * 3 - 1), { backend: 'wasm', dtype: 'int32' });
    const b = tensor(Array.from({ length: n }, (_, i) => i % 3 === 0), { backend: 'wasm', dtype: 'bool' });
    for (let round = 0; round < 3; round++) {
      const fd = f.dataSync();
      const id = i32.dataSync();
      const bd = b.dataSync();
      expect(fd).toBeInstanceOf(Float32Array);
      expect(id).toBeInstanceOf(Int32Array);
      expect(bd).toBeInstanceOf(Uint8Array);
      for (const [d, bytes] of [[fd, n * 4], [id, n * 4], [bd, n]] as const) {
        expect(d.length).toBe(n);
        expect(d.byteOffset).toBe(0);
        expect(d.buffer.byteLength).toBe(bytes);
      }
      for (let i = 0; i < n; i++) {
        if (fd[i] !== i * 0.5 - 7 || id[i] !== i * 3 - 1 || bd[i] !== (i % 3 === 0 ? 1 : 0)) throw new Error(`readback differs at ${i}`);
      }
      fd.fill(1); // a copy: writing it changes nothing on the device
    }
    expect(f.dataSync()[1]).toBe(-6.5);
    f.dispose();
    i32.dispose();
    b.dispose();
  });

  it('throws WasmOutOfMemoryError past 4 GiB, naming the tensor, and leaks nothing', () => {
    expect(() => runtime.alloc(2 ** 32, 'a test request')).toThrow(/out of memory: cannot allocate 4\.00 GiB \(4294967296 bytes\) for a test request/);
    const live = wasmInfo().allocator.liveBytes;
    const mem = memory().backends.wasm?.numBytes ?? 0;
    const a = ones([40000, 1], { backend: 'wasm' });
    const b = ones([1, 40000], { backend: 'wasm' });
    expect(() => tidy(() => matmul(a, b))).toThrow(WasmOutOfMemoryError);
    expect(() => tidy(() => matmul(a, b))).toThrow(/float32 tensor of shape \[40000,40000\]/);
    a.dispose();
    b.dispose();
    expect(wasmInfo().allocator.liveBytes).toBe(live);
    expect(memory().backends.wasm?.numBytes ?? 0).toBe(mem);
  });
});
