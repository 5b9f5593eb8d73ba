import './index.js';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend } from './backend.js';
import { cpuBackend } from './cpu/index.js';
import type { DType, TypedArray } from './dtype.js';
import { ArgumentError, DisposedError, FormatError } from './errors.js';
import {
  loadSafetensors,
  parseSafetensors,
  saveSafetensors,
  serializeSafetensors,
  type SafetensorsDType,
} from './safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensors-node.js';
import { Tensor } from './tensor.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function mk(data: TypedArray, shape: number[], dtype: DType): Tensor {
  return Tensor.fromBuffer(cpuBackend, cpuBackend.upload(data, dtype), shape, dtype);
}

/** A safetensors buffer from a header (object, JSON text or raw bytes) and a data section. */
function fileBytes(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = header instanceof Uint8Array ? header : enc(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** A data section of `n` little-endian elements written by `set(dv, i)`. */
function section(bytesPer: number, n: number, set: (dv: DataView, i: number) => void): Uint8Array {
  const out = new Uint8Array(bytesPer * n);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) set(dv, i);
  return out;
}

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function expectFormatError(fn: () => unknown, ...parts: string[]): void {
  const err = catchError(fn);
  expect(err).toBeInstanceOf(FormatError);
  for (const p of parts) expect(err.message).toContain(p);
}

function expectSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`element ${i}: got ${Object.is(actual[i], -0) ? '-0' : actual[i]}, expected ${Object.is(expected[i], -0) ? '-0' : expected[i]}`);
    }
  }
}

/** Independent binary16 decoding by the formula (IEEE 754-2008 §3.4). */
function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

