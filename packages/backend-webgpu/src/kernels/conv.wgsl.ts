/**
 * `conv` and `convTranspose` over 1 to 3 spatial dims (lifted to 3), groups, dilation, padding.
 *
 * Tiling:
 * - `conv`, while the unfolded input fits a budget (16M elements), is im2col + the matmul
 *   kernels: one gather dispatch writes `cols[n, c·kvol + k, p]` (zero where the window hangs
 *   over the padding), then `W[g] (coutG x cinG·kvol) · cols[n, g]` runs as a batched matmul
 *   over (n, g) with the register-blocked or tiled kernel, and a bias add. On llvmpipe this is
 *   several times faster than the direct kernel for 3x3x3 convolutions of 32 channels.
 * - otherwise `conv` is direct: one invocation computes 4 output channels x 4 consecutive output columns
 *   (a 4x4 register block, as in the matmul kernels, so each input load feeds 4 channels and
 *   each weight load 4 columns), looping over the group's input channels and the kernel window.
 *   Channels past the group end and columns past the row end are clamped on load and skipped
 *   on store. Input, weight and bias are read through their strides (no copies).
 * - `convTranspose` is written as a gather, so it needs no atomics and is deterministic: each
 *   output element sums over the input positions that map onto it (`o + pad - k·dil` divisible
 *   by the stride), one invocation per output element.
 * @module
 */
import type { Kernel, OutputSpec, TensorView } from '@tessera/tensor';
import { sizeOf } from '@tessera/tensor';
import type { ConvAttrs, ConvTransposeAttrs } from '@tessera/tensor';
import type { GpuContext } from '../context.js';
import type { GpuBuffer } from '../pool.js';
import { current } from '../state.js';
import { Params, buf, entry, header, outBuffer, WG } from './common.js';
import { denseView } from './dense.js';
import { runMap } from './elementwise.wgsl.js';
import { matmulViews } from './matmul.wgsl.js';
import { lift3, lift5Shape, lift5Strides } from './spatial.js';

/** Writes the lifted geometry; returns the index of the first word. */
function geometry(p: Params, x: TensorView, w: TensorView, spec: OutputSpec, a: { stride: number[]; padding: number[]; dilation: number[]; groups: number }): number {
  const n = x.shape.length - 2;
  const at = p.us(lift5Shape(x.shape)); // 0..4: N Cin ID IH IW
  p.us(lift3(w.shape.slice(2), 1)); // 5..7: KD KH KW
  p.us(lift5Shape(spec.shape)); // 8..12: N Cout OD OH OW
  p.us(lift3(a.stride, 1)); // 13..15
  p.us(lift3(a.padding.slice(0, n), 0)); // 16..18
  p.us(lift3(a.dilation, 1)); // 19..21
  p.us(lift5Strides(x)); // 22..26
  p.us([w.strides[0]!, w.strides[1]!, ...lift3(w.strides.slice(2), 0)]); // 27..31
  p.us([x.offset, w.offset, a.groups]); // 32..34
  return at;
}

/** WGSL that unpacks the geometry words into named locals. */
function unpack(g: number): string {
  const names = [
    'NB', 'CIN', 'ID', 'IH', 'IW', 'KD', 'KH', 'KW', 'NB2', 'COUT', 'OD', 'OH', 'OW', 'SD', 'SH', 'SW', 'PD', 'PH', 'PW',
    'DD', 'DH', 'DW', 'XSN', 'XSC', 'XSD', 'XSH', 'XSW', 'WS0', 'WS1', 'WSD', 'WSH', 'WSW', 'XOFF', 'WOFF', 'GROUPS',
  ];
  return names.map((n, i) => `  let ${n} = i32(pu(${g + i}u));`).join('\n');
}

