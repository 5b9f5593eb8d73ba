/**
 * Indexing: `gather`, `indexSelect` and `scatterAdd` are kernels; `embedding` and `oneHot` are
 * composites. Indices are int32; an out-of-range index throws (on backends that can check).
 * @module
 */
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { ShapeError, fmtShape } from '../errors.js';
import { normalizeDim } from '../shape.js';
import { type Tensor } from '../tensor.js';
import { arange } from './creation.js';
import { cast, eq } from './elementwise.js';
import { checkDType, checkInt, checkRank, checkTensor } from './util.js';
import { reshape, unsqueeze } from './views.js';

/** Attributes of the indexing kernels. */
export interface DimAttrs {
  /** Normalised dim. */
  dim: number;
}

defineOp<DimAttrs>({
  name: 'gather',
  kind: 'kernel',
  differentiable: true,
  infer: ([x, index], { dim }) => {
    checkTensor('gather', 'input', x);
    checkTensor('gather', 'index', index);
    checkDType('gather', 'index', index, ['int32']);
    if (index.ndim !== x.ndim) {
      throw new ShapeError(`gather: index ${fmtShape(index.shape)} must have the rank of input ${fmtShape(x.shape)}`);
    }
    index.shape.forEach((d, i) => {
      if (i !== dim && d > x.shape[i]!) {
        throw new ShapeError(`gather: index ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} in dim ${i}`);
      }
    });
    return [{ shape: index.shape, dtype: x.dtype }];
  },
});

defineOp<DimAttrs>({
  name: 'indexSelect',
  kind: 'kernel',
  differentiable: true,
  infer: ([x, index], { dim }) => {
    checkTensor('indexSelect', 'input', x);
    checkTensor('indexSelect', 'index', index);
    checkDType('indexSelect', 'index', index, ['int32']);
    checkRank('indexSelect', 'index', index, [1]);
    const shape = x.ndim === 0 ? [] : [...x.shape];
    if (x.ndim > 0) shape[dim] = index.shape[0]!;
    return [{ shape, dtype: x.dtype }];
  },
});

defineOp<DimAttrs>({
  name: 'scatterAdd',
  kind: 'kernel',
  differentiable: true,
  infer: ([x, index, src], { dim }) => {
    checkTensor('scatterAdd', 'input', x);
    checkTensor('scatterAdd', 'index', index);
    checkTensor('scatterAdd', 'src', src);
    checkDType('scatterAdd', 'index', index, ['int32']);
    if (src.dtype !== x.dtype) throw new ShapeError(`scatterAdd: src dtype ${src.dtype} differs from input dtype ${x.dtype}`);
    if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
      throw new ShapeError(`scatterAdd: input ${fmtShape(x.shape)}, index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)} must have one rank`);
    }
    index.shape.forEach((d, i) => {
      if (d > src.shape[i]! || (i !== dim && d > x.shape[i]!)) {
        throw new ShapeError(`scatterAdd: index ${fmtShape(index.shape)} exceeds src ${fmtShape(src.shape)} or input ${fmtShape(x.shape)} in dim ${i}`);
      }
    });
    return [{ shape: x.shape, dtype: x.dtype }];
  },
});

/** `out[i][j] = x[index[i][j]][j]` for dim 0 (and likewise for other dims), PyTorch's `gather`. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'input', x);
  return run1('gather', [x, index], { dim: normalizeDim('gather', dim, x.ndim) });
}

/** The entries of `dim` listed by a 1-D int32 `index`, in that order. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'input', x);
  return run1('indexSelect', [x, index], { dim: normalizeDim('indexSelect', dim, x.ndim) });
}

/** A copy of `x` with `src` added at `index` along `dim` (duplicates accumulate). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor('scatterAdd', 'input', x);
  return run1('scatterAdd', [x, index, src], { dim: normalizeDim('scatterAdd', dim, x.ndim) });
}

defineOp({
  name: 'embedding',
  kind: 'composite',
  differentiable: true,
  infer: ([weight, indices]) => {
    checkTensor('embedding', 'weight', weight);
    checkTensor('embedding', 'indices', indices);
    checkRank('embedding', 'weight', weight, [2]);
    checkDType('embedding', 'indices', indices, ['int32']);
    return [{ shape: [...indices.shape, weight.shape[1]!], dtype: weight.dtype }];
  },
  decompose: ([weight, indices]) => {
    const rows = run1('indexSelect', [weight!, reshape(indices!, [-1])], { dim: 0 });
    return [reshape(rows, [...indices!.shape, weight!.shape[1]!])];
  },
});

/** Looks up rows of `weight [num, dim]` for int32 `indices` of any shape → `[...indices, dim]`. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return run1('embedding', [weight, indices]);
}

/** Attributes of `oneHot`. */
export interface OneHotAttrs {
  /** Number of classes. */
  numClasses: number;
}

defineOp<OneHotAttrs>({
  name: 'oneHot',
  kind: 'composite',
  differentiable: false,
  infer: ([indices], { numClasses }) => {
    checkTensor('oneHot', 'indices', indices);
    checkDType('oneHot', 'indices', indices, ['int32']);
    checkInt('oneHot', 'numClasses', numClasses, 1);
    return [{ shape: [...indices.shape, numClasses], dtype: 'int32' }];
  },
  decompose: ([indices], { numClasses }) => [
    cast(eq(unsqueeze(indices!, -1), arange(0, numClasses, 1, { backend: indices!.backend.name })), 'int32'),
  ],
});

/** One-hot encodes int32 class indices into `[..., numClasses]` (int32). Out-of-range rows are all zero. */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  return run1('oneHot', [indices], { numClasses });
}
