/**
 * Dense views for the kernels that index rows directly (the fused softmax, norms and
 * attention): a view that is already row-major (any offset) is used as is; anything else is
 * copied once into a temporary the caller releases after its dispatch.
 * @module
 */
import type { TensorView } from '@tessera/tensor';
import { contiguousStrides } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { isDense, wtype } from './common.js';
import { runMap } from './elementwise.wgsl.js';

/** `v` if it is row-major, else a contiguous copy (pushed onto `temps`). */
export function denseView(ctx: GpuContext, v: TensorView, temps: GpuBuffer[]): TensorView {
  if (isDense(v)) return v;
  const t = wtype(v.dtype);
  const tmp = runMap(ctx, [v], { shape: v.shape, dtype: v.dtype }, { key: 'copy', types: [t], body: () => 'v0' });
  temps.push(tmp);
  return { buffer: tmp, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
}
