import { describe, expect, it } from 'vitest';
import { type Backend, type TypedArray, registerBackend } from '../index.js';
import { cpuBackend } from '../cpu/index.js';
import { buildCases, checkCase, compareOutputs, uncoveredOps } from './index.js';

describe('conformance kit', () => {
  it('covers every catalogue op', () => {
    expect(uncoveredOps()).toEqual([]);
  });

  it('catches a backend whose kernel ignores strides', async () => {
    // A backend identical to cpu except that `add` reads its inputs as if they were contiguous.
    const broken: Backend = {
      ...cpuBackend,
      name: 'broken-strides',
      kernels: {
        ...cpuBackend.kernels,
        add: ([a, b], _attrs, [spec]) => {
          const out = new Float32Array(spec!.shape.reduce((p, d) => p * d, 1));
          const da = a!.buffer as TypedArray;
          const db = b!.buffer as TypedArray;
          for (let i = 0; i < out.length; i++) out[i] = da[i % da.length]! + db[i % db.length]!;
          return [out];
        },
      },
    };
    registerBackend(broken);
    const addCases = buildCases().filter((c) => c.ops.includes('add') && c.inputs.some((s) => s.layout && s.layout !== 'contiguous'));
    expect(addCases.length).toBeGreaterThan(0);
    const results = await Promise.allSettled(addCases.map((c) => checkCase(c, 'broken-strides')));
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
  });

  it('compares with tolerances, exactly for ints, and NaN only with NaN', () => {
    const f = (xs: number[]) => ({ shape: [xs.length], dtype: 'float32', data: Float32Array.from(xs) });
    expect(compareOutputs(f([1, NaN]), f([1 + 1e-7, NaN]), 1e-6, 0)).toBeNull();
    expect(compareOutputs(f([1]), f([1.1]), 1e-6, 1e-6)).toMatch(/element 0/);
    expect(compareOutputs(f([NaN]), f([0]), 1, 1)).toMatch(/NaN/);
    expect(compareOutputs(f([1, 2]), f([1]), 1, 1)).toMatch(/shape/);
    const i = (xs: number[]) => ({ shape: [xs.length], dtype: 'int32', data: Int32Array.from(xs) });
    expect(compareOutputs(i([3]), i([4]), 10, 10)).toMatch(/4 != reference 3/);
  });
});
