/**
 * Safetensors I/O in memory: the format PyTorch and Hugging Face checkpoints ship in. This module
 * touches no `node:*` module so it loads in browsers; the file functions live in
 * `safetensors-node.ts`.
 *
 * Layout (huggingface/safetensors, README "Format"): an 8-byte little-endian u64 `N`, then `N`
 * bytes of UTF-8 JSON mapping each tensor name to `{dtype, shape, data_offsets: [begin, end]}`
 * (offsets relative to the first byte after the header) plus an optional `__metadata__`
 * string-to-string map, then the data section. The tensors tile the data section exactly: no
 * overlap, no gap, nothing after the last one. Every check below is one the reference reader makes;
 * all run on the header alone, before any tensor memory is allocated.
 * @module
 */
import { type Backend, getBackend } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { ArgumentError, FormatError, fmtShape } from './errors.js';
import { Tensor } from './tensor.js';

/** Element types of the safetensors format that Tessera reads. */
export type SafetensorsDType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** One tensor decoded from a safetensors buffer into a host array. */
export interface SafetensorsTensor {
  /** The dtype stored in the file. */
  dtype: SafetensorsDType;
  /** The Tessera dtype it decodes to: floats to `float32`, integers to `int32`, `BOOL` to `bool`. */
  hostDType: DType;
  /** Shape (`[]` for a 0-d tensor). */
  shape: number[];
  /** The elements, row-major: a Float32Array, Int32Array or Uint8Array (bool, 0 or 1). */
  data: TypedArray;
}

/** What `parseSafetensors` returns. */
export interface ParsedSafetensors {
  /** The tensors by name, in the order their data is laid out in the file. */
  tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` map (empty when the file has none). */
  metadata: Record<string, string>;
}

/** Options of `parseSafetensors`. */
export interface ParseSafetensorsOptions {
  /** Where the bytes came from (a file path), named in error messages. */
  source?: string;
}

/** Options of `loadSafetensors`. */
export interface LoadSafetensorsOptions extends ParseSafetensorsOptions {
  /** The backend to put the tensors on (default: the active backend). */
  backend?: Backend;
}

/** One host array to serialise with `serializeSafetensors`. */
export interface SafetensorsEntry {
  /** Tensor name (any string but `__metadata__`). */
  name: string;
  /**
   * The dtype to store: a Tessera dtype (`float32` -> F32, `int32` -> I32, `bool` -> BOOL) or a file
   * dtype to convert to on the way out (F16 and BF16 round to nearest even; integer dtypes reject
   * values that do not fit). F8 and unsigned 64/32/16-bit dtypes are read-only.
   */
  dtype: DType | SafetensorsDType;
  /** Shape; `prod(shape)` must equal `data.length`. */
  shape: readonly number[];
  /** The elements, row-major. */
  data: ArrayLike<number>;
}

/** The reference implementation's cap on the header size (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

interface DTypeInfo {
  /** Bytes per element. */
  readonly bytes: number;
  /** Tessera dtype it decodes to. */
  readonly host: DType;
  /** Position in the reference `Dtype` enum (ascending alignment): the writer sorts by it. */
  readonly rank: number;
}

const DTYPES: Readonly<Record<SafetensorsDType, DTypeInfo>> = {
  BOOL: { bytes: 1, host: 'bool', rank: 0 },
  U8: { bytes: 1, host: 'int32', rank: 1 },
  I8: { bytes: 1, host: 'int32', rank: 2 },
  F8_E5M2: { bytes: 1, host: 'float32', rank: 3 },
  F8_E4M3: { bytes: 1, host: 'float32', rank: 4 },
  I16: { bytes: 2, host: 'int32', rank: 5 },
  U16: { bytes: 2, host: 'int32', rank: 6 },
  F16: { bytes: 2, host: 'float32', rank: 7 },
  BF16: { bytes: 2, host: 'float32', rank: 8 },
  I32: { bytes: 4, host: 'int32', rank: 9 },
  U32: { bytes: 4, host: 'int32', rank: 10 },
  F32: { bytes: 4, host: 'float32', rank: 11 },
  F64: { bytes: 8, host: 'float32', rank: 12 },
  I64: { bytes: 8, host: 'int32', rank: 13 },
  U64: { bytes: 8, host: 'int32', rank: 14 },
};

const FROM_TESSERA: Readonly<Record<DType, SafetensorsDType>> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/** Integer dtypes the writer can narrow to, with their inclusive ranges. */
const INT_RANGE: Partial<Record<SafetensorsDType, readonly [number, number]>> = {
  I64: [-(2 ** 31), 2 ** 31 - 1], // sources are int32-valued; wider values would lose precision
  I32: [-(2 ** 31), 2 ** 31 - 1],
  I16: [-(2 ** 15), 2 ** 15 - 1],
  I8: [-128, 127],
  U8: [0, 255],
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.hasOwn(DTYPES, s);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : `${typeof x} ${JSON.stringify(x)}`;
}

/** Defines `key` as an own property even when it is `__proto__`. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses a safetensors buffer into host arrays, validating the header completely before
 * allocating. Throws `FormatError` naming the source, the tensor and the fault.
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, opts: ParseSafetensorsOptions = {}): ParsedSafetensors {
  const u8 = ArrayBuffer.isView(bytes)
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
  const prefix = `safetensors: ${opts.source !== undefined ? `${opts.source}: ` : ''}`;
  const fail = (msg: string, key?: string): FormatError =>
    new FormatError(`${prefix}${key !== undefined ? `tensor '${key}': ` : ''}${msg}`);

  // 1. Header length: checked against the buffer before anything is decoded or allocated.
  if (u8.byteLength < 8) {
    throw fail(`buffer is ${u8.byteLength} bytes, shorter than the 8-byte header length field`);
  }
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > u8.byteLength - 8) {
    throw fail(`header length ${dv.getBigUint64(0, true)} runs past the end of the buffer (${u8.byteLength} bytes)`);
  }
  if (lo > MAX_HEADER_BYTES) throw fail(`header length ${lo} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + lo;
  const dataLength = u8.byteLength - dataStart;

