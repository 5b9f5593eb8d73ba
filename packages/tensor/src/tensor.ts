/**
 * The Tensor: a strided view over a reference-counted backend buffer. Methods are thin PyTorch-named
 * wrappers over the catalogue's free functions.
 * @module
 */
import { type Backend, findBackend } from './backend.js';
import { type DType, type TypedArray } from './dtype.js';
import { BackendError, DisposedError, ShapeError, fmtShape } from './errors.js';
import { type Shape, contiguousStrides, isContiguous, sizeOf } from './shape.js';
import { TENSOR_BRAND, track } from './scope.js';
import { Storage } from './storage.js';
import * as ew from './ops/elementwise.js';
import * as rd from './ops/reduce.js';
import * as vw from './ops/views.js';
import * as mm from './ops/matmul.js';
import * as nn from './ops/nn.js';
import * as jn from './ops/join.js';
import * as ix from './ops/indexing.js';
import * as sc from './ops/scan.js';

let nextId = 0;

// Safety net only: a tensor that is garbage-collected without dispose() still releases its buffer.
const finalizer = new FinalizationRegistry<Storage>((s) => s.release());

/** A value accepted where a tensor operand is expected: a tensor or a JS scalar. */
export type TensorOrScalar = Tensor | number | boolean;

/** Nested arrays of numbers or booleans, as accepted by `tensor()` and returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];

/** An n-dimensional array on a backend. */
export class Tensor {
  /** Unique id, increasing in creation order. */
  readonly id = nextId++;
  /** Logical shape. */
  readonly shape: Shape;
  private _strides: readonly number[];
  private _offset: number;
  private _storage: Storage;
  private disposed = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, …) instead. */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number) {
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this._strides = Object.freeze([...strides]);
    this._offset = offset;
    storage.retain();
    finalizer.register(this, storage, this);
    track(this);
  }

  /** Strides in elements. */
  get strides(): readonly number[] {
    return this._strides;
  }

  /** Offset of the first element in the storage, in elements. */
  get offset(): number {
    return this._offset;
  }

  /** The shared, reference-counted buffer. */
  get storage(): Storage {
    return this._storage;
  }

  /**
   * Makes this tensor hold `value`'s contents (same shape and dtype) by sharing its storage: an O(1)
   * in-place update, used for parameters and optimizer state. Views taken of this tensor earlier keep
   * the old values. `value` stays valid and may be disposed by the caller.
   */
  assign(value: Tensor): this {
    this.checkAlive('assign');
    value.checkAlive('assign');
    if (value.dtype !== this.dtype || value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new ShapeError(`assign: value ${fmtShape(value.shape)} ${value.dtype} does not match tensor ${fmtShape(this.shape)} ${this.dtype}`);
    }
    if (value.backend !== this.backend) throw new BackendError(`assign: value lives on '${value.backend.name}', tensor on '${this.backend.name}'`);
    const old = this._storage;
    value._storage.retain();
    this._storage = value._storage;
    this._strides = value._strides;
    this._offset = value._offset;
    finalizer.unregister(this);
    finalizer.register(this, this._storage, this);
    old.release();
    return this;
  }

  /** @internal A new contiguous tensor owning a fresh backend buffer. */
  static fromBuffer(backend: Backend, buffer: unknown, shape: Shape, dtype: DType): Tensor {
    return new Tensor(new Storage(backend, buffer, dtype, sizeOf(shape)), shape, contiguousStrides(shape), 0);
  }

  /** @internal A view sharing `storage`. */
  static fromStorage(storage: Storage, shape: Shape, strides: readonly number[], offset: number): Tensor {
    return new Tensor(storage, shape, strides, offset);
  }

  /** Element type. */
  get dtype(): DType {
    return this.storage.dtype;
  }

  /** The backend holding the data. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Number of elements (PyTorch's name). */
  numel(): number {
    return sizeOf(this.shape);
  }

  /** Whether the layout is dense row-major. */
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** Whether `dispose()` has been called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Releases this tensor's hold on its buffer (freed when no view still uses it). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this);
    this.storage.release();
  }

  /** `using t = …` support. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal Marks tensors for `tidy`'s result walk. */
  get [TENSOR_BRAND](): true {
    return true;
  }

  private checkAlive(what: string): void {
    if (this.disposed) throw new DisposedError(`${what}: tensor ${fmtShape(this.shape)} (id ${this.id}) was disposed`);
  }

  /** Reads the elements back, contiguous, in row-major order. */
  async data(): Promise<TypedArray> {
    this.checkAlive('data');
    const c = this.isContiguous() && this.offset === 0 && this.storage.size === this.size ? this : this.clone();
    try {
      const all = await c.backend.read(c.storage.buffer, c.dtype, c.storage.size);
      return all.length === this.size ? all : all.slice(0, this.size);
    } finally {
      if (c !== this) c.dispose();
    }
  }

  /** Synchronous read, on backends where it is cheap (cpu, wasm). Elsewhere use `data()`. */
  dataSync(): TypedArray {
    this.checkAlive('dataSync');
    const b = this.backend;
    if (!b.readSync) {
      throw new BackendError(`dataSync: backend '${b.name}' cannot read synchronously; use 'await tensor.data()'`);
    }
    const c = this.isContiguous() && this.offset === 0 && this.storage.size === this.size ? this : this.clone();
    try {
      const all = b.readSync(c.storage.buffer, c.dtype, c.storage.size);
      return all.length === this.size ? all : all.slice(0, this.size);
    } finally {
      if (c !== this) c.dispose();
    }
  }

  /** The elements as nested JS arrays (bool as booleans). */
  async toArray(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype);
  }

  /** Synchronous `toArray` (cpu, wasm). */
  toArraySync(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype);
  }

  /** The single element of a one-element tensor, synchronously (cpu, wasm). */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} elements, expected 1`);
    return this.dataSync()[0]!;
  }

  /** Copies to another registered backend. */
  async to(backendName: string): Promise<Tensor> {
    const b = findBackend(backendName);
    if (!b) throw new BackendError(`to: no backend named '${backendName}' is registered`);
    const d = await this.data();
    return Tensor.fromBuffer(b, b.upload(d, this.dtype), this.shape, this.dtype);
  }

  /** A short description: shape, dtype, backend, and the values when small and readable synchronously. */
  toString(): string {
    let body = '';
    if (!this.disposed && this.backend.readSync && this.size <= 64) body = `${JSON.stringify(this.toArraySync())}, `;
    return `Tensor(${body}shape=${fmtShape(this.shape)}, dtype=${this.dtype}, backend=${this.backend.name})`;
  }

  // ---- dtype ----
  /** Casts to another dtype (a copy; same dtype returns a contiguous copy too). */
  cast(dtype: DType): Tensor { return ew.cast(this, dtype); }
  /** A contiguous copy. */
  clone(): Tensor { return vw.clone(this); }

  // ---- views ----
  /** Same data, new shape (one dim may be -1); copies only when the layout requires it. */
  reshape(...shape: number[] | [readonly number[]]): Tensor { return vw.reshape(this, flat(shape)); }
  /** Like `reshape`, but throws if the layout cannot be viewed without a copy (PyTorch's `view`). */
  view(...shape: number[] | [readonly number[]]): Tensor { return vw.view(this, flat(shape)); }
  /** Reorders dims. */
  permute(...dims: number[] | [readonly number[]]): Tensor { return vw.permute(this, flat(dims)); }
  /** Swaps two dims. */
  transpose(dim0: number, dim1: number): Tensor { return vw.transpose(this, dim0, dim1); }
  /** Broadcasts size-1 dims to `shape` without copying (-1 keeps a dim). */
  expand(...shape: number[] | [readonly number[]]): Tensor { return vw.expand(this, flat(shape)); }
  /** Removes size-1 dims (all, or the given ones). */
  squeeze(dim?: number | readonly number[]): Tensor { return vw.squeeze(this, dim); }
  /** Inserts a size-1 dim at `dim`. */
  unsqueeze(dim: number): Tensor { return vw.unsqueeze(this, dim); }
  /** Flattens dims `startDim..endDim` into one. */
  flatten(startDim = 0, endDim = -1): Tensor { return vw.flatten(this, startDim, endDim); }
  /** Elements `start, start+step, …` below `end` along `dim` (negative indices count from the end). */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor { return vw.slice(this, dim, start, end, step); }
  /** `length` elements from `start` along `dim`. */
  narrow(dim: number, start: number, length: number): Tensor { return vw.narrow(this, dim, start, length); }
  /** Index `index` of `dim`, removing that dim. */
  select(dim: number, index: number): Tensor { return vw.select(this, dim, index); }
  /** This tensor if contiguous, else a contiguous copy. */
  contiguous(): Tensor { return vw.contiguous(this); }

  // ---- unary ----
  /** -x */ neg(): Tensor { return ew.neg(this); }
  /** |x| */ abs(): Tensor { return ew.abs(this); }
  /** e^x */ exp(): Tensor { return ew.exp(this); }
  /** ln x */ log(): Tensor { return ew.log(this); }
  /** √x */ sqrt(): Tensor { return ew.sqrt(this); }
  /** 1/√x */ rsqrt(): Tensor { return ew.rsqrt(this); }
  /** sin x */ sin(): Tensor { return ew.sin(this); }
  /** cos x */ cos(): Tensor { return ew.cos(this); }
  /** tanh x */ tanh(): Tensor { return ew.tanh(this); }
  /** 1/(1+e^-x) */ sigmoid(): Tensor { return ew.sigmoid(this); }
  /** max(x, 0) */ relu(): Tensor { return ew.relu(this); }
  /** GELU, exact (erf) or `'tanh'` approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return ew.gelu(this, approximate); }
  /** x·sigmoid(x) */ silu(): Tensor { return ew.silu(this); }
  /** The error function. */ erf(): Tensor { return ew.erf(this); }
  /** x² */ square(): Tensor { return ew.square(this); }
  /** 1/x */ reciprocal(): Tensor { return ew.reciprocal(this); }
  /** ⌊x⌋ */ floor(): Tensor { return ew.floor(this); }
  /** Clamps into [min, max] (either may be omitted). */
  clamp(min?: number, max?: number): Tensor { return ew.clamp(this, min, max); }
  /** Logical not (bool result). */ logicalNot(): Tensor { return ew.logicalNot(this); }

  // ---- binary ----
  /** this + other (broadcast) */ add(other: TensorOrScalar): Tensor { return ew.add(this, other); }
  /** this - other */ sub(other: TensorOrScalar): Tensor { return ew.sub(this, other); }
  /** this * other */ mul(other: TensorOrScalar): Tensor { return ew.mul(this, other); }
  /** this / other (true division) */ div(other: TensorOrScalar): Tensor { return ew.div(this, other); }
  /** this ** other */ pow(other: TensorOrScalar): Tensor { return ew.pow(this, other); }
  /** elementwise max */ maximum(other: TensorOrScalar): Tensor { return ew.maximum(this, other); }
  /** elementwise min */ minimum(other: TensorOrScalar): Tensor { return ew.minimum(this, other); }
  /** == */ eq(other: TensorOrScalar): Tensor { return ew.eq(this, other); }
  /** != */ ne(other: TensorOrScalar): Tensor { return ew.ne(this, other); }
  /** < */ lt(other: TensorOrScalar): Tensor { return ew.lt(this, other); }
  /** <= */ le(other: TensorOrScalar): Tensor { return ew.le(this, other); }
  /** > */ gt(other: TensorOrScalar): Tensor { return ew.gt(this, other); }
  /** >= */ ge(other: TensorOrScalar): Tensor { return ew.ge(this, other); }
  /** logical and */ logicalAnd(other: TensorOrScalar): Tensor { return ew.logicalAnd(this, other); }
  /** logical or */ logicalOr(other: TensorOrScalar): Tensor { return ew.logicalOr(this, other); }

  // ---- reductions ----
  /** Sum over `dim` (all dims when omitted). */
  sum(dim?: number | readonly number[], keepdim = false): Tensor { return rd.sum(this, dim, keepdim); }
  /** Mean over `dim`. */
  mean(dim?: number | readonly number[], keepdim = false): Tensor { return rd.mean(this, dim, keepdim); }
  /** Maximum over `dim` (values only; see `argmax`). */
  max(dim?: number | readonly number[], keepdim = false): Tensor { return rd.max(this, dim, keepdim); }
  /** Minimum over `dim`. */
  min(dim?: number | readonly number[], keepdim = false): Tensor { return rd.min(this, dim, keepdim); }
  /** Index of the maximum along `dim` (of the flattened tensor when omitted); int32. */
  argmax(dim?: number, keepdim = false): Tensor { return rd.argmax(this, dim, keepdim); }
  /** Index of the minimum along `dim`; int32. */
  argmin(dim?: number, keepdim = false): Tensor { return rd.argmin(this, dim, keepdim); }
  /** Variance over `dim`, with Bessel's correction by default (`correction` 1, like PyTorch). */
  var(dim?: number | readonly number[], keepdim = false, correction = 1): Tensor { return rd.variance(this, dim, keepdim, correction); }
  /** Standard deviation over `dim`, `correction` 1 by default. */
  std(dim?: number | readonly number[], keepdim = false, correction = 1): Tensor { return rd.std(this, dim, keepdim, correction); }
  /** log Σ exp over `dim`, computed stably. */
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor { return rd.logsumexp(this, dim, keepdim); }
  /** Product over `dim`. */
  prod(dim?: number | readonly number[], keepdim = false): Tensor { return rd.prod(this, dim, keepdim); }

  // ---- linear algebra and nn ----
  /** Matrix product with broadcast batch dims (1-D operands as in PyTorch). */
  matmul(other: Tensor): Tensor { return mm.matmul(this, other); }
  /** Softmax along `dim`. */
  softmax(dim: number): Tensor { return nn.softmax(this, dim); }
  /** Log-softmax along `dim`. */
  logSoftmax(dim: number): Tensor { return nn.logSoftmax(this, dim); }
  /** Cumulative sum along `dim`. */
  cumsum(dim: number): Tensor { return sc.cumsum(this, dim); }
  /** Lower triangle of the last two dims (others zeroed), offset by `diagonal`. */
  tril(diagonal = 0): Tensor { return sc.tril(this, diagonal); }
  /** Upper triangle of the last two dims, offset by `diagonal`. */
  triu(diagonal = 0): Tensor { return sc.triu(this, diagonal); }

  // ---- indexing, join ----
  /** Gathers along `dim` with an int32 index of the same rank. */
  gather(dim: number, index: Tensor): Tensor { return ix.gather(this, dim, index); }
  /** Selects entries of `dim` listed by a 1-D int32 index. */
  indexSelect(dim: number, index: Tensor): Tensor { return ix.indexSelect(this, dim, index); }
  /** A copy with `src` added at `index` along `dim`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ix.scatterAdd(this, dim, index, src); }
  /** Splits along `dim` into pieces of `size` (or the listed sizes). */
  split(size: number | readonly number[], dim = 0): Tensor[] { return jn.split(this, size, dim); }
  /** Splits along `dim` into `chunks` nearly equal pieces. */
  chunk(chunks: number, dim = 0): Tensor[] { return jn.chunk(this, chunks, dim); }
}

function flat(args: number[] | [readonly number[]]): number[] {
  return Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

function nest(data: TypedArray, shape: Shape, dtype: DType): NestedArray {
  const conv = (v: number): number | boolean => (dtype === 'bool' ? v !== 0 : v);
  if (shape.length === 0) return conv(data[0]!);
  const build = (dim: number, base: number): NestedArray[] => {
    const n = shape[dim]!;
    const stride = sizeOf(shape.slice(dim + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) {
      out.push(dim === shape.length - 1 ? conv(data[base + i]!) : build(dim + 1, base + i * stride));
    }
    return out;
  };
  return build(0, 0);
}
