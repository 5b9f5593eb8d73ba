/**
 * VJP rules of the elementwise ops: unary maths, broadcasting binary arithmetic, `where`, `clamp`
 * and `cast`. Each unary rule is `g · f'(x)` with the derivative cited; binary rules undo
 * broadcasting with `sumToShape`. Only float32 inputs take gradients (null for int32 / bool).
 * @module
 */
import {
  type Tensor,
  add,
  cast,
  cos,
  div,
  eq,
  erf,
  exp,
  ge,
  gt,
  le,
  log,
  logicalAnd,
  lt,
  mul,
  neg,
  pow,
  sigmoid,
  sin,
  square,
  sub,
  tanh,
  where,
} from '@tessera/tensor';
import { type VjpContext } from '../rules.js';
import { isFloat, sumToShape, vjpFamily } from './util.js';

const vjp = vjpFamily('elementwise');

/** Declares the rule of a unary op from its derivative form `g · f'(x)` (given x and y = f(x)). */
function unary<A = any>(name: string, grad: (x: Tensor, y: Tensor, g: Tensor, attrs: A) => Tensor): void {
  vjp<A>(name, (ctx, [g]) => {
    const x = ctx.inputs[0]!;
    if (!g || !isFloat(x)) return [null];
    return [grad(x, ctx.outputs[0]!, g, ctx.attrs)];
  });
}

unary('exp', (_x, y, g) => mul(g, y)); // d eˣ = eˣ
unary('log', (x, _y, g) => div(g, x)); // d ln x = 1/x
unary('sqrt', (_x, y, g) => div(mul(g, 0.5), y)); // d √x = 1/(2√x)
unary('rsqrt', (_x, y, g) => mul(g, mul(mul(y, mul(y, y)), -0.5))); // d x^(-1/2) = -x^(-3/2)/2 = -y³/2
unary('sin', (x, _y, g) => mul(g, cos(x))); // d sin = cos
unary('cos', (x, _y, g) => neg(mul(g, sin(x)))); // d cos = -sin
unary('tanh', (_x, y, g) => mul(g, sub(1, square(y)))); // d tanh = 1 - tanh²
unary('sigmoid', (_x, y, g) => mul(g, mul(y, sub(1, y)))); // d σ = σ(1-σ)
// d (x·σ(x)) = σ(x)·(1 + x·(1 - σ(x)))
unary('silu', (x, _y, g) => {
  const s = sigmoid(x);
  return mul(g, mul(s, add(1, mul(x, sub(1, s)))));
});
unary('erf', (x, _y, g) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))); // d erf = 2/√π·e^(-x²)
unary('reciprocal', (_x, y, g) => neg(mul(g, square(y)))); // d (1/x) = -1/x²
unary('neg', (_x, _y, g) => neg(g));
// d |x| = sign(x), 0 at 0 (PyTorch's sgn convention).
unary('abs', (x, _y, g) => mul(g, sub(cast(gt(x, 0), 'float32'), cast(lt(x, 0), 'float32'))));
unary('square', (x, _y, g) => mul(g, mul(x, 2))); // d x² = 2x
unary('relu', (x, _y, g) => where(gt(x, 0), g, 0)); // 1 where x > 0, 0 at and below 0 (PyTorch)

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;
unary<{ approximate: 'none' | 'tanh' }>('gelu', (x, _y, g, { approximate }) => {
  if (approximate === 'tanh') {
    // y = x/2·(1 + tanh u), u = √(2/π)(x + c·x³):
    // y' = (1 + tanh u)/2 + x/2·(1 - tanh² u)·√(2/π)(1 + 3c·x²)
    const x2 = square(x);
    const t = tanh(mul(add(x, mul(mul(x2, x), GELU_C)), SQRT_2_OVER_PI));
    const du = mul(add(mul(x2, 3 * GELU_C), 1), SQRT_2_OVER_PI);
    const d = add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, square(t))), du));
    return mul(g, d);
  }
  // y = x·Φ(x): y' = Φ(x) + x·φ(x), Φ(x) = (1 + erf(x/√2))/2, φ(x) = e^(-x²/2)/√(2π)
  const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return mul(g, add(cdf, mul(x, pdf)));
});