  // 2. Header JSON.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(u8.subarray(8, dataStart));
  } catch {
    throw fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) throw fail(`header must be a JSON object, got ${describe(header)}`);

  // 3. Each entry.
  const metadata: Record<string, string> = {};
  interface Entry {
    key: string;
    dtype: SafetensorsDType;
    shape: number[];
    begin: number;
    end: number;
  }
  const entries: Entry[] = [];
  for (const key of Object.keys(header)) {
    const value = header[key];
    if (key === '__metadata__') {
      if (value === null) continue; // the reference reader treats null as absent
      if (!isPlainObject(value)) throw fail(`__metadata__ must be an object of strings, got ${describe(value)}`);
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw fail(`__metadata__ value for '${k}' must be a string, got ${describe(v)}`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    entries.push(checkEntry(key, value, dataLength, fail));
  }

  // 4. Coverage: sorted by offsets, each tensor must start where the previous one ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let last: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < pos) {
      throw fail(`data_offsets [${e.begin},${e.end}] overlap tensor '${last!.key}' at [${last!.begin},${last!.end}]`, e.key);
    }
    if (e.begin > pos) {
      const after = last ? `after tensor '${last.key}'` : 'at the start of the data section';
      throw fail(`data_offsets [${e.begin},${e.end}] leave a gap: bytes [${pos},${e.begin}) ${after} belong to no tensor`, e.key);
    }
    pos = e.end;
    last = e;
  }
  if (pos !== dataLength) {
    const after = last ? `after tensor '${last.key}'` : 'in a file with no tensors';
    throw fail(`${dataLength - pos} trailing bytes ${after} belong to no tensor (data section is ${dataLength} bytes)`);
  }

  // 5. Decode (allocations bounded by the buffer's own size from here on).
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of sorted) {
    const src = u8.subarray(dataStart + e.begin, dataStart + e.end);
    const data = decode(e.dtype, src, (msg) => fail(msg, e.key));
    tensors.set(e.key, { dtype: e.dtype, hostDType: DTYPES[e.dtype].host, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function checkEntry(
  key: string,
  value: unknown,
  dataLength: number,
  fail: (msg: string, key?: string) => FormatError,
): { key: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number } {
  if (!isPlainObject(value)) throw fail(`entry must be an object {dtype, shape, data_offsets}, got ${describe(value)}`, key);
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(value, field)) throw fail(`entry is missing '${field}'`, key);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isSafetensorsDType(dtype)) {
    throw fail(`unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`, key);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`, key);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw fail(`data_offsets must be two non-negative integers [begin, end] with begin <= end, got ${JSON.stringify(offsets)}`, key);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw fail(`data_offsets [${begin},${end}] run past the end of the data section (${dataLength} bytes)`, key);
  }
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const need = numel * DTYPES[dtype].bytes;
  if (end - begin !== need) {
    throw fail(
      `data_offsets [${begin},${end}] hold ${end - begin} bytes but shape ${fmtShape(shape)} of ${dtype} needs ${need}`,
      key,
    );
  }
  return { key, dtype, shape: [...(shape as number[])], begin, end };
}

/** Decodes little-endian elements into a fresh host array. */
function decode(dtype: SafetensorsDType, src: Uint8Array, fail: (msg: string) => FormatError): TypedArray {
  const n = src.byteLength / DTYPES[dtype].bytes;
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Float32Array(src.slice().buffer); // byte copy keeps NaN payloads
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    }
    case 'F16':
    case 'BF16':
    case 'F8_E5M2':
    case 'F8_E4M3': {
      // Written as float32 bit patterns so NaN payloads and -0 survive exactly.
      const bits = new Uint32Array(n);
      if (dtype === 'F16') for (let i = 0; i < n; i++) bits[i] = f16BitsToF32Bits(dv.getUint16(2 * i, true));
      else if (dtype === 'BF16') for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      else if (dtype === 'F8_E5M2') for (let i = 0; i < n; i++) bits[i] = f16BitsToF32Bits(src[i]! << 8);
      else for (let i = 0; i < n; i++) bits[i] = e4m3BitsToF32Bits(src[i]!);
      return new Float32Array(bits.buffer);
    }
    case 'I32': {
      if (LITTLE_ENDIAN) return new Int32Array(src.slice().buffer);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case 'I64':
    case 'U64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = dv.getUint32(8 * i, true);
        const hi = dv.getUint32(8 * i + 4, true);
        // Fits int32 iff the high word is the sign extension of the low word (I64) or zero (U64).
        const fits = dtype === 'I64' ? hi === (lo >= 0x80000000 ? 0xffffffff : 0) : hi === 0 && lo < 0x80000000;
        if (!fits) {
          const v = dtype === 'I64' ? dv.getBigInt64(8 * i, true) : dv.getBigUint64(8 * i, true);
          throw fail(`element ${i} is ${v}, which does not fit in int32 (${dtype} loads as int32)`);
        }
        out[i] = lo | 0;
      }
      return out;
    }
    case 'U32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getUint32(4 * i, true);
        if (v > 0x7fffffff) throw fail(`element ${i} is ${v}, which does not fit in int32 (U32 loads as int32)`);
        out[i] = v;
      }
      return out;
    }
    case 'I16':
    case 'U16': {
      const out = new Int32Array(n);
      if (dtype === 'I16') for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      else for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
      return out;
    }
    case 'I8':
      return Int32Array.from(new Int8Array(src.buffer, src.byteOffset, n));
    case 'U8':
      return Int32Array.from(src);
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
      return out;
    }
  }
}

/** IEEE binary16 bits to binary32 bits, exact for every input (subnormals, ±inf, NaN payloads). */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // rebias 15 -> 127
  if (mant === 0) return sign >>> 0;
  // Subnormal mant * 2^-24: normalise so the leading one becomes the implicit bit.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** OCP FP8 E4M3FN bits (bias 7, no infinities, S.1111.111 is NaN) to binary32 bits. */
function e4m3BitsToF32Bits(b: number): number {
  const sign = (b & 0x80) << 24;
  const exp = (b >>> 3) & 0xf;
  const mant = b & 0x7;
  if (exp === 0xf && mant === 0x7) return (sign | 0x7fc00000) >>> 0;
  if (exp !== 0) return (sign | ((exp + 120) << 23) | (mant << 20)) >>> 0;
  if (mant === 0) return sign >>> 0;
  scratchF32[0] = mant * 2 ** -9; // subnormal: exact in binary32
  return (sign | scratchU32[0]!) >>> 0;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * Parses a safetensors buffer into tensors on `opts.backend` (default: the active backend).
 * Floats load as `float32`, integers as `int32`, `BOOL` as `bool`.
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer, opts: LoadSafetensorsOptions = {}): Record<string, Tensor> {
  const { tensors } = parseSafetensors(bytes, opts);
  const backend = opts.backend ?? getBackend();
  const out: Record<string, Tensor> = {};
  try {
    for (const [key, t] of tensors) {
      setOwn(out, key, Tensor.fromBuffer(backend, backend.upload(t.data, t.hostDType), t.shape, t.hostDType));
    }
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Serialises host arrays to safetensors bytes exactly as the reference writer lays them out:
 * tensors sorted by descending dtype alignment, then by name; `__metadata__` first in the header;
 * the header padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 * Throws `ArgumentError` for a bad name, dtype, shape or value.
 */
export function serializeSafetensors(entries: readonly SafetensorsEntry[], metadata?: Record<string, string>): Uint8Array {
  const seen = new Set<string>();
  const items = entries.map((e) => {
    if (typeof e.name !== 'string') throw new ArgumentError(`serializeSafetensors: tensor name must be a string, got ${describe(e.name)}`);
    const what = `serializeSafetensors: tensor '${e.name}'`;
    if (e.name === '__metadata__') throw new ArgumentError(`${what}: the name '__metadata__' is reserved for the metadata map`);
    if (seen.has(e.name)) throw new ArgumentError(`${what}: duplicate name`);
    seen.add(e.name);
    const dtype: SafetensorsDType = Object.hasOwn(FROM_TESSERA, e.dtype) ? FROM_TESSERA[e.dtype as DType] : (e.dtype as SafetensorsDType);
    if (!isSafetensorsDType(dtype) || !(dtype in INT_RANGE || ['F64', 'F32', 'F16', 'BF16', 'BOOL'].includes(dtype))) {
      throw new ArgumentError(`${what}: cannot write dtype ${JSON.stringify(e.dtype)} (writable: float32, int32, bool, F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ArgumentError(`${what}: shape must be a list of non-negative integers, got ${JSON.stringify(e.shape)}`);
    }
    const numel = e.shape.reduce((a, b) => a * b, 1);
    if (e.data.length !== numel) {
      throw new ArgumentError(`${what}: shape ${fmtShape(e.shape)} has ${numel} elements but data has ${e.data.length}`);
    }
    return { entry: e, dtype, nbytes: numel * DTYPES[dtype].bytes };
  });
  const meta: Record<string, string> = {};
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new ArgumentError(`serializeSafetensors: metadata must be an object of strings, got ${describe(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ArgumentError(`serializeSafetensors: metadata value for '${k}' must be a string, got ${describe(v)}`);
      setOwn(meta, k, v);
    }
  }

  items.sort((a, b) => DTYPES[b.dtype].rank - DTYPES[a.dtype].rank || compareCodePoints(a.entry.name, b.entry.name));
  // Built by hand, not with JSON.stringify(object): an object would move integer-like names first.
  const fields: string[] = [];
  if (metadata !== undefined) fields.push(`"__metadata__":${JSON.stringify(meta)}`);
  let offset = 0;
  for (const it of items) {
    const info = { dtype: it.dtype, shape: [...it.entry.shape], data_offsets: [offset, offset + it.nbytes] };
    fields.push(`${JSON.stringify(it.entry.name)}:${JSON.stringify(info)}`);
    offset += it.nbytes;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const it of items) {
    encode(it.dtype, it.entry.data, out, pos, `serializeSafetensors: tensor '${it.entry.name}'`);
    pos += it.nbytes;
  }
  return out;
}

/** Orders strings by Unicode code point, as Rust orders UTF-8 `String`s. */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return ca.done ? (cb.done ? 0 : -1) : 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** Writes `data` as little-endian `dtype` elements into `out` at byte `pos`. */
function encode(dtype: SafetensorsDType, data: ArrayLike<number>, out: Uint8Array, pos: number, what: string): void {
  const n = data.length;
  const dv = new DataView(out.buffer, out.byteOffset + pos, n * DTYPES[dtype].bytes);
  if (LITTLE_ENDIAN && ((dtype === 'F32' && data instanceof Float32Array) || (dtype === 'I32' && data instanceof Int32Array))) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos); // byte copy keeps NaN payloads
    return;
  }
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) dv.setFloat32(4 * i, data[i]!, true);
      return;
    case 'F64':
      for (let i = 0; i < n; i++) dv.setFloat64(8 * i, data[i]!, true);
      return;
    case 'F16':
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToF16Bits(data[i]!), true);
      return;
    case 'BF16':
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16Bits(data[i]!), true);
      return;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[pos + i] = data[i] ? 1 : 0;
      return;
    default: {
      const [min, max] = INT_RANGE[dtype]!;
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (!Number.isInteger(v) || v < min || v > max) {
          throw new ArgumentError(`${what}: element ${i} is ${v}, which is not an integer in ${dtype}'s range [${min}, ${max}]`);
        }
        if (dtype === 'I64') {
          dv.setInt32(8 * i, v, true);
          dv.setInt32(8 * i + 4, v < 0 ? -1 : 0, true);
        } else if (dtype === 'I32') dv.setInt32(4 * i, v, true);
        else if (dtype === 'I16') dv.setInt16(2 * i, v, true);
        else if (dtype === 'I8') dv.setInt8(i, v);
        else dv.setUint8(i, v);
      }
    }
  }
}

