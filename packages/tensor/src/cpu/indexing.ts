/**
 * Reference cpu kernels for `gather`, `indexSelect` and `scatterAdd`. Indices are checked against
 * the dim size here, since only the kernel sees their values.
 * @module
 */
import type { Kernel } from '../backend.js';
import { ArgumentError } from '../errors.js';
import { alloc, contiguousStrides, forEachIndex, readContiguous } from './util.js';

function checkIndex(op: string, i: number, n: number, dim: number): number {
  if (i < -n || i >= n) throw new ArgumentError(`${op}: index ${i} is out of range for dim ${dim} of size ${n}`);
  return i < 0 ? i + n : i;
}

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = {
  gather: ([x, index], a: { dim: number }, [spec]) => {
    const src = readContiguous(x!);
    const idxData = readContiguous(index!);
    const xs = contiguousStrides(x!.shape);
    const out = alloc(spec!);
    forEachIndex(index!.shape, (flat, idx) => {
      let o = 0;
      for (let d = 0; d < idx.length; d++) {
        const i = d === a.dim ? checkIndex('gather', idxData[flat]!, x!.shape[d]!, d) : idx[d]!;
        o += i * xs[d]!;
      }
      out[flat] = src[o]!;
    });
    return [out];
  },
  indexSelect: ([x, index], a: { dim: number }, [spec]) => {
    const src = readContiguous(x!);
    const idxData = readContiguous(index!);
    const out = alloc(spec!);
    if (x!.shape.length === 0) {
      for (let i = 0; i < idxData.length; i++) checkIndex('indexSelect', idxData[i]!, 1, 0);
      out[0] = src[0]!;
      return [out];
    }
    const xs = contiguousStrides(x!.shape);
    forEachIndex(spec!.shape, (flat, idx) => {
      let o = 0;
      for (let d = 0; d < idx.length; d++) {
        const i = d === a.dim ? checkIndex('indexSelect', idxData[idx[d]!]!, x!.shape[d]!, d) : idx[d]!;
        o += i * xs[d]!;
      }
      out[flat] = src[o]!;
    });
    return [out];
  },
  scatterAdd: ([x, index, srcT], a: { dim: number }, [spec]) => {
    const out = alloc(spec!);
    out.set(readContiguous(x!));
    const idxData = readContiguous(index!);
    const src = readContiguous(srcT!);
    const os = contiguousStrides(spec!.shape);
    const ss = contiguousStrides(srcT!.shape);
    forEachIndex(index!.shape, (flat, idx) => {
      let o = 0;
      let s = 0;
      for (let d = 0; d < idx.length; d++) {
        const i = d === a.dim ? checkIndex('scatterAdd', idxData[flat]!, spec!.shape[d]!, d) : idx[d]!;
        o += i * os[d]!;
        s += idx[d]! * ss[d]!;
      }
      out[o] = out[o]! + src[s]!;
    });
    return [out];
  },
};
