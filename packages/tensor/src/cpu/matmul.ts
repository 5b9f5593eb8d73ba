/**
 * Reference cpu matmul: a triple loop per batch entry with float64 accumulation, batch dims broadcast.
 * @module
 */
import type { Kernel } from '../backend.js';
import { alloc, contiguousStrides, forEachIndex, readF64 } from './util.js';

/** Flat batch index into an operand whose batch shape broadcasts to `outBatch`. */
function batchIndex(opBatch: readonly number[], outBatch: readonly number[], idx: readonly number[]): number {
  const lead = outBatch.length - opBatch.length;
  const strides = contiguousStrides(opBatch);
  let b = 0;
  for (let d = 0; d < opBatch.length; d++) b += (opBatch[d] === 1 ? 0 : idx[d + lead]!) * strides[d]!;
  return b;
}

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = {
  matmul: ([a, b], _attrs, [spec]) => {
    const A = readF64(a!);
    const B = readF64(b!);
    const M = a!.shape[a!.shape.length - 2]!;
    const K = a!.shape[a!.shape.length - 1]!;
    const N = b!.shape[b!.shape.length - 1]!;
    const outBatch = spec!.shape.slice(0, -2);
    const aBatch = a!.shape.slice(0, -2);
    const bBatch = b!.shape.slice(0, -2);
    const out = alloc(spec!);
    const row = new Float64Array(N);
    let o = 0;
    const run = (idx: readonly number[]): void => {
      const ab = batchIndex(aBatch, outBatch, idx) * M * K;
      const bb = batchIndex(bBatch, outBatch, idx) * K * N;
      for (let i = 0; i < M; i++) {
        row.fill(0);
        for (let k = 0; k < K; k++) {
          const av = A[ab + i * K + k]!;
          const boff = bb + k * N;
          for (let j = 0; j < N; j++) row[j]! += av * B[boff + j]!;
        }
        for (let j = 0; j < N; j++) out[o++] = row[j]!;
      }
    };
    if (outBatch.length === 0) run([]);
    else forEachIndex(outBatch, (_f, idx) => run(idx));
    return [out];
  },
};
