/**
 * nn layers against PyTorch 1.13 (fixtures from `tools/golden/gen_nn.py`; see its docstring for
 * the layout): a small conv → groupnorm → SiLU → attention → MLP model, strict-loaded from the
 * PyTorch state dict, forward and every parameter's gradient; `torch.nn.MultiheadAttention` in
 * both layouts with masks; single layers whose weight layouts are easy to get wrong.
 *
 * Tolerances: outputs |a - b| <= 1e-5 + 1e-5·|b|; gradients |a - b| <= 1e-4·(|b| + 1e-2·max|b|)
 * (relative, with a floor at 1% of the tensor's largest entry for entries near zero). References
 * are float64 PyTorch results stored as float32.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Tensor, loadSafetensors, mul, parseSafetensors, sum, tidy } from '@tessera/tensor';
import { cpu64Backend, useCpu64 } from '@tessera/tensor/testing';
import '../index.js';
import * as nn from './index.js';

const DIR = fileURLToPath(new URL('../__golden__/', import.meta.url));

function load(file: string): { t: Record<string, Tensor>; meta: Record<string, string> } {
  const bytes = readFileSync(DIR + file);
  return { t: loadSafetensors(bytes, { source: file }), meta: parseSafetensors(bytes, { source: file }).metadata };
}

/** Tensors under `prefix`, with the prefix removed. */
function under(t: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(t)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function get(t: Record<string, Tensor>, k: string): Tensor {
  const v = t[k];
  if (!v) throw new Error(`fixture has no tensor '${k}'`);
  return v;
}

function expectShape(name: string, a: Tensor, b: Tensor): void {
  expect([...a.shape], `${name}: shape`).toEqual([...b.shape]);
}

function expectClose(name: string, actual: Tensor, expected: Tensor, atol = 1e-5, rtol = 1e-5): void {
  expectShape(name, actual, expected);
  const a = actual.dataSync();
  const b = expected.dataSync();
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - (atol + rtol * Math.abs(b[i]!));
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      at = i;
    }
  }
  expect(at, `${name}: element ${at} is ${a[at]}, expected ${b[at]}`).toBe(-1);
}

