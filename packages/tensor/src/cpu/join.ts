/**
 * Reference cpu kernels for `cat` and `pad`.
 * @module
 */
import type { Kernel } from '../backend.js';
import { alloc, contiguousStrides, forEachIndex, readContiguous } from './util.js';

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = {
  cat: (inputs, a: { dim: number }, [spec]) => {
    const out = alloc(spec!);
    const os = contiguousStrides(spec!.shape);
    let base = 0;
    for (const x of inputs) {
      const src = readContiguous(x);
      forEachIndex(x.shape, (flat, idx) => {
        let o = 0;
        for (let d = 0; d < idx.length; d++) o += (d === a.dim ? idx[d]! + base : idx[d]!) * os[d]!;
        out[o] = src[flat]!;
      });
      base += x.shape[a.dim]!;
    }
    return [out];
  },
  pad: ([x], a: { before: number[]; value: number }, [spec]) => {
    const out = alloc(spec!);
    out.fill(a.value);
    const os = contiguousStrides(spec!.shape);
    const src = readContiguous(x!);
    forEachIndex(x!.shape, (flat, idx) => {
      let o = 0;
      for (let d = 0; d < idx.length; d++) o += (idx[d]! + a.before[d]!) * os[d]!;
      out[o] = src[flat]!;
    });
    return [out];
  },
};
