/**
 * Fused `layerNorm` and `groupNorm` (registered under the composites' names): one dispatch per
 * call instead of the decomposition's eight or so, each row read three times from cache
 * (mean, then the centred sum of squares — two passes, as the decomposition computes the
 * biased variance, so results agree to rounding — then the normalised output with weight and
 * bias applied) instead of going through memory between ops.
 *
 * Tiling: a row is the trailing `normalizedShape` (layerNorm) or one group of channels of one
 * sample (groupNorm), contiguous after a copy if the input is not. Two shapes: one invocation
 * per row, or one workgroup of 64 per row with tree sums in workgroup memory. Real GPUs take the
 * workgroup shape from rows of 128; CPU rasterisers only for a handful of very long rows, since
 * there a barrier costs more than it saves (4096x384 on llvmpipe: 24 ms one-per-row against
 * 143 ms with workgroups; SwiftShader 306 against 1779).
 * @module
 */
import type { GroupNormAttrs, Kernel, LayerNormAttrs, OutputSpec, TensorView } from '@tessera/tensor';
import { sizeOf } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { Params, buf, entry, header, outBuffer, WG } from './common.js';
import { denseView } from './dense.js';

interface NormPlan {
  /** Number of rows. */
  rows: number;
  /** Elements per row. */
  len: number;
  /** WGSL expression of the weight/bias index of element `j` of row `row`. */
  paramIndex: string;
  /** Extra words the index expression reads (`pu(EXTRA + k)`). */
  extra: number[];
  /** Pipeline key. */
  key: string;
}