/** conv as im2col + batched matmul (+ bias). */
function convIm2col(ctx: GpuContext, x: TensorView, w: TensorView, b: TensorView | undefined, a: ConvAttrs, spec: OutputSpec): GpuBuffer {
  const [nb, cin] = [x.shape[0]!, x.shape[1]!];
  const cout = spec.shape[1]!;
  const g = a.groups;
  const kvol = sizeOf(w.shape.slice(2));
  const P = sizeOf(spec.shape.slice(2));
  const K = (cin / g) * kvol;
  const colsLen = nb * cin * kvol * P;
  const cols = ctx.pool.acquire(colsLen * 4, false);
  const p = new Params();
  const geo = geometry(p, x, w, spec, a);
  const nWord = p.u(colsLen);
  ctx.launch({
    key: 'conv:im2col',
    reads: [buf(ctx, x)],
    writes: [cols],
    params: p,
    groups: ctx.grid(Math.ceil(colsLen / WG)),
    code: () => `${header([{ name: 'X', type: 'f32' }], [{ name: 'cols', type: 'f32' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${nWord}u)) { return; }
${unpack(geo)}
  var rem = i32(lin);
  let ow = rem % OW; rem = rem / OW;
  let oh = rem % OH; rem = rem / OH;
  let od = rem % OD; rem = rem / OD;
  let kw = rem % KW; rem = rem / KW;
  let kh = rem % KH; rem = rem / KH;
  let kd = rem % KD; rem = rem / KD;
  let c = rem % CIN; rem = rem / CIN;
  let n = rem;
  let id = od * SD - PD + kd * DD;
  let ih = oh * SH - PH + kh * DH;
  let iw = ow * SW - PW + kw * DW;
  var v = 0.0;
  if (id >= 0 && id < ID && ih >= 0 && ih < IH && iw >= 0 && iw < IW) {
    v = X[u32(XOFF + n * XSN + c * XSC + id * XSD + ih * XSH + iw * XSW)];
  }
  cols[lin] = v;
}`,
  });
  const temps: GpuBuffer[] = [cols];
  const wd = denseView(ctx, w, temps);
  const wView: TensorView = { buffer: wd.buffer, dtype: 'float32', shape: [1, g, cout / g, K], strides: [0, (cout / g) * K, K, 1], offset: wd.offset };
  const cView: TensorView = { buffer: cols, dtype: 'float32', shape: [nb, g, K, P], strides: [g * K * P, K * P, P, 1], offset: 0 };
  const mmSpec: OutputSpec = { shape: [nb, g, cout / g, P], dtype: 'float32' };
  let out: GpuBuffer;
  if (b) {
    const prod = matmulViews(ctx, wView, cView, mmSpec);
    temps.push(prod);
    const pv: TensorView = { buffer: prod, dtype: 'float32', shape: [nb, cout, P], strides: [cout * P, P, 1], offset: 0 };
    const bv: TensorView = { ...b, shape: [cout, 1], strides: [b.strides[0]!, 0] };
    out = runMap(ctx, [pv, bv], { shape: [nb, cout, P], dtype: 'float32' }, { key: 'add', types: ['f32', 'f32'], body: () => 'v0 + v1' });
  } else {
    out = matmulViews(ctx, wView, cView, mmSpec);
  }
  for (const t of temps) ctx.pool.release(t);
  return out;
}

