/**
 * Golden tests: the optimizers, schedulers and clipGradNorm against PyTorch 1.13 trajectories.
 * The fixture (`__golden__/optim.safetensors`) is made by `tools/golden/gen_optim.py`, which
 * documents its layout: fixed initial parameters and a fixed gradient sequence, so the replay needs
 * no autograd; every case's parameter after each of 20 steps; and lr traces of the schedulers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Tensor, fromArray, parseSafetensors } from '@tessera/tensor';
import '../index.js';
import {
  Adam,
  AdamW,
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  type Optimizer,
  SGD,
  SequentialLR,
  StepLR,
  clipGradNorm,
  warmupCosine,
} from './index.js';

const FILE = fileURLToPath(new URL('../__golden__/optim.safetensors', import.meta.url));
const { tensors: host, metadata } = parseSafetensors(readFileSync(FILE), { source: FILE });

function get(name: string): { data: Float32Array; shape: number[] } {
  const t = host.get(name);
  if (!t) throw new Error(`optim.safetensors has no '${name}'`);
  return { data: t.data as Float32Array, shape: t.shape };
}

/** Row k of a [n, ...rest] host array, as a tensor. */
function row(name: string, k: number): Tensor {
  const { data, shape } = get(name);
  const rest = shape.slice(1);
  const n = rest.reduce((a, b) => a * b, 1);
  return fromArray(data.slice(k * n, (k + 1) * n), rest);
}

interface ScheduleSpec {
  type: string;
  [k: string]: any;
}

interface CaseSpec {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, any>;
  groups?: ({ params: number[] } & Record<string, any>)[];
  schedule?: ScheduleSpec;
  clipGradNorm?: number;
}

function makeScheduler(opt: Optimizer<any>, s: ScheduleSpec): LRScheduler {
  switch (s.type) {
    case 'LinearLR':
      return new LinearLR(opt, { startFactor: s.startFactor, endFactor: s.endFactor, totalIters: s.totalIters });
    case 'StepLR':
      return new StepLR(opt, { stepSize: s.stepSize, gamma: s.gamma });
    case 'MultiStepLR':
      return new MultiStepLR(opt, { milestones: s.milestones, gamma: s.gamma });
    case 'ExponentialLR':
      return new ExponentialLR(opt, { gamma: s.gamma });
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, { tMax: s.tMax, etaMin: s.etaMin });
    case 'LambdaLR':
      return new LambdaLR(opt, (t) => 0.95 ** t);
    case 'warmupCosine':
      return warmupCosine(opt, { warmupSteps: s.warmupSteps, totalSteps: s.warmupSteps + s.tMax, startFactor: s.startFactor, etaMin: s.etaMin });
    case 'SequentialLR':
      return new SequentialLR(opt, (s.parts as ScheduleSpec[]).map((p) => makeScheduler(opt, p)), s.milestones);
    default:
      throw new Error(`unknown schedule ${s.type}`);
  }
}

function makeOptimizer(spec: CaseSpec, params: Tensor[]): Optimizer<any> {
  const Cls = { SGD, Adam, AdamW }[spec.optimizer];
  const groups = spec.groups?.map(({ params: ids, ...rest }) => ({ ...rest, params: ids.map((i) => params[i]!) }));
  return new Cls((groups ?? params) as any, spec.options as any);
}

/** max |a - b| over the elements, relative to the tensor's scale max |b| (at least 1e-3). */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

const CASES = Object.entries(metadata)
  .filter(([k]) => !k.startsWith('__'))
  .map(([name, json]) => [name, JSON.parse(json) as CaseSpec] as const);
const STEPS = get('grads/p1').shape[0]!;

describe('optim golden (PyTorch 1.13)', () => {
  it('has every case', () => {
    expect(CASES.map(([n]) => n).sort()).toEqual(
      [
        'adam',
        'adam_groups',
        'adam_warmup_cosine',
        'adam_wd_amsgrad',
        'adamw',
        'adamw_amsgrad',
        'adamw_maximize',
        'sgd',
        'sgd_clip',
        'sgd_maximize',
        'sgd_momentum_dampening',
        'sgd_nesterov',
      ].sort(),
    );
  });

  for (const [name, spec] of CASES) {
    // Adam and AdamW replay bit for bit. SGD differs in the last bits: PyTorch's `add(x, alpha=a)`
    // is a fused multiply-add on the cpu (one rounding), Tessera rounds a·x first (about 1e-7 of
    // the parameters' scale after 20 steps).
    it(`${name} matches the PyTorch trajectory (1e-6 relative)`, () => {
      const params = ['init/p0', 'init/p1'].map((n) => fromArray(get(n).data, get(n).shape).requiresGrad_());
      const opt = makeOptimizer(spec, params);
      const sched = spec.schedule ? makeScheduler(opt, spec.schedule) : null;
      let worst = 0;
      for (let k = 0; k < STEPS; k++) {
        params[0]!.grad = row('grads/p0', k);
        params[1]!.grad = row('grads/p1', k);
        if (spec.clipGradNorm !== undefined) {
          const norm = clipGradNorm(params, spec.clipGradNorm);
          expect(norm.item()).toBeCloseTo(get(`${name}/norms`).data[k]!, 5);
          norm.dispose();
        }
        opt.step();
        sched?.step();
        for (const [i, p] of params.entries()) {
          const want = row(`${name}/p${i}`, k + 1);
          worst = Math.max(worst, maxRelErr(p.dataSync(), want.dataSync()));
          want.dispose();
        }
      }
      expect(worst).toBeLessThan(1e-6);
      opt.disposeState();
      for (const p of params) {
        p.grad = null;
        p.dispose();
      }
    });
  }
});

describe('lr schedules (PyTorch 1.13 traces)', () => {
  const traces = JSON.parse(metadata.__lr_traces__!) as Record<string, { schedule: ScheduleSpec; lrs: number[][] }>;
  for (const [name, { schedule, lrs }] of Object.entries(traces)) {
    it(`${name}`, () => {
      const a = fromArray([0], [1]).requiresGrad_();
      const b = fromArray([0], [1]).requiresGrad_();
      const opt = new SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.02 }], { lr: 0.1 });
      const sched = makeScheduler(opt, schedule);
      const got: number[][] = [];
      for (let t = 0; t < lrs.length; t++) {
        got.push(opt.paramGroups.map((g) => g.lr));
        sched.step();
      }
      for (let t = 0; t < lrs.length; t++) {
        for (let i = 0; i < 2; i++) {
          const want = lrs[t]![i]!;
          expect(Math.abs(got[t]![i]! - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want) + 1e-18);
        }
      }
      a.dispose();
      b.dispose();
    });
  }
});