function runNorm(ctx: GpuContext, inputs: readonly TensorView[], hasWeight: boolean, hasBias: boolean, eps: number, spec: OutputSpec, plan: NormPlan): GpuBuffer {
  const out = outBuffer(ctx, spec);
  if (sizeOf(spec.shape) === 0 || plan.len === 0) return out;
  const temps: GpuBuffer[] = [];
  const views = inputs.map((v) => denseView(ctx, v, temps));
  const x = views[0]!;
  let i = 1;
  const w = hasWeight ? views[i++] : undefined;
  const b = hasBias ? views[i] : undefined;
  const wg = ctx.info.cpu ? plan.rows < 32 && plan.len >= 1024 : plan.len >= 128;
  const p = new Params();
  const at = p.us([plan.rows, plan.len, x.offset, w?.offset ?? 0, b?.offset ?? 0]);
  const epsW = p.f(eps);
  const extra = p.us(plan.extra);
  const reads = [{ name: 'X', type: 'f32' }, ...(w ? [{ name: 'Wt', type: 'f32' }] : []), ...(b ? [{ name: 'Bs', type: 'f32' }] : [])];
  const affine = `${w ? ' * Wt[woff + pidx]' : ''}${b ? ' + Bs[boff + pidx]' : ''}`;
  // Each of the two sums has its own workgroup array: on llvmpipe (Tint → GLSL → Mesa) a read of
  // sh[0] after the tree was moved past the next barrier and saw the second sum's partials.
  const sumAll = (expr: string, into: string, sh: string) =>
    wg
      ? `var ${into}_part = 0.0;
  for (var j = lid.x; j < len; j += ${WG}u) { ${into}_part += ${expr}; }
  ${sh}[lid.x] = ${into}_part;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { ${sh}[lid.x] += ${sh}[lid.x + s]; }
    workgroupBarrier();
  }
  let ${into} = ${sh}[0];`
      : `var ${into}_acc = 0.0;
  for (var j = 0u; j < len; j++) { ${into}_acc += ${expr}; }
  let ${into} = ${into}_acc;`;
  const vec4 = !wg && plan.key === 'layerNorm' && plan.len % 4 === 0 && [x, w, b].every((v) => !v || v.offset % 4 === 0);
  if (vec4) {
    // One row per invocation read as vec4: a quarter of the (gathered) loads on CPU SIMD lanes.
    const r4 = [{ name: 'X', type: 'vec4<f32>' }, ...(w ? [{ name: 'Wt', type: 'vec4<f32>' }] : []), ...(b ? [{ name: 'Bs', type: 'vec4<f32>' }] : [])];
    const aff4 = `${w ? ' * Wt[woff + j]' : ''}${b ? ' + Bs[boff + j]' : ''}`;
    ctx.launch({
      key: `layerNorm:vec4|${w ? 'w' : ''}${b ? 'b' : ''}`,
      reads: [buf(ctx, x), ...(w ? [buf(ctx, w)] : []), ...(b ? [buf(ctx, b)] : [])],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(plan.rows / WG)),
      code: () => `${header(r4, [{ name: 'out', type: 'vec4<f32>' }], p)}
${entry(WG)}
  let row = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (row >= pu(${at}u)) { return; }
  let len4 = pu(${at + 1}u) / 4u;
  let xb = pu(${at + 2}u) / 4u + row * len4;
  let woff = pu(${at + 3}u) / 4u;
  let boff = pu(${at + 4}u) / 4u;
  var s4 = vec4<f32>(0.0);
  for (var j = 0u; j < len4; j++) { s4 += X[xb + j]; }
  let mean = (s4.x + s4.y + s4.z + s4.w) / f32(len4 * 4u);
  var q4 = vec4<f32>(0.0);
  for (var j = 0u; j < len4; j++) { let d = X[xb + j] - mean; q4 += d * d; }
  let rstd = inverseSqrt((q4.x + q4.y + q4.z + q4.w) / f32(len4 * 4u) + pf(${epsW}u));
  let ob = row * len4;
  for (var j = 0u; j < len4; j++) { out[ob + j] = (X[xb + j] - mean) * rstd${aff4}; }
}`,
    });
    for (const t of temps) ctx.pool.release(t);
    return out;
  }
  ctx.launch({
    key: `${plan.key}${wg ? ':wg' : ''}|${w ? 'w' : ''}${b ? 'b' : ''}`,
    reads: [buf(ctx, x), ...(w ? [buf(ctx, w)] : []), ...(b ? [buf(ctx, b)] : [])],
    writes: [out],
    params: p,
    groups: ctx.grid(wg ? plan.rows : Math.ceil(plan.rows / WG)),
    code: () => `${header(reads, [{ name: 'out', type: 'f32' }], p)}
${wg ? `var<workgroup> sh_mean: array<f32, ${WG}>;\nvar<workgroup> sh_var: array<f32, ${WG}>;` : ''}
${entry(WG)}
  let row = ${wg ? 'linear_group(wid, nwg)' : `linear_group(wid, nwg) * ${WG}u + lid.x`};
  if (row >= pu(${at}u)) { return; }
  let len = pu(${at + 1}u);
  let xoff = pu(${at + 2}u);
  let woff = pu(${at + 3}u);
  let boff = pu(${at + 4}u);
  let base = row * len;
  const EXTRA: u32 = ${extra}u;
  ${sumAll('X[xoff + base + j]', 'total', 'sh_mean')}
  let mean = total / f32(len);
  ${sumAll('(X[xoff + base + j] - mean) * (X[xoff + base + j] - mean)', 'ss', 'sh_var')}
  let rstd = inverseSqrt(ss / f32(len) + pf(${epsW}u));
  for (var j = ${wg ? 'lid.x' : '0u'}; j < len; j += ${wg ? `${WG}u` : '1u'}) {
    let pidx = ${plan.paramIndex};
    out[base + j] = (X[xoff + base + j] - mean) * rstd${affine};
  }
}`,
  });
  for (const t of temps) ctx.pool.release(t);
  return out;
}

/** Fused normalisation kernels by (composite) op name. */
export const kernels: Record<string, Kernel> = {
  layerNorm: (inputs, a: LayerNormAttrs, [spec]) => {
    const len = sizeOf(a.normalizedShape);
    const rows = len === 0 ? 0 : sizeOf(spec!.shape) / len;
    return [runNorm(current(), inputs, a.hasWeight, a.hasBias, a.eps, spec!, { rows, len, paramIndex: 'j', extra: [], key: 'layerNorm' })];
  },
  groupNorm: (inputs, a: GroupNormAttrs, [spec]) => {
    const shape = spec!.shape;
    const c = shape[1]!;
    const spatial = sizeOf(shape.slice(2));
    const cpg = c / a.numGroups;
    const rows = shape[0]! * a.numGroups;
    // Element j of row (n, g) is channel g·cpg + j / spatial.
    return [runNorm(current(), inputs, a.hasWeight, a.hasBias, a.eps, spec!, {
      rows,
      len: cpg * spatial,
      paramIndex: '(row % pu(EXTRA)) * pu(EXTRA + 1u) + j / pu(EXTRA + 2u)',
      extra: [a.numGroups, cpg, Math.max(1, spatial)],
      key: 'groupNorm',
    })];
  },
};
