/**
 * Elementwise ops: unary maths, broadcasting binary ops, comparisons, logic, `where`, `clamp`, `cast`.
 * Dtype rules follow PyTorch: transcendental ops give float32, arithmetic promotes
 * (bool < int32 < float32), `div` is true division, comparisons give bool.
 * @module
 */
import { type OutputSpec } from '../backend.js';
import { run1 } from '../dispatch.js';
import { defineOp } from '../registry.js';
import { tidy } from '../scope.js';
import { type DType, isDType, promoteTypes } from '../dtype.js';
import { ArgumentError, DTypeError, fmtShape } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { asTensor, checkTensor } from './util.js';

/** Unary ops whose result is float32 whatever the input (ints are converted). */
export const FLOAT_UNARY = ['exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'silu', 'erf', 'reciprocal'] as const;
/** Unary ops that keep a numeric dtype. */
export const SAME_UNARY = ['neg', 'abs', 'square', 'relu', 'floor'] as const;
/** Binary arithmetic ops (promoting). */
export const ARITH_BINARY = ['add', 'sub', 'mul', 'pow', 'maximum', 'minimum'] as const;
/** Comparison ops (bool result). */
export const COMPARE_BINARY = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
/** Logical ops (bool result, nonzero is true). */
export const LOGIC_BINARY = ['logicalAnd', 'logicalOr'] as const;

function unarySpec(name: string, x: Tensor, toFloat: boolean): OutputSpec[] {
  checkTensor(name, 'input', x);
  if (x.dtype === 'bool') throw new DTypeError(`${name}: input ${fmtShape(x.shape)} has dtype bool, expected float32 or int32`);
  return [{ shape: x.shape, dtype: toFloat ? 'float32' : x.dtype }];
}

for (const name of FLOAT_UNARY) {
  defineOp({ name, kind: 'kernel', differentiable: true, infer: ([x]) => unarySpec(name, x!, true) });
}
for (const name of SAME_UNARY) {
  defineOp({ name, kind: 'kernel', differentiable: name !== 'floor', infer: ([x]) => unarySpec(name, x!, false) });
}

/** Attributes of `gelu`. */
export interface GeluAttrs {
  /** `'none'`: x·Φ(x) with the exact erf; `'tanh'`: the tanh approximation. */
  approximate: 'none' | 'tanh';
}
defineOp<GeluAttrs>({
  name: 'gelu',
  kind: 'kernel',
  differentiable: true,
  infer: ([x], a) => {
    if (a.approximate !== 'none' && a.approximate !== 'tanh') {
      throw new ArgumentError(`gelu: approximate must be 'none' or 'tanh', got '${String(a.approximate)}'`);
    }
    return unarySpec('gelu', x!, true);
  },
});

/** Attributes of `clamp`. */
export interface ClampAttrs {
  /** Lower bound (-Infinity for none). */
  min: number;
  /** Upper bound (+Infinity for none). */
  max: number;
}
defineOp<ClampAttrs>({
  name: 'clamp',
  kind: 'kernel',
  differentiable: true,
  infer: ([x], a) => {
    if (Number.isNaN(a.min) || Number.isNaN(a.max)) throw new ArgumentError('clamp: min and max must not be NaN');
    if (a.min > a.max) throw new ArgumentError(`clamp: min ${a.min} is greater than max ${a.max}`);
    return unarySpec('clamp', x!, false);
  },
});

defineOp({
  name: 'logicalNot',
  kind: 'kernel',
  differentiable: false,
  infer: ([x]) => (checkTensor('logicalNot', 'input', x), [{ shape: x.shape, dtype: 'bool' }]),
});

/** Attributes of `cast`. */
export interface CastAttrs {
  /** Target dtype. */
  dtype: DType;
}
defineOp<CastAttrs>({
  name: 'cast',
  kind: 'kernel',
  differentiable: true,
  infer: ([x], a) => {
    checkTensor('cast', 'input', x);
    if (!isDType(a.dtype)) throw new DTypeError(`cast: unknown dtype '${String(a.dtype)}'`);
    return [{ shape: x.shape, dtype: a.dtype }];
  },
});

function binarySpec(name: string, a: Tensor, b: Tensor): OutputSpec[] {
  checkTensor(name, 'input', a);
  checkTensor(name, 'other', b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  let dtype: DType;
  if ((COMPARE_BINARY as readonly string[]).includes(name) || (LOGIC_BINARY as readonly string[]).includes(name)) dtype = 'bool';
  else if (name === 'div') dtype = 'float32';
  else {
    dtype = promoteTypes(a.dtype, b.dtype);
    if (dtype === 'bool') dtype = 'int32';
  }
  return [{ shape, dtype }];
}

for (const name of [...ARITH_BINARY, 'div', ...COMPARE_BINARY, ...LOGIC_BINARY]) {
  defineOp({
    name,
    kind: 'kernel',
    differentiable: !(COMPARE_BINARY as readonly string[]).includes(name) && !(LOGIC_BINARY as readonly string[]).includes(name),
    infer: ([a, b]) => binarySpec(name, a!, b!),
  });
}

defineOp({
  name: 'where',
  kind: 'kernel',
  differentiable: true,
  infer: ([c, a, b]) => {
    checkTensor('where', 'condition', c);
    checkTensor('where', 'input', a);
    checkTensor('where', 'other', b);
    if (c.dtype !== 'bool') throw new DTypeError(`where: condition ${fmtShape(c.shape)} has dtype ${c.dtype}, expected bool`);
    return [{ shape: broadcastShapes('where', c.shape, a.shape, b.shape), dtype: promoteTypes(a.dtype, b.dtype) }];
  },
});

const u = (name: string) => (x: Tensor): Tensor => run1(name, [x]);
const bin = (name: string) => (a: TensorOrScalar, b: TensorOrScalar): Tensor => {
  if (a instanceof Tensor && b instanceof Tensor) return run1(name, [a, b]);
  // Scalar operands become temporary 0-d tensors, freed with the scope.
  return tidy(() => {
    const ta = typeof a === 'number' || typeof a === 'boolean' ? asTensor(name, a, b as Tensor) : a;
    return run1(name, [ta, asTensor(name, b, ta)]);
  });
};

/** -x */ export const neg = u('neg');
/** |x| */ export const abs = u('abs');
/** e^x */ export const exp = u('exp');
/** Natural logarithm. */ export const log = u('log');
/** Square root. */ export const sqrt = u('sqrt');
/** 1/√x */ export const rsqrt = u('rsqrt');
/** Sine. */ export const sin = u('sin');
/** Cosine. */ export const cos = u('cos');
/** Hyperbolic tangent. */ export const tanh = u('tanh');
/** Logistic sigmoid 1/(1+e^-x). */ export const sigmoid = u('sigmoid');
/** max(x, 0). */ export const relu = u('relu');
/** x·sigmoid(x) (SiLU / swish). */ export const silu = u('silu');
/** The Gauss error function. */ export const erf = u('erf');
/** x² */ export const square = u('square');
/** 1/x */ export const reciprocal = u('reciprocal');
/** Round down. */ export const floor = u('floor');
/** Logical not; bool result. */ export const logicalNot = u('logicalNot');

/** GELU: exact x·Φ(x) (`'none'`, PyTorch's default) or the tanh approximation. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return run1('gelu', [x], { approximate });
}

/** Clamps into [min, max]; omit either bound. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  return run1('clamp', [x], { min: min ?? -Infinity, max: max ?? Infinity });
}

/** Casts to `dtype` (float to int truncates toward zero; to bool tests nonzero). */
export function cast(x: Tensor, dtype: DType): Tensor {
  return run1('cast', [x], { dtype });
}

/** a + b, broadcast. */ export const add = bin('add');
/** a - b, broadcast. */ export const sub = bin('sub');
/** a * b, broadcast. */ export const mul = bin('mul');
/** a / b, true division (float32 result). */ export const div = bin('div');
/** a ** b, broadcast. */ export const pow = bin('pow');
/** Elementwise maximum (NaN propagates). */ export const maximum = bin('maximum');
/** Elementwise minimum (NaN propagates). */ export const minimum = bin('minimum');
/** a == b (bool). */ export const eq = bin('eq');
/** a != b (bool). */ export const ne = bin('ne');
/** a < b (bool). */ export const lt = bin('lt');
/** a <= b (bool). */ export const le = bin('le');
/** a > b (bool). */ export const gt = bin('gt');
/** a >= b (bool). */ export const ge = bin('ge');
/** Logical and of nonzero-ness (bool). */ export const logicalAnd = bin('logicalAnd');
/** Logical or of nonzero-ness (bool). */ export const logicalOr = bin('logicalOr');

/** Picks `a` where `condition` is true, else `b`; all three broadcast. */
export function where(condition: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : condition;
  return tidy(() => {
    const ta = asTensor('where', a, like);
    return run1('where', [condition, ta, asTensor('where', b, ta)]);
  });
}
