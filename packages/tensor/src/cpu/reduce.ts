/**
 * Reference cpu kernels for reductions and `cumsum`. Accumulation is in float64.
 * @module
 */
import type { Kernel, OutputSpec } from '../backend.js';
import { alloc, contiguousStrides, forEachIndex, readF64 } from './util.js';

/** For each input element (row-major), the flat index of the output element it reduces into. */
function outIndexMap(shape: readonly number[], dims: readonly number[]): { map: Int32Array; outSize: number } {
  const kept = shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const ks = contiguousStrides(kept);
  let outSize = 1;
  for (const d of kept) outSize *= d;
  const map = new Int32Array(shape.reduce((a, b) => a * b, 1));
  forEachIndex(shape, (flat, idx) => {
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!dims.includes(d)) o += idx[d]! * ks[d]!;
    map[flat] = o;
  });
  return { map, outSize };
}

function reduceKernel(init: number, step: (acc: number, v: number) => number): Kernel {
  return ([x], a: { dims: number[] }, [spec]: readonly OutputSpec[]) => {
    const data = readF64(x!);
    const { map, outSize } = outIndexMap(x!.shape, a.dims);
    const acc = new Float64Array(outSize).fill(init);
    for (let i = 0; i < data.length; i++) acc[map[i]!] = step(acc[map[i]!]!, data[i]!);
    const out = alloc(spec!);
    out.set(acc);
    return [out];
  };
}

const nanMax = (acc: number, v: number): number => (Number.isNaN(acc) || Number.isNaN(v) ? NaN : v > acc ? v : acc);
const nanMin = (acc: number, v: number): number => (Number.isNaN(acc) || Number.isNaN(v) ? NaN : v < acc ? v : acc);

function argKernel(better: (v: number, best: number) => boolean): Kernel {
  return ([x], a: { dim: number | null }, [spec]) => {
    const data = readF64(x!);
    const dims = a.dim === null ? x!.shape.map((_, i) => i) : x!.shape.length === 0 ? [] : [a.dim];
    const { map, outSize } = outIndexMap(x!.shape, dims);
    const best = new Float64Array(outSize);
    const arg = new Int32Array(outSize).fill(-1);
    const dimSize = a.dim === null ? 1 : (x!.shape[a.dim] ?? 1);
    const inner = a.dim === null ? 1 : contiguousStrides(x!.shape)[a.dim] ?? 1;
    for (let i = 0; i < data.length; i++) {
      const o = map[i]!;
      const v = data[i]!;
      // Position along the reduced dim (or in the flattened tensor when dim is null).
      const pos = a.dim === null ? i : Math.floor(i / inner) % dimSize;
      if (arg[o] === -1 || (!Number.isNaN(best[o]!) && (Number.isNaN(v) || better(v, best[o]!)))) {
        best[o] = v;
        arg[o] = pos;
      }
    }
    const out = alloc(spec!);
    out.set(arg);
    return [out];
  };
}

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = {
  sum: reduceKernel(0, (acc, v) => acc + v),
  prod: reduceKernel(1, (acc, v) => acc * v),
  max: reduceKernel(-Infinity, nanMax),
  min: reduceKernel(Infinity, nanMin),
  argmax: argKernel((v, best) => v > best),
  argmin: argKernel((v, best) => v < best),
  cumsum: ([x], a: { dim: number }, [spec]) => {
    const data = readF64(x!);
    const out = alloc(spec!);
    if (x!.shape.length === 0) {
      out[0] = data[0]!;
      return [out];
    }
    const n = x!.shape[a.dim]!;
    const inner = contiguousStrides(x!.shape)[a.dim]!;
    const outer = data.length / Math.max(1, n * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const j = (o * n + k) * inner + i;
          acc += data[j]!;
          out[j] = acc;
        }
      }
    }
    return [out];
  },
};
