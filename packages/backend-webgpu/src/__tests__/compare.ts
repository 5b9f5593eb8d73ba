/**
 * Test helper: runs a function on cpu and on webgpu with the same random inputs and compares.
 * @module
 */
import { type DType, type Tensor, Generator, fromArray, tidy } from '@tessera/tensor';

/** An input: a shape, optionally a dtype and a value range for ints. */
export interface In {
  /** Shape. */
  shape: number[];
  /** Dtype (default float32). */
  dtype?: DType;
  /** Ints drawn from [0, max) (int32) instead of normal floats. */
  max?: number;
}

function draw(spec: In, g: Generator): Float32Array | Int32Array | Uint8Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'int32') return Int32Array.from({ length: n }, () => g.integer(0, spec.max ?? 5));
  if (spec.dtype === 'bool') return Uint8Array.from({ length: n }, () => g.integer(0, 2));
  return Float32Array.from({ length: n }, () => g.normal());
}

/** Max |a-b| / (atol + rtol·|a|) over the outputs (<= 1 passes); throws on shape or dtype mismatch. */
export async function compare(inputs: In[], fn: (xs: Tensor[]) => Tensor | Tensor[], seed = 1): Promise<(atol: number, rtol: number) => string | null> {
  const g = new Generator(seed);
  const data = inputs.map((s) => draw(s, g));
  const run = (backend: string): Tensor[] =>
    tidy(() => {
      const r = fn(inputs.map((s, i) => fromArray(data[i]!, s.shape, { dtype: s.dtype ?? 'float32', backend })));
      return Array.isArray(r) ? r : [r];
    });
  const ref = run('cpu');
  const got = run('webgpu');
  const refD = await Promise.all(ref.map((t) => t.data()));
  const gotD = await Promise.all(got.map((t) => t.data()));
  const shapes = ref.map((t, i) => [t.shape.join(','), got[i]!.shape.join(','), t.dtype, got[i]!.dtype]);
  for (const t of [...ref, ...got]) t.dispose();
  return (atol, rtol) => {
    for (let o = 0; o < refD.length; o++) {
      const [rs, gs, rd, gd] = shapes[o]!;
      if (rs !== gs || rd !== gd) return `output ${o}: [${gs}] ${gd} vs reference [${rs}] ${rd}`;
      const r = refD[o]!;
      const x = gotD[o]!;
      for (let i = 0; i < r.length; i++) {
        const a = r[i]!;
        const b = x[i]!;
        if (Number.isNaN(a) || Number.isNaN(b)) {
          if (Number.isNaN(a) !== Number.isNaN(b)) return `output ${o} element ${i}: ${b} vs ${a}`;
          continue;
        }
        if (a === b) continue;
        if (!(Math.abs(a - b) <= atol + rtol * Math.abs(a))) return `output ${o} element ${i}: ${b} vs reference ${a}`;
      }
    }
    return null;
  };
}
