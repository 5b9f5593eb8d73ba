/**
 * Scans and triangles: `cumsum` is a kernel; `tril` / `triu` are composites (an index mask and `where`).
 * @module
 */
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { ShapeError, fmtShape } from '../errors.js';
import { normalizeDim } from '../shape.js';
import { type Tensor } from '../tensor.js';
import { arange } from './creation.js';
import { ge, le, sub, where } from './elementwise.js';
import { checkInt, checkTensor, scalarTensor } from './util.js';
import { reshape } from './views.js';

/** Attributes of `cumsum`. */
export interface CumsumAttrs {
  /** Normalised dim. */
  dim: number;
}

defineOp<CumsumAttrs>({
  name: 'cumsum',
  kind: 'kernel',
  differentiable: true,
  infer: ([x]) => {
    checkTensor('cumsum', 'input', x);
    return [{ shape: x.shape, dtype: x.dtype === 'float32' ? 'float32' : 'int32' }];
  },
});

/** Running sum along `dim` (bool and int32 give int32). */
export function cumsum(x: Tensor, dim: number): Tensor {
  checkTensor('cumsum', 'input', x);
  return run1('cumsum', [x], { dim: normalizeDim('cumsum', dim, x.ndim) });
}

/** Attributes of `tril` / `triu`. */
export interface TriangleAttrs {
  /** 0: the main diagonal; k > 0 above it; k < 0 below it. */
  diagonal: number;
}

function triangle(name: 'tril' | 'triu') {
  defineOp<TriangleAttrs>({
    name,
    kind: 'composite',
    differentiable: true,
    infer: ([x], { diagonal }) => {
      checkTensor(name, 'input', x);
      checkInt(name, 'diagonal', diagonal);
      if (x.ndim < 2) throw new ShapeError(`${name}: input must have at least 2 dims, got ${fmtShape(x.shape)}`);
      return [{ shape: x.shape, dtype: x.dtype }];
    },
    decompose: ([x], { diagonal }) => {
      const [m, n] = x!.shape.slice(-2) as [number, number];
      const b = x!.backend.name;
      const rel = sub(reshape(arange(0, n, 1, { backend: b }), [1, n]), reshape(arange(0, m, 1, { backend: b }), [m, 1]));
      const mask = name === 'tril' ? le(rel, diagonal) : ge(rel, diagonal);
      return [where(mask, x!, scalarTensor(0, x!.dtype, x!.backend))];
    },
  });
}
triangle('tril');
triangle('triu');

/** Keeps the lower triangle of the last two dims (column - row <= diagonal), zeroing the rest. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return run1('tril', [x], { diagonal });
}

/** Keeps the upper triangle of the last two dims (column - row >= diagonal). */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return run1('triu', [x], { diagonal });
}