describe('safetensors round trip', () => {
  it('round-trips float32, int32 and bool, 0-d and zero-size tensors, and metadata', async () => {
    const tensors: Record<string, Tensor> = {
      'f.vec': mk(Float32Array.from([1.5, -0, Infinity, -Infinity, NaN, 3.4e38, 1e-45]), [7], 'float32'),
      'f.scalar': mk(Float32Array.from([42.25]), [], 'float32'),
      'f.empty': mk(new Float32Array(0), [0], 'float32'),
      'i.mat': mk(Int32Array.from([0, -1, 2147483647, -2147483648, 7, 8]), [2, 3], 'int32'),
      'i.scalar': mk(Int32Array.from([-3]), [], 'int32'),
      'i.empty': mk(new Int32Array(0), [2, 0, 3], 'int32'),
      'b.mat': mk(Uint8Array.from([1, 0, 1, 1]), [2, 2], 'bool'),
      'b.scalar': mk(Uint8Array.from([1]), [], 'bool'),
      'b.empty': mk(new Uint8Array(0), [0], 'bool'),
    };
    const bytes = await saveSafetensors(tensors, { format: 'pt', note: 'héllo' });
    const loaded = loadSafetensors(bytes);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const l = loaded[name]!;
      expect(l.dtype, name).toBe(t.dtype);
      expect(l.shape, name).toEqual(t.shape);
      expect(l.backend).toBe(cpuBackend);
      expectSameValues(await l.data(), await t.data());
    }
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ format: 'pt', note: 'héllo' });
    expect(parsed.tensors.get('f.vec')!.dtype).toBe('F32');
    expect(parsed.tensors.get('i.mat')!.dtype).toBe('I32');
    expect(parsed.tensors.get('b.mat')!.dtype).toBe('BOOL');
    expect(parsed.tensors.get('b.mat')!.data).toBeInstanceOf(Uint8Array);
  });

  it('keeps NaN payloads and -0 bit for bit in F32', async () => {
    const bits = Uint32Array.from([0x7fc00001, 0xffc00000, 0x80000000, 0x00000001]);
    const bytes = await saveSafetensors({ x: mk(new Float32Array(bits.buffer), [4], 'float32') });
    const data = parseSafetensors(bytes).tensors.get('x')!.data as Float32Array;
    expect(Array.from(new Uint32Array(data.buffer, data.byteOffset, 4))).toEqual(Array.from(bits));
  });

  it('lays files out as the reference writer does: dtype alignment, then name; padded header', async () => {
    const bytes = await saveSafetensors(
      new Map([
        ['b', mk(Uint8Array.from([1]), [1], 'bool')],
        ['2', mk(Int32Array.from([1]), [1], 'int32')],
        ['10', mk(Int32Array.from([1]), [1], 'int32')],
        ['z', mk(Float32Array.from([1]), [1], 'float32')],
        ['a', mk(Float32Array.from([1, 2]), [2], 'float32')],
      ]),
      { k: 'v' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toBe(
      (
        '{"__metadata__":{"k":"v"},' +
        '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
        '"z":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"10":{"dtype":"I32","shape":[1],"data_offsets":[12,16]},' +
        '"2":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
        '"b":{"dtype":"BOOL","shape":[1],"data_offsets":[20,21]}}'
      ).padEnd(n, ' '),
    );
    expect(text.endsWith(' ')).toBe(true);
    expect([...parseSafetensors(bytes).tensors.keys()]).toEqual(['a', 'z', '10', '2', 'b']);
  });

  it('matches the reference implementation byte for byte (its serialization tests)', () => {
    const attn = serializeSafetensors([{ name: 'attn.0', dtype: 'float32', shape: [1, 2, 3], data: [0, 1, 2, 3, 4, 5] }]);
    expect(Array.from(attn)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34,
      70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95,
      111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0,
      64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(Array.from(serializeSafetensors([]))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(serializeSafetensors([], { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114,
      97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
    expect(parseSafetensors(serializeSafetensors([])).tensors.size).toBe(0);
  });

  it('keeps a tensor named __proto__ as an own key', async () => {
    const bytes = await saveSafetensors(new Map([['__proto__', mk(Float32Array.from([5]), [1], 'float32')]]));
    const loaded = loadSafetensors(bytes);
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
    expect(Object.keys(loaded)).toEqual(['__proto__']);
    expectSameValues(await loaded['__proto__']!.data(), [5]);
  });

  it('loads onto opts.backend', () => {
    const uploads: DType[] = [];
    const fake: Backend = { ...cpuBackend, name: 'st-test-backend', upload: (d, dt) => (uploads.push(dt), d.slice()) };
    const bytes = serializeSafetensors([{ name: 'w', dtype: 'int32', shape: [2], data: [1, 2] }]);
    const t = loadSafetensors(bytes, { backend: fake }).w!;
    expect(t.backend).toBe(fake);
    expect(uploads).toEqual(['int32']);
  });

  it('saveSafetensors rejects what is not a tensor, and a reserved or bad name', async () => {
    await expect(saveSafetensors({ w: 3 as unknown as Tensor })).rejects.toThrow(ArgumentError);
    expect(() => serializeSafetensors([{ name: '__metadata__', dtype: 'float32', shape: [], data: [1] }])).toThrow(/reserved/);
    expect(() =>
      serializeSafetensors([
        { name: 'a', dtype: 'float32', shape: [1], data: [1] },
        { name: 'a', dtype: 'float32', shape: [1], data: [1] },
      ]),
    ).toThrow(/duplicate/);
    expect(() => serializeSafetensors([{ name: 'w', dtype: 'float32', shape: [2, 2], data: [1] }])).toThrow(/'w'.*4 elements/);
    expect(() => serializeSafetensors([{ name: 'w', dtype: 'float32', shape: [-1], data: [] }])).toThrow(ArgumentError);
    expect(() => serializeSafetensors([{ name: 'w', dtype: 'F8_E4M3', shape: [1], data: [1] }])).toThrow(/cannot write/);
    expect(() => serializeSafetensors([], { k: 1 as unknown as string })).toThrow(ArgumentError);
  });
});

describe('safetensors decoding of other dtypes (hand-built bytes)', () => {
  it('decodes every F16 value exactly, subnormals, ±inf, -0 and NaN included', () => {
    const data = section(2, 65536, (dv, i) => dv.setUint16(2 * i, i, true));
    const t = parseSafetensors(fileBytes({ h: { dtype: 'F16', shape: [256, 256], data_offsets: [0, 131072] } }, data)).tensors.get('h')!;
    expect(t.hostDType).toBe('float32');
    expect(t.shape).toEqual([256, 256]);
    expect(t.data).toBeInstanceOf(Float32Array);
    const expected = Array.from({ length: 65536 }, (_, h) => f16Value(h));
    expectSameValues(t.data, expected);
    // Spot checks named for the reader.
    const v = t.data;
    expect(v[0x0001]).toBe(2 ** -24); // smallest subnormal
    expect(v[0x03ff]).toBe(1023 * 2 ** -24); // largest subnormal
    expect(v[0x0400]).toBe(2 ** -14); // smallest normal
    expect(v[0x7bff]).toBe(65504);
    expect(v[0x7c00]).toBe(Infinity);
    expect(v[0xfc00]).toBe(-Infinity);
    expect(Object.is(v[0x8000], -0)).toBe(true);
    expect(v[0x7e00]).toBeNaN();
    // NaN sign and payload carried into the float32 bits.
    const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
    expect(bits[0xfe01]).toBe(0xffc02000);
  });

  it('decodes a small F16 fixture', () => {
    const halves = [0x3c00, 0xc000, 0x0001, 0x8000, 0x7c00, 0x7e00, 0x3555];
    const data = section(2, halves.length, (dv, i) => dv.setUint16(2 * i, halves[i]!, true));
    const t = parseSafetensors(fileBytes({ h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] } }, data)).tensors.get('h')!;
    expectSameValues(t.data, [1, -2, 2 ** -24, -0, Infinity, NaN, 0.333251953125]);
  });

  it('decodes BF16', () => {
    const halves = [0x3f80, 0xc049, 0x4049, 0x7f80, 0xff80, 0x7fc0, 0x8000, 0x0001, 0x7f7f];
    const data = section(2, halves.length, (dv, i) => dv.setUint16(2 * i, halves[i]!, true));
    const t = parseSafetensors(fileBytes({ b: { dtype: 'BF16', shape: [3, 3], data_offsets: [0, 18] } }, data)).tensors.get('b')!;
    expect(t.data).toBeInstanceOf(Float32Array);
    expectSameValues(t.data, [1, -3.140625, 3.140625, Infinity, -Infinity, NaN, -0, 2 ** -133, 3.3895313892515355e38]);
  });

  it('decodes I64 that fits in int32, and names the key and value when one does not', () => {
    const vals = [0n, -1n, 2147483647n, -2147483648n, 42n];
    const data = section(8, vals.length, (dv, i) => dv.setBigInt64(8 * i, vals[i]!, true));
    const t = parseSafetensors(fileBytes({ ids: { dtype: 'I64', shape: [5], data_offsets: [0, 40] } }, data)).tensors.get('ids')!;
    expect(t.data).toBeInstanceOf(Int32Array);
    expect(t.hostDType).toBe('int32');
    expect(Array.from(t.data)).toEqual([0, -1, 2147483647, -2147483648, 42]);
    const loaded = loadSafetensors(fileBytes({ ids: { dtype: 'I64', shape: [5], data_offsets: [0, 40] } }, data));
    expect(loaded.ids!.dtype).toBe('int32');

    for (const bad of [2147483648n, -2147483649n, 1n << 40n, -(1n << 62n)]) {
      const d = section(8, 2, (dv, i) => dv.setBigInt64(8 * i, i === 0 ? 1n : bad, true));
      expectFormatError(
        () => parseSafetensors(fileBytes({ 'pos.ids': { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, d)),
        "'pos.ids'",
        `element 1 is ${bad}`,
        'int32',
      );
    }
  });

  it('decodes F64, the small integer dtypes and FP8', () => {
    const f64 = section(8, 3, (dv, i) => dv.setFloat64(8 * i, [0.1, -2.5, 1e300][i]!, true));
    const i8 = Uint8Array.from([0x80, 0xff, 0x7f]);
    const u8 = Uint8Array.from([0, 200, 255]);
    const i16 = section(2, 2, (dv, i) => dv.setInt16(2 * i, [-32768, 1234][i]!, true));
    const u16 = section(2, 2, (dv, i) => dv.setUint16(2 * i, [65535, 7][i]!, true));
    const u32 = section(4, 1, (dv) => dv.setUint32(0, 2147483647, true));
    const u64 = section(8, 1, (dv) => dv.setBigUint64(0, 99n, true));
    const e4m3 = Uint8Array.from([0x38, 0xb8, 0x7e, 0x01, 0x7f, 0x80]);
    const e5m2 = Uint8Array.from([0x3c, 0x7c, 0x01]);
    const parts: [string, SafetensorsDType, Uint8Array, number][] = [
      ['f64', 'F64', f64, 3],
      ['i8', 'I8', i8, 3],
      ['u8', 'U8', u8, 3],
      ['i16', 'I16', i16, 2],
      ['u16', 'U16', u16, 2],
      ['u32', 'U32', u32, 1],
      ['u64', 'U64', u64, 1],
      ['e4m3', 'F8_E4M3', e4m3, 6],
      ['e5m2', 'F8_E5M2', e5m2, 3],
    ];
    const header: Record<string, unknown> = {};
    let off = 0;
    for (const [name, dtype, d, n] of parts) {
      header[name] = { dtype, shape: [n], data_offsets: [off, off + d.length] };
      off += d.length;
    }
    const data = new Uint8Array(off);
    off = 0;
    for (const [, , d] of parts) {
      data.set(d, off);
      off += d.length;
    }
    const t = parseSafetensors(fileBytes(header, data)).tensors;
    expectSameValues(t.get('f64')!.data, [Math.fround(0.1), -2.5, Infinity]);
    expectSameValues(t.get('i8')!.data, [-128, -1, 127]);
    expectSameValues(t.get('u8')!.data, [0, 200, 255]);
    expectSameValues(t.get('i16')!.data, [-32768, 1234]);
    expectSameValues(t.get('u16')!.data, [65535, 7]);
    expectSameValues(t.get('u32')!.data, [2147483647]);
    expectSameValues(t.get('u64')!.data, [99]);
    expectSameValues(t.get('e4m3')!.data, [1, -1, 448, 2 ** -9, NaN, -0]);
    expectSameValues(t.get('e5m2')!.data, [1, Infinity, 2 ** -16]);
    for (const name of ['i8', 'u8', 'i16', 'u16', 'u32', 'u64']) expect(t.get(name)!.data).toBeInstanceOf(Int32Array);
    expect(t.get('f64')!.hostDType).toBe('float32');
  });

  it('rejects U32 and U64 values past int32', () => {
    const u32 = section(4, 1, (dv) => dv.setUint32(0, 2147483648, true));
    expectFormatError(() => parseSafetensors(fileBytes({ c: { dtype: 'U32', shape: [], data_offsets: [0, 4] } }, u32)), "'c'", '2147483648');
    const u64 = section(8, 1, (dv) => dv.setBigUint64(0, 1n << 63n, true));
    expectFormatError(() => parseSafetensors(fileBytes({ c: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, u64)), "'c'", String(1n << 63n));
  });

  it('normalises BOOL bytes to 0 and 1', () => {
    const t = parseSafetensors(fileBytes({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, Uint8Array.from([0, 1, 7])));
    expect(Array.from(t.tensors.get('m')!.data)).toEqual([0, 1, 1]);
  });

  it('accepts a Uint8Array view at an offset, an ArrayBuffer and a null __metadata__', () => {
    const inner = fileBytes({ __metadata__: null, x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, section(4, 1, (dv) => dv.setFloat32(0, 2.5, true)));
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    const view = outer.subarray(3);
    expectSameValues(parseSafetensors(view).tensors.get('x')!.data, [2.5]);
    expectSameValues(parseSafetensors(inner.slice().buffer).tensors.get('x')!.data, [2.5]);
    expect(parseSafetensors(view).metadata).toEqual({});
  });
});

describe('safetensors encoding to F16, BF16 and narrow integers', () => {
  it('round-trips every finite F16 value through float32 and back, bit for bit', () => {
    const halves = Array.from({ length: 65536 }, (_, h) => h).filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
    const values = halves.map(f16Value);
    const bytes = serializeSafetensors([{ name: 'h', dtype: 'F16', shape: [values.length], data: Float32Array.from(values) }]);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const dv = new DataView(bytes.buffer, 8 + n);
    for (let i = 0; i < halves.length; i++) {
      if (dv.getUint16(2 * i, true) !== halves[i]) throw new Error(`F16 ${halves[i]!.toString(16)} re-encoded as ${dv.getUint16(2 * i, true).toString(16)}`);
    }
  });

  it('rounds to nearest even when narrowing to F16 and BF16', () => {
    const f16In = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 65520, 1e6, -1e6, 2 ** -25, 1.5 * 2 ** -25, 3 * 2 ** -26, 1e-10, -0, NaN, 2 ** -14 - 2 ** -25];
    const f16Out = [1, 1 + 2 ** -9, 65504, Infinity, Infinity, -Infinity, 0, 2 ** -24, 2 ** -24, 0, -0, NaN, 2 ** -14];
    const bf16In = [1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4028234663852886e38, -0, NaN, Infinity, 2 ** -133];
    const bf16Out = [1, 1 + 2 ** -6, Infinity, -0, NaN, Infinity, 2 ** -133];
    const bytes = serializeSafetensors([
      { name: 'h', dtype: 'F16', shape: [f16In.length], data: f16In },
      { name: 'b', dtype: 'BF16', shape: [bf16In.length], data: Float32Array.from(bf16In) },
    ]);
    const t = parseSafetensors(bytes).tensors;
    expect(t.get('h')!.dtype).toBe('F16');
    expectSameValues(t.get('h')!.data, f16Out);
    expectSameValues(t.get('b')!.data, bf16Out);
  });

  it('writes I64, I16, I8, U8 and F64, and rejects values that do not fit', () => {
    const bytes = serializeSafetensors([
      { name: 'l', dtype: 'I64', shape: [3], data: Int32Array.from([-5, 0, 2147483647]) },
      { name: 's', dtype: 'I16', shape: [2], data: [-32768, 32767] },
      { name: 'c', dtype: 'I8', shape: [2], data: [-128, 127] },
      { name: 'u', dtype: 'U8', shape: [1], data: [255] },
      { name: 'd', dtype: 'F64', shape: [1], data: [0.5] },
    ]);
    const t = parseSafetensors(bytes).tensors;
    expect(Array.from(t.get('l')!.data)).toEqual([-5, 0, 2147483647]);
    expect(Array.from(t.get('s')!.data)).toEqual([-32768, 32767]);
    expect(Array.from(t.get('c')!.data)).toEqual([-128, 127]);
    expect(Array.from(t.get('u')!.data)).toEqual([255]);
    expect(Array.from(t.get('d')!.data)).toEqual([0.5]);
    expect(t.get('l')!.dtype).toBe('I64');
    for (const [dtype, v] of [['I8', 128], ['U8', -1], ['I32', 1.5], ['I16', 40000]] as const) {
      expect(() => serializeSafetensors([{ name: 'q', dtype, shape: [1], data: [v] }])).toThrow(ArgumentError);
    }
  });
});

describe('safetensors validation', () => {
  const f32 = (n: number): Uint8Array => section(4, n, (dv, i) => dv.setFloat32(4 * i, i, true));

  it('rejects a buffer shorter than 8 bytes', () => {
    expectFormatError(() => parseSafetensors(new Uint8Array(5)), '5 bytes', 'shorter than');
    expectFormatError(() => parseSafetensors(new Uint8Array(0)), '0 bytes');
  });

  it('rejects a header length past the end of the buffer before decoding anything', () => {
    const decode = vi.spyOn(TextDecoder.prototype, 'decode');
    try {
      for (const n of [100n, 2n ** 32n, 2n ** 53n, 2n ** 62n, 2n ** 64n - 1n]) {
        const b = new Uint8Array(24);
        new DataView(b.buffer).setBigUint64(0, n, true);
        expectFormatError(() => parseSafetensors(b), `header length ${n}`, 'past the end', '24 bytes');
      }
      expect(decode).not.toHaveBeenCalled();
    } finally {
      decode.mockRestore();
    }
  });

  it('rejects a header over the 100 MB cap', () => {
    const b = new Uint8Array(8 + 100_000_001);
    new DataView(b.buffer).setBigUint64(0, 100_000_001n, true);
    expectFormatError(() => parseSafetensors(b), 'header length 100000001 exceeds');
  });

  it('rejects a header that is not UTF-8 JSON', () => {
    expectFormatError(() => parseSafetensors(fileBytes(Uint8Array.from([0x7b, 0xff, 0x7d]))), 'not valid UTF-8');
    expectFormatError(() => parseSafetensors(fileBytes('{"a":')), 'not valid JSON');
    expectFormatError(() => parseSafetensors(fileBytes('')), 'not valid JSON');
  });

  it('rejects a header that is not a JSON object', () => {
    expectFormatError(() => parseSafetensors(fileBytes('[]')), 'must be a JSON object', 'an array');
    expectFormatError(() => parseSafetensors(fileBytes('null')), 'must be a JSON object', 'null');
    expectFormatError(() => parseSafetensors(fileBytes('42')), 'must be a JSON object', 'number 42');
    expectFormatError(() => parseSafetensors(fileBytes('"x"')), 'must be a JSON object');
  });

  it('rejects entries that are not objects or lack fields', () => {
    for (const value of [5, null, [1, 2], 'F32']) {
      expectFormatError(() => parseSafetensors(fileBytes({ 'enc.w': value })), "tensor 'enc.w'", 'must be an object');
    }
    for (const missing of ['dtype', 'shape', 'data_offsets']) {
      const entry: Record<string, unknown> = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
      delete entry[missing];
      expectFormatError(() => parseSafetensors(fileBytes({ 'enc.w': entry }, f32(1))), "tensor 'enc.w'", `missing '${missing}'`);
    }
  });

  it('rejects an unknown dtype', () => {
    for (const dtype of ['F128', 'f32', 'constructor', 7, null]) {
      expectFormatError(
        () => parseSafetensors(fileBytes({ w: { dtype, shape: [1], data_offsets: [0, 4] } }, f32(1))),
        "tensor 'w'",
        'unknown or unsupported dtype',
      );
    }
  });

  it('rejects a shape that is not a list of non-negative integers', () => {
    for (const shape of [[-1], [1.5], '3', [1, '2'], null, 4, [2 ** 60]]) {
      expectFormatError(
        () => parseSafetensors(fileBytes({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, f32(1))),
        "tensor 'w'",
        'shape must be a list of non-negative integers',
      );
    }
  });

  it('rejects data_offsets that are not two integers with begin <= end', () => {
    for (const offsets of [[0], [4, 0], [0, 4.5], '0,4', [-4, 0], [0, 4, 8], null, [0, '4']]) {
      expectFormatError(
        () => parseSafetensors(fileBytes({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, f32(1))),
        "tensor 'w'",
        'data_offsets must be two non-negative integers',
      );
    }
  });

  it('rejects an end past the data section', () => {
    expectFormatError(
      () => parseSafetensors(fileBytes({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1))),
      "tensor 'w'",
      'past the end of the data section (4 bytes)',
    );
  });

  it('rejects a byte size that is not prod(shape) * itemsize', () => {
    expectFormatError(
      () => parseSafetensors(fileBytes({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2))),
      "tensor 'w'",
      'hold 8 bytes but shape [3] of F32 needs 12',
    );
    expectFormatError(
      () => parseSafetensors(fileBytes({ w: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 16] } }, f32(4))),
      "tensor 'w'",
      'needs 8',
    );
    // A shape whose element count overflows anything addressable still fails cleanly.
    expectFormatError(
      () => parseSafetensors(fileBytes({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, f32(1))),
      "tensor 'w'",
    );
  });

  it('rejects overlapping tensors', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    expectFormatError(() => parseSafetensors(fileBytes(header, f32(3))), "tensor 'b'", "overlap tensor 'a'");
    const same = {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
    };
    expectFormatError(() => parseSafetensors(fileBytes(same, f32(1))), 'overlap');
    const zeroInside = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      z: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
    };
    expectFormatError(() => parseSafetensors(fileBytes(zeroInside, f32(2))), "tensor 'z'", 'overlap');
  });

  it('rejects gaps and trailing bytes', () => {
    const gap = {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    };
    expectFormatError(() => parseSafetensors(fileBytes(gap, f32(3))), "tensor 'b'", 'gap', "after tensor 'a'");
    expectFormatError(
      () => parseSafetensors(fileBytes({ b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2))),
      "tensor 'b'",
      'gap',
      'at the start',
    );
    expectFormatError(
      () => parseSafetensors(fileBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2))),
      '4 trailing bytes',
      "'a'",
    );
    // Zero-size tensors may share an offset with their neighbours.
    const zeros = {
      z1: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      z2: { dtype: 'I32', shape: [3, 0], data_offsets: [4, 4] },
    };
    expect([...parseSafetensors(fileBytes(zeros, f32(1))).tensors.keys()]).toEqual(['z1', 'a', 'z2']);
  });

  it('rejects __metadata__ that is not a string map', () => {
    for (const meta of [[], 3, 'x']) {
      expectFormatError(() => parseSafetensors(fileBytes({ __metadata__: meta })), '__metadata__ must be an object of strings');
    }
    expectFormatError(() => parseSafetensors(fileBytes({ __metadata__: { format: 1 } })), "__metadata__ value for 'format'");
  });

  it('names the source in messages', () => {
    expectFormatError(() => parseSafetensors(new Uint8Array(3), { source: '/x/model.safetensors' }), '/x/model.safetensors');
  });
});

describe('safetensors files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-safetensors-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const strays = async (d: string): Promise<string[]> => (await readdir(d)).filter((f) => f.includes('.tmp-'));

  it('writes, reads back and overwrites atomically', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, { w: mk(Float32Array.from([1, 2, 3, 4]), [2, 2], 'float32') }, { format: 'pt' });
    let loaded = await readSafetensorsFile(path);
    expect(loaded.w!.shape).toEqual([2, 2]);
    expectSameValues(await loaded.w!.data(), [1, 2, 3, 4]);

    await writeSafetensorsFile(path, new Map([['ids', mk(Int32Array.from([7, 8]), [2], 'int32')]]));
    loaded = await readSafetensorsFile(path);
    expect(Object.keys(loaded)).toEqual(['ids']);
    expectSameValues(await loaded.ids!.data(), [7, 8]);
    expect(await strays(dir)).toEqual([]);
  });

  it('leaves the old file intact and no temp file when serialisation fails', async () => {
    const path = join(dir, 'keep.safetensors');
    await writeSafetensorsFile(path, { w: mk(Float32Array.from([9]), [1], 'float32') });
    const before = await readFile(path);
    const dead = mk(Float32Array.from([1]), [1], 'float32');
    dead.dispose();
    await expect(writeSafetensorsFile(path, { ok: mk(Float32Array.from([1]), [1], 'float32'), dead })).rejects.toThrow(DisposedError);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect(await strays(dir)).toEqual([]);
  });

  it('fails cleanly into a directory that does not exist', async () => {
    const path = join(dir, 'no-such-dir', 'm.safetensors');
    await expect(writeSafetensorsFile(path, { w: mk(Float32Array.from([1]), [1], 'float32') })).rejects.toThrow(/ENOENT/);
    expect(await strays(dir)).toEqual([]);
  });

  it('removes the temp file when the final rename fails, leaving the target untouched', async () => {
    // The target is a non-empty directory: the temp file is written, then rename() fails.
    const path = join(dir, 'occupied');
    await mkdir(path);
    await writeFile(join(path, 'inside.txt'), 'keep me');
    await expect(writeSafetensorsFile(path, { w: mk(Float32Array.from([1]), [1], 'float32') })).rejects.toThrow();
    expect(await strays(dir)).toEqual([]);
    expect(await readFile(join(path, 'inside.txt'), 'utf8')).toBe('keep me');
  });

  it('names the file and the tensor in format errors', async () => {
    const path = join(dir, 'broken.safetensors');
    await writeFile(path, fileBytes({ 'blocks.0.w': { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)));
    const err = await readSafetensorsFile(path).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect(err!.message).toContain(path);
    expect(err!.message).toContain("'blocks.0.w'");
  });
});