// The gradient passes where min <= x <= max (bounds included, as PyTorch), else 0.
unary<{ min: number; max: number }>('clamp', (x, _y, g, { min, max }) => where(logicalAnd(ge(x, min), le(x, max)), g, 0));

// Straight back to the input's dtype; a non-float input takes no gradient. A float → int / bool
// cast passes the gradient through unchanged (the tape is not expected to send one: PyTorch's
// integer outputs never carry gradients).
vjp('cast', (ctx, [g]) => {
  const x = ctx.inputs[0]!;
  if (!g || !isFloat(x)) return [null];
  return [g.dtype === 'float32' ? g : cast(g, 'float32')];
});

/**
 * Declares the rule of a broadcasting binary op from the partials `g·∂out/∂a` and `g·∂out/∂b` at the
 * output shape; each is summed back to its operand's shape and computed only when that operand is float.
 */
function binary(
  name: string,
  da: (a: Tensor, b: Tensor, g: Tensor, y: Tensor) => Tensor,
  db: (a: Tensor, b: Tensor, g: Tensor, y: Tensor) => Tensor,
): void {
  vjp(name, (ctx: VjpContext, [g]) => {
    const [a, b] = ctx.inputs as [Tensor, Tensor];
    const y = ctx.outputs[0]!;
    if (!g) return [null, null];
    return [
      isFloat(a) ? sumToShape(da(a, b, g, y), a.shape) : null,
      isFloat(b) ? sumToShape(db(a, b, g, y), b.shape) : null,
    ];
  });
}

binary('add', (_a, _b, g) => g, (_a, _b, g) => g);
binary('sub', (_a, _b, g) => g, (_a, _b, g) => neg(g));
binary('mul', (_a, b, g) => mul(g, b), (a, _b, g) => mul(g, a));
// d(a/b) = da/b - a·db/b²
binary('div', (_a, b, g) => div(g, b), (a, b, g) => neg(div(mul(g, a), mul(b, b))));
// d(aᵇ)/da = b·a^(b-1), 0 where b == 0 (PyTorch, so 0⁰ does not give 0·inf);
// d(aᵇ)/db = aᵇ·ln a, 0 where a == 0 and b >= 0 (PyTorch); NaN for a < 0, as PyTorch.
binary(
  'pow',
  (a, b, g) => where(eq(b, 0), 0, mul(g, mul(b, pow(a, sub(b, 1))))),
  (a, b, g, y) => where(logicalAnd(eq(a, 0), ge(b, 0)), 0, mul(g, mul(y, log(a)))),
);
// Ties split the gradient half and half (PyTorch's max/min backward: where(a == b, g/2, g) on the
// winning side, 0 on the losing side).
const winner = (lose: (p: Tensor, q: Tensor) => Tensor) => (p: Tensor, q: Tensor, g: Tensor): Tensor =>
  where(lose(p, q), 0, where(eq(p, q), mul(g, 0.5), g));
binary('maximum', winner(lt), (a, b, g) => winner(lt)(b, a, g));
binary('minimum', winner(gt), (a, b, g) => winner(gt)(b, a, g));

// where(c, a, b): the gradient goes to a where c holds and to b elsewhere; none to the condition.
vjp('where', (ctx, [g]) => {
  const [c, a, b] = ctx.inputs as [Tensor, Tensor, Tensor];
  if (!g) return [null, null, null];
  return [null, isFloat(a) ? sumToShape(where(c, g, 0), a.shape) : null, isFloat(b) ? sumToShape(where(c, 0, g), b.shape) : null];
});