function expectGradClose(name: string, actual: Tensor | null, expected: Tensor, rel = 1e-4): void {
  expect(actual, `${name}: no gradient`).not.toBeNull();
  const b = expected.dataSync();
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  expect(scale, `${name}: the reference gradient is zero`).toBeGreaterThan(0);
  expectShape(name, actual!, expected);
  const a = actual!.dataSync();
  for (let i = 0; i < b.length; i++) {
    const tol = rel * (Math.abs(b[i]!) + 1e-2 * scale);
    if (!(Math.abs(a[i]! - b[i]!) <= tol)) {
      expect.fail(`${name}: element ${i} is ${a[i]}, expected ${b[i]} (tolerance ${tol.toExponential(2)})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The model: the same module tree as gen_nn.py's `Tiny`.

class Tiny extends nn.Module {
  declare readonly conv: nn.Conv2d;
  declare readonly norm: nn.GroupNorm;
  declare readonly act: nn.SiLU;
  declare readonly attn: nn.Attention;
  declare readonly mlp: nn.Sequential;

  constructor(f: nn.FactoryOptions = {}) {
    super();
    this.registerModule('conv', new nn.Conv2d(3, 8, 3, { padding: 1, ...f }));
    this.registerModule('norm', new nn.GroupNorm(4, 8, f));
    this.registerModule('act', new nn.SiLU());
    this.registerModule('attn', new nn.Attention(8, { numHeads: 2, qkvBias: true, ...f }));
    this.registerModule('mlp', new nn.Sequential(new nn.Linear(8, 16, f), new nn.GELU({ approximate: 'tanh' }), new nn.Linear(16, 8, f)));
  }

  forward(x: Tensor): Tensor {
    let h = this.act.forward(this.norm.forward(this.conv.forward(x))); // [B, C, H, W]
    h = h.flatten(2).transpose(1, 2); // [B, H·W, C]
    h = this.attn.forward(h);
    return this.mlp.forward(h);
  }
}

describe('golden: conv → groupnorm → SiLU → attention → MLP (PyTorch 1.13)', () => {
  const { t } = load('nn_model.safetensors');

  it('has the same state-dict keys and shapes as the PyTorch model', () => {
    const model = new Tiny();
    const theirs = under(t, 'state/');
    expect(Object.keys(model.stateDict())).toEqual(Object.keys(theirs).sort((a, b) => keyOrder(a) - keyOrder(b)));
    for (const [k, v] of Object.entries(model.stateDict())) expect([...v.shape], k).toEqual([...theirs[k]!.shape]);
    model.dispose();
  });

  function check(t: Record<string, Tensor>, f: nn.FactoryOptions, outTol: number, gradTol: number): void {
    const model = new Tiny(f);
    model.loadStateDict(under(t, 'state/'));
    const x = get(t, 'input').clone().requiresGrad_();
    const out = model.forward(x);
    expectClose('output', out, get(t, 'output'), outTol, outTol);
    const loss = out.mean(1).square().sum();
    expectClose('loss', loss, get(t, 'loss'), outTol, outTol);
    loss.backward();
    const grads = under(t, 'grad/');
    expect(Object.keys(grads).sort()).toEqual(model.namedParameters().map(([n]) => n).sort());
    for (const [name, p] of model.namedParameters()) expectGradClose(`grad ${name}`, p.grad, get(grads, name), gradTol);
    expectGradClose('grad input', x.grad, get(t, 'grad_input'), gradTol);
    model.dispose();
  }

  it('loads the state dict strictly, matches the output, the loss and every gradient', () => {
    check(t, {}, 1e-5, 1e-4);
  });

  it('on the float64 oracle backend, matches to float32 storage precision', () => {
    // Same fixture read onto cpu64: only the float32 rounding of the stored reference remains.
    const backend = useCpu64();
    const t64 = loadSafetensors(readFileSync(DIR + 'nn_model.safetensors'), { backend: cpu64Backend });
    check(t64, { backend }, 1e-6, 2e-6);
  });
});

/** PyTorch's state-dict order of the model (registration order), by key. */
function keyOrder(k: string): number {
  const order = [
    'conv.weight', 'conv.bias', 'norm.weight', 'norm.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias',
    'mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias',
  ];
  return order.indexOf(k);
}

// ---------------------------------------------------------------------------------------------
// MultiheadAttention

interface MhaCall {
  embedDim: number;
  numHeads: number;
  batchFirst: boolean;
  selfAttention: boolean;
  needWeights: boolean;
  averageAttnWeights: boolean;
}

describe('golden: MultiheadAttention vs torch.nn.MultiheadAttention', () => {
  const { t, meta } = load('nn_mha.safetensors');
  const cases = Object.keys(meta).filter((k) => !k.startsWith('__'));

  it('covers both layouts, key padding, bool and float masks, unbatched and per-head weights', () => {
    expect(cases.sort()).toEqual(['batch_first_causal_kpm', 'batch_first_float_mask_3d', 'seq_first_kpm', 'unbatched_per_head']);
  });

  for (const name of cases) {
    it(name, () => {
      const call = JSON.parse(meta[name]!) as MhaCall;
      const c = under(t, `${name}/`);
      const mha = new nn.MultiheadAttention(call.embedDim, call.numHeads, { batchFirst: call.batchFirst });
      mha.loadStateDict(under(c, 'state/'));
      const q = get(c, 'query');
      const k = call.selfAttention ? q : get(c, 'key');
      const v = call.selfAttention ? q : get(c, 'value');
      const [out, weights] = mha.forward(q, k, v, {
        keyPaddingMask: c.key_padding_mask ?? null,
        attnMask: c.attn_mask ?? null,
        needWeights: call.needWeights,
        averageAttnWeights: call.averageAttnWeights,
      });
      expectClose('output', out, get(c, 'output'));
      if (call.needWeights) expectClose('weights', weights!, get(c, 'weights'));
      else expect(weights).toBeNull();
      sum(mul(out, get(c, 'output_coef'))).backward();
      for (const [n, p] of mha.namedParameters()) expectGradClose(`grad ${n}`, p.grad, get(c, `grad/${n}`));
      mha.dispose();
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Single layers

interface LayerCall {
  layer: string;
  args: any[];
  opts: Record<string, unknown>;
  backward: boolean;
}

const FACTORIES: Record<string, (args: any[], opts: any) => nn.Layer> = {
  Conv1d: (a, o) => new nn.Conv1d(a[0], a[1], a[2], o),
  Conv3d: (a, o) => new nn.Conv3d(a[0], a[1], a[2], o),
  ConvTranspose1d: (a, o) => new nn.ConvTranspose1d(a[0], a[1], a[2], o),
  ConvTranspose2d: (a, o) => new nn.ConvTranspose2d(a[0], a[1], a[2], o),
  ConvTranspose3d: (a, o) => new nn.ConvTranspose3d(a[0], a[1], a[2], o),
  LayerNorm: (a, o) => new nn.LayerNorm(a[0], o),
  GroupNorm: (a, o) => new nn.GroupNorm(a[0], a[1], o),
  Embedding: (a, o) => new nn.Embedding(a[0], a[1], o),
};

describe('golden: single layers vs PyTorch', () => {
  const { t, meta } = load('nn_layers.safetensors');
  const cases = Object.keys(meta).filter((k) => !k.startsWith('__'));

  it('has every case', () => {
    expect(cases.length).toBe(8);
  });

  for (const name of cases) {
    it(name, () => {
      const call = JSON.parse(meta[name]!) as LayerCall;
      const c = under(t, `${name}/`);
      const layer = FACTORIES[call.layer]!(call.args, call.opts);
      layer.loadStateDict(under(c, 'state/'));
      tidy(() => {
        const out = layer.forward(get(c, 'input'));
        expectClose('output', out, get(c, 'output'));
        if (call.backward) {
          sum(mul(out, get(c, 'output_coef'))).backward();
          for (const [n, p] of layer.namedParameters()) expectGradClose(`grad ${n}`, p.grad, get(c, `grad/${n}`));
        }
      });
      layer.dispose();
    });
  }
});