/** Convolution kernels by op name. */
export const kernels: Record<string, Kernel> = {
  conv: (inputs, a: ConvAttrs, [spec]) => {
    const ctx = current();
    const [x, w, b] = inputs as [TensorView, TensorView, TensorView?];
    const colsLen = x.shape[0]! * x.shape[1]! * sizeOf(w.shape.slice(2)) * sizeOf(spec!.shape.slice(2));
    if (colsLen <= ctx.info.im2colBudget) return [convIm2col(ctx, x, w, b, a, spec!)];
    const out = outBuffer(ctx, spec!);
    const p = new Params();
    const g = geometry(p, x, w, spec!, a);
    const bWords = p.us([b?.offset ?? 0, b?.strides[0] ?? 0]);
    const [, cout, od, oh, ow] = lift5Shape(spec!.shape) as [number, number, number, number, number];
    const owBlocks = Math.ceil(ow / 4);
    const coBlocks = a.groups * Math.ceil(cout / a.groups / 4);
    const total = spec!.shape[0]! * coBlocks * od * oh * owBlocks;
    const nWord = p.u(total);
    const reads = [buf(ctx, x), buf(ctx, w), ...(b ? [buf(ctx, b)] : [])];
    const rows = [0, 1, 2, 3];
    ctx.launch({
      key: `conv|${b ? 'bias' : 'nobias'}`,
      reads,
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(total / WG)),
      code: () => `${header([{ name: 'X', type: 'f32' }, { name: 'Wt', type: 'f32' }, ...(b ? [{ name: 'Bias', type: 'f32' }] : [])], [{ name: 'out', type: 'f32' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${nWord}u)) { return; }
${unpack(g)}
  let coutG = COUT / GROUPS;
  let cinG = CIN / GROUPS;
  let owb = (OW + 3) / 4;
  let bpg = (coutG + 3) / 4;
  var rem = i32(lin);
  let ow0 = (rem % owb) * 4; rem = rem / owb;
  let oh = rem % OH; rem = rem / OH;
  let od = rem % OD; rem = rem / OD;
  let cb = rem % (bpg * GROUPS); rem = rem / (bpg * GROUPS);
  let n = rem;
  let grp = cb / bpg;
  let co0 = grp * coutG + (cb % bpg) * 4;
  let cEnd = (grp + 1) * coutG;
${rows.map((i) => `  let cc${i} = min(co0 + ${i}, cEnd - 1);`).join('\n')}
${rows.map((i) => rows.map((j) => `  var acc${i}${j} = 0.0;`).join(' ')).join('\n')}
  for (var ci = 0; ci < cinG; ci++) {
    let xc = XOFF + n * XSN + (grp * cinG + ci) * XSC;
    let wc = WOFF + ci * WS1;
    for (var kd = 0; kd < KD; kd++) {
      let id = od * SD - PD + kd * DD;
      if (id < 0 || id >= ID) { continue; }
      for (var kh = 0; kh < KH; kh++) {
        let ih = oh * SH - PH + kh * DH;
        if (ih < 0 || ih >= IH) { continue; }
        let xr = xc + id * XSD + ih * XSH;
        let wk = wc + kd * WSD + kh * WSH;
        for (var kw = 0; kw < KW; kw++) {
${rows.map((j) => `          let iw${j} = (ow0 + ${j}) * SW - PW + kw * DW;
          var x${j} = 0.0;
          if (iw${j} >= 0 && iw${j} < IW) { x${j} = X[u32(xr + iw${j} * XSW)]; }`).join('\n')}
${rows.map((i) => `          let w${i} = Wt[u32(wk + cc${i} * WS0 + kw * WSW)];`).join('\n')}
${rows.map((i) => rows.map((j) => `          acc${i}${j} += w${i} * x${j};`).join(' ')).join('\n')}
        }
      }
    }
  }
  let ovol = OD * OH * OW;
${rows.map((i) => `  if (co0 + ${i} < cEnd) {
    let bias${i} = ${b ? `Bias[pu(${bWords}u) + u32(co0 + ${i}) * pu(${bWords + 1}u)]` : '0.0'};
    let ob = (n * COUT + co0 + ${i}) * ovol + (od * OH + oh) * OW;
${rows.map((j) => `    if (ow0 + ${j} < OW) { out[u32(ob + ow0 + ${j})] = acc${i}${j} + bias${i}; }`).join('\n')}
  }`).join('\n')}
}`,
    });
    return [out];
  },

  convTranspose: (inputs, a: ConvTransposeAttrs, [spec]) => {
    const ctx = current();
    const [x, w, b] = inputs as [TensorView, TensorView, TensorView?];
    const out = outBuffer(ctx, spec!);
    const p = new Params();
    const g = geometry(p, x, w, spec!, a);
    const bWords = p.us([b?.offset ?? 0, b?.strides[0] ?? 0]);
    const total = sizeOf(spec!.shape);
    const nWord = p.u(total);
    ctx.launch({
      key: `convTranspose|${b ? 'bias' : 'nobias'}`,
      reads: [buf(ctx, x), buf(ctx, w), ...(b ? [buf(ctx, b)] : [])],
      writes: [out],
      params: p,
      groups: ctx.grid(Math.ceil(total / WG)),
      code: () => `${header([{ name: 'X', type: 'f32' }, { name: 'Wt', type: 'f32' }, ...(b ? [{ name: 'Bias', type: 'f32' }] : [])], [{ name: 'out', type: 'f32' }], p)}
${entry(WG)}
  let lin = linear_group(wid, nwg) * ${WG}u + lid.x;
  if (lin >= pu(${nWord}u)) { return; }
${unpack(g)}
  var rem = i32(lin);
  let ow = rem % OW; rem = rem / OW;
  let oh = rem % OH; rem = rem / OH;
  let od = rem % OD; rem = rem / OD;
  let co = rem % COUT; rem = rem / COUT;
  let n = rem;
  let coutG = COUT / GROUPS;
  let cinG = CIN / GROUPS;
  let grp = co / coutG;
  let cl = co - grp * coutG;
  var acc = ${b ? `Bias[pu(${bWords}u) + u32(co) * pu(${bWords + 1}u)]` : '0.0'};
  var sum = 0.0;
  for (var kd = 0; kd < KD; kd++) {
    let td = od + PD - kd * DD;
    if (td < 0 || td % SD != 0 || td / SD >= ID) { continue; }
    let id = td / SD;
    for (var kh = 0; kh < KH; kh++) {
      let th = oh + PH - kh * DH;
      if (th < 0 || th % SH != 0 || th / SH >= IH) { continue; }
      let ih = th / SH;
      for (var kw = 0; kw < KW; kw++) {
        let tw = ow + PW - kw * DW;
        if (tw < 0 || tw % SW != 0 || tw / SW >= IW) { continue; }
        let iw = tw / SW;
        let xo = XOFF + n * XSN + id * XSD + ih * XSH + iw * XSW;
        let wo = WOFF + cl * WS1 + kd * WSD + kh * WSH + kw * WSW;
        for (var c = 0; c < cinG; c++) {
          let ci = grp * cinG + c;
          sum += X[u32(xo + ci * XSC)] * Wt[u32(wo + ci * WS0)];
        }
      }
    }
  }
  out[lin] = sum + acc;
}`,
    });
    return [out];
  },
};