/** binary32 to binary16 bits, rounding to nearest even; overflow gives ±inf, NaN stays NaN. */
function f32ToF16Bits(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e >= 1) {
    // Normal: drop 13 mantissa bits; a carry out of the mantissa correctly bumps the exponent.
    let h = sign | (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
    return h;
  }
  // Subnormal result k * 2^-24 with k = (1.mant) * 2^(e + 23) = M >> (14 - e).
  const shift = 14 - e;
  if (shift > 24) return sign; // below half the smallest subnormal
  const m = mant | 0x800000;
  let k = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (k & 1) !== 0)) k++;
  return sign | k;
}

/** binary32 to bfloat16 bits, rounding to nearest even; NaN stays NaN (quiet). */
function f32ToBf16Bits(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0]!;
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x0040;
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

/**
 * Serialises tensors to safetensors bytes: `float32` as F32, `int32` as I32, `bool` as BOOL,
 * laid out as the reference writer does (see `serializeSafetensors`). Reads each tensor back
 * with `data()`, so views and non-cpu backends work.
 */
export async function saveSafetensors(
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<Uint8Array> {
  const pairs = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const entries: SafetensorsEntry[] = [];
  for (const [name, t] of pairs) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`saveSafetensors: '${name}' is ${describe(t)}, not a Tensor`);
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], data: await t.data() });
  }
  return serializeSafetensors(entries, metadata);
}
