// linear with the activation fused into the matmul epilogue vs the same work as separate ops, on
// one software adapter (default llvmpipe). x [M, K], weight [N, K] (nn.Linear's layout), bias [N].
// Every run reads its result back; median (and best) of `--reps` runs after two warm-up runs,
// variants interleaved round by round so that drift in the machine's load hits them alike.
//
//   npx tsx --tsconfig tsconfig.test.json packages/backend-webgpu/scripts/linear-bench.ts [llvmpipe|swiftshader] [--size 1024] [--reps 9]
import * as T from '@tessera/tensor';
import { destroyWebGPU, initWebGPU, probeWebGPU, webgpuInfo } from '@tessera/backend-webgpu';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const adapter = (args.find((a) => a === 'llvmpipe' || a === 'swiftshader') ?? 'llvmpipe') as 'llvmpipe' | 'swiftshader';
const n = Number(opt('size', '1024'));
const reps = Number(opt('reps', '9'));

const probe = await probeWebGPU({ adapter });
if (!probe.ok) throw new Error(`${adapter}: ${probe.reason}`);
await initWebGPU({ adapter });
T.setBackend('webgpu');
T.manualSeed(0);
const info = webgpuInfo()!;
console.log(`${adapter} (${info.adapter}), matmul variant ${info.matmul}, M = K = N = ${n}, LP_NUM_THREADS=${process.env.LP_NUM_THREADS}`);

const x = T.randn([n, n]);
const w = T.randn([n, n]); // [out, in]
const b = T.randn([n]);
const wt = T.contiguous(T.transpose(w, 0, 1)); // Wᵀ [in, out], row-major: what a plain matmul wants
const wtView = T.transpose(wt, 0, 1); // a [out, in] view whose Wᵀ is row-major

// [label, run, adds the bias]
const variants: [string, () => T.Tensor, boolean][] = [
  ['fused   linear(x, W, b, gelu)            [registersT + epilogue]', () => T.linear(x, w, b, { activation: 'gelu' }), true],
  ['unfused linear(x, W, b) then gelu        [registersT + gelu]', () => T.gelu(T.linear(x, w, b)), true],
  ['fused   linear(x, W, null, gelu)         [registersT + epilogue]', () => T.linear(x, w, null, { activation: 'gelu' }), false],
  ['unfused gelu(matmul(x, Wᵀ dense))        [registers + gelu]', () => T.gelu(T.matmul(x, wt)), false],
  ['fused   linear(x, view of Wᵀ, b, gelu)   [registers + epilogue]', () => T.linear(x, wtView, b, { activation: 'gelu' }), true],
  ['unfused gelu(matmul(x, Wᵀ dense) + b)    [registers + add + gelu]', () => T.gelu(T.add(T.matmul(x, wt), b)), true],
  ['unfused gelu(matmul(x, Wᵀ view) + b)     [old linear: copy + registers + add + gelu]', () => T.gelu(T.add(T.matmul(x, T.transpose(w, 0, 1)), b)), true],
];
/** Fused / unfused pairs (indices into variants) whose per-round differences are reported. */
const pairs: [number, number][] = [[0, 1], [2, 3], [4, 5], [0, 6]];
// What the fusion can save at most: the separate ops alone (on a ready product, read back too).
const y0 = T.matmul(x, wt);
const extras: [string, () => T.Tensor][] = [
  ['gelu alone on the [n, n] product', () => T.gelu(y0)],
  ['add bias + gelu alone on the product', () => T.gelu(T.add(y0, b))],
  ['copy + read back only', () => T.clone(y0)],
];

// Same values whichever way.
{
  const read = async (fn: () => T.Tensor): Promise<Float32Array> => {
    const y = T.tidy(fn);
    const d = (await y.data()) as Float32Array;
    y.dispose();
    return d;
  };
  const withBias = await read(() => T.gelu(T.add(T.matmul(x, wt), b)));
  const noBias = await read(() => T.gelu(T.matmul(x, wt)));
  for (const [name, fn, bias] of variants) {
    const ref = bias ? withBias : noBias;
    const d = await read(fn);
    let worst = 0;
    for (let i = 0; i < d.length; i++) worst = Math.max(worst, Math.abs(d[i]! - ref[i]!) / (1 + Math.abs(ref[i]!)));
    if (!(worst < 1e-3)) throw new Error(`${name}: differs from the reference by ${worst}`);
  }
}

const all: [string, () => T.Tensor][] = [...variants.map(([name, fn]) => [name, fn] as [string, () => T.Tensor]), ...extras];
const times: number[][] = all.map(() => []);
const once = async (fn: () => T.Tensor): Promise<number> => {
  const t0 = performance.now();
  const y = T.tidy(fn);
  await y.data();
  const t = performance.now() - t0;
  y.dispose();
  return t;
};
for (let round = 0; round < reps + 2; round++) {
  for (let v = 0; v < all.length; v++) {
    const t = await once(all[v]![1]);
    if (round >= 2) times[v]!.push(t);
  }
}
const flops = 2 * n ** 3;
const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
for (let v = 0; v < all.length; v++) {
  const ts = [...times[v]!].sort((p, q) => p - q);
  const med = median(ts);
  const rate = v < variants.length ? ` (${(flops / (med * 1e6)).toFixed(2)} GFLOP/s)` : '';
  console.log(`${all[v]![0]}: median ${med.toFixed(1)} ms${rate}, best ${ts[0]!.toFixed(1)} ms`);
}
for (const [f, u] of pairs) {
  const d = times[f]!.map((t, i) => times[u]![i]! - t);
  const dm = median(d);
  console.log(`saved by [${f}] over [${u}], median of per-round differences: ${dm.toFixed(1)} ms (${((100 * dm) / median(times[u]!)).toFixed(1)} %)`);
}
for (const t of [x, w, b, wt, y0]) t.dispose();
destroyWebGPU();
