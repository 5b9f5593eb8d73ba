/**
 * Input specs for conformance cases: host data drawn from a seeded generator, and layouts that make
 * the same values contiguous (for the reference) or strided (for the backend under test).
 * @module
 */
import { type DType, type TypedArray, allocArray } from '../dtype.js';
import { Generator } from '../random.js';
import { sizeOf } from '../shape.js';
import { fromArray } from '../ops/creation.js';
import { slice, transpose } from '../ops/views.js';
import { type Tensor } from '../tensor.js';

/** How values are drawn. */
export type ValueKind =
  | 'normal'
  | 'positive'
  | 'unit'
  | 'int'
  | 'bool'
  | 'special'
  | IndexKind;

/** Integers in [0, index): valid indices into a dim of that size. */
export interface IndexKind {
  /** Exclusive upper bound. */
  index: number;
}

/**
 * How the backend under test receives an input: `contiguous`, `transposed` (last two dims stored
 * swapped, then transposed back: a permuted view), `strided` (every other element of a wider
 * buffer) or `offset` (a slice starting one row in).
 */
export type Layout = 'contiguous' | 'transposed' | 'strided' | 'offset';

/** One input of a case. */
export interface InputSpec {
  /** Logical shape. */
  shape: number[];
  /** Element type (default float32). */
  dtype?: DType;
  /** Value distribution (default normal for float32, small ints for int32, coin flips for bool). */
  kind?: ValueKind;
  /** Layout handed to the backend under test (default contiguous). */
  layout?: Layout;
}

/** Draws host data for a spec. */
export function drawData(spec: InputSpec, g: Generator): TypedArray {
  const dtype = spec.dtype ?? 'float32';
  const n = sizeOf(spec.shape);
  const out = allocArray(dtype, n);
  const kind = spec.kind ?? (dtype === 'bool' ? 'bool' : dtype === 'int32' ? 'int' : 'normal');
  const specials = [0, -0, 1, -1, 0.5, -2.5, 3.75, 10, -10, 1e-3];
  for (let i = 0; i < n; i++) {
    if (typeof kind === 'object') out[i] = g.integer(0, kind.index);
    else if (kind === 'normal') out[i] = g.normal();
    else if (kind === 'positive') out[i] = 0.1 + 2 * g.uniform();
    else if (kind === 'unit') out[i] = 2 * g.uniform() - 1;
    else if (kind === 'int') out[i] = g.integer(-4, 5);
    else if (kind === 'bool') out[i] = g.integer(0, 2);
    else out[i] = specials[g.integer(0, specials.length)]!;
  }
  return out;
}

/** Makes a tensor on `backend` holding `data` with the spec's layout (or contiguous when `plain`). */
export function materialize(spec: InputSpec, data: TypedArray, backend: string, plain: boolean): Tensor {
  const dtype = spec.dtype ?? 'float32';
  const shape = spec.shape;
  const layout = plain ? 'contiguous' : (spec.layout ?? 'contiguous');
  const opts = { dtype, backend };
  if (layout === 'transposed' && shape.length >= 2) {
    const r = shape.length;
    const [m, n] = [shape[r - 2]!, shape[r - 1]!];
    const batch = sizeOf(shape.slice(0, -2));
    const swapped = allocArray(dtype, data.length);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) swapped[b * m * n + j * m + i] = data[b * m * n + i * n + j]!;
    }
    return transpose(fromArray(swapped, [...shape.slice(0, -2), n, m], opts), -1, -2);
  }
  if ((layout === 'strided' || layout === 'transposed') && shape.length >= 1) {
    const last = shape[shape.length - 1]!;
    const wide = allocArray(dtype, data.length * 2);
    for (let i = 0; i < data.length; i++) {
      const row = Math.floor(i / Math.max(last, 1));
      wide[row * 2 * last + 2 * (i % last)] = data[i]!;
    }
    return slice(fromArray(wide, [...shape.slice(0, -1), 2 * last], opts), -1, 0, undefined, 2);
  }
  if (layout === 'offset' && shape.length >= 1) {
    const row = sizeOf(shape.slice(1));
    const bigger = allocArray(dtype, data.length + row);
    bigger.set(data, row);
    return slice(fromArray(bigger, [shape[0]! + 1, ...shape.slice(1)], opts), 0, 1);
  }
  return fromArray(data, shape, opts);
}

export { Generator };
