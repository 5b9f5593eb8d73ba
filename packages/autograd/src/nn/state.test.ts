/**
 * State dicts of nn layers: strict loading reports every problem in one error and loads nothing;
 * non-strict loading reports what it skipped; save → load round trips through safetensors bytes
 * and through a file (`@tessera/autograd/node`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendError, Generator, type Tensor, loadSafetensors, randn, saveSafetensors, zeros } from '@tessera/tensor';
import { useCpu64 } from '@tessera/tensor/testing';
import '../index.js';
import { loadModuleFile, saveModuleFile } from '../node.js';
import * as nn from './index.js';

/** A small model with nested names: `embed.weight`, `blocks.0.attn.qkv.weight`, `head.0.weight`, …. */
class Net extends nn.Module {
  declare readonly embed: nn.Linear;
  declare readonly blocks: nn.ModuleList<Block>;
  declare readonly head: nn.Sequential;

  constructor(seed: number) {
    super();
    const generator = new Generator(seed);
    this.registerModule('embed', new nn.Linear(3, 8, { generator }));
    this.registerModule('blocks', new nn.ModuleList([new Block(generator), new Block(generator)]));
    this.registerModule('head', new nn.Sequential(new nn.LayerNorm(8, { generator }), new nn.Linear(8, 2, { generator })));
  }

  forward(x: Tensor): Tensor {
    let h = this.embed.forward(x);
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(h);
  }
}

class Block extends nn.Module {
  declare readonly norm: nn.LayerNorm;
  declare readonly attn: nn.Attention;

  constructor(generator: Generator) {
    super();
    this.registerModule('norm', new nn.LayerNorm(8, { generator }));
    this.registerModule('attn', new nn.Attention(8, { numHeads: 2, qkvBias: true, generator }));
  }

  forward(x: Tensor): Tensor {
    return x.add(this.attn.forward(this.norm.forward(x)));
  }
}

const KEYS = [
  'embed.weight', 'embed.bias',
  'blocks.0.norm.weight', 'blocks.0.norm.bias', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.qkv.bias', 'blocks.0.attn.proj.weight', 'blocks.0.attn.proj.bias',
  'blocks.1.norm.weight', 'blocks.1.norm.bias', 'blocks.1.attn.qkv.weight', 'blocks.1.attn.qkv.bias', 'blocks.1.attn.proj.weight', 'blocks.1.attn.proj.bias',
  'head.0.weight', 'head.0.bias', 'head.1.weight', 'head.1.bias',
];

function snapshot(m: nn.Module): Record<string, unknown> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.toArraySync()]));
}

describe('stateDict / loadStateDict', () => {
  it('names nested parameters in registration order', () => {
    expect(Object.keys(new Net(0).stateDict())).toEqual(KEYS);
  });

  it('strict: one error lists missing, unexpected and mismatched keys, and nothing is loaded', () => {
    const net = new Net(0);
    const before = snapshot(net);
    const dict = { ...new Net(1).stateDict() };
    delete dict['blocks.1.attn.proj.bias'];
    delete dict['head.1.bias'];
    dict['blocks.2.norm.weight'] = zeros([8]);
    dict['embed.weight'] = zeros([8, 4]);
    let err: unknown;
    try {
      net.loadStateDict(dict);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(nn.StateDictError);
    const e = err as nn.StateDictError;
    expect(e.missingKeys).toEqual(['blocks.1.attn.proj.bias', 'head.1.bias']);
    expect(e.unexpectedKeys).toEqual(['blocks.2.norm.weight']);
    expect(e.mismatched).toEqual([{ key: 'embed.weight', expected: [8, 3], got: [8, 4] }]);
    expect(e.message).toBe(
      'loadStateDict: missing keys: blocks.1.attn.proj.bias, head.1.bias; unexpected keys: blocks.2.norm.weight; ' +
        'shape mismatches: embed.weight (module [8,3], dict [8,4])',
    );
    expect(snapshot(net)).toEqual(before);
  });

  it('non-strict: loads what matches and reports the rest; a shape mismatch still throws', () => {
    const net = new Net(0);
    const other = new Net(1);
    const dict: nn.StateDict = { ...other.stateDict(), extra: zeros([1]) };
    delete dict['head.1.bias'];
    const r = net.loadStateDict(dict, { strict: false });
    expect(r).toEqual({ missingKeys: ['head.1.bias'], unexpectedKeys: ['extra'] });
    expect(net.embed.weight.toArraySync()).toEqual(other.embed.weight.toArraySync());
    expect(() => net.loadStateDict({ 'embed.bias': zeros([3]) }, { strict: false })).toThrow(/shape mismatches: embed.bias \(module \[8\], dict \[3\]\)/);
  });

  it('a value on another backend is refused before anything is loaded', () => {
    const backend = useCpu64();
    const l = new nn.Linear(2, 2, { backend });
    expect(l.weight.backend.name).toBe('cpu64');
    const before = snapshot(l);
    const dict = { weight: zeros([2, 2], { backend }), bias: zeros([2]) }; // bias on cpu
    expect(() => l.loadStateDict(dict)).toThrow(BackendError);
    expect(() => l.loadStateDict(dict)).toThrow("loadStateDict: 'bias' lives on backend 'cpu', the module on 'cpu64'");
    expect(snapshot(l)).toEqual(before);
  });

  it('loads in place: parameter objects stay the same and keep requiresGrad', () => {
    const net = new Net(0);
    const w = net.embed.weight;
    net.loadStateDict(new Net(1).stateDict());
    expect(net.embed.weight).toBe(w);
    expect(w.requiresGrad).toBe(true);
    expect(w.toArraySync()).toEqual(new Net(1).embed.weight.toArraySync());
  });
});

describe('save → load round trips', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const x = randn([2, 5, 3], { generator: new Generator(11) });

  it('through safetensors bytes', async () => {
    const a = new Net(0);
    const bytes = await saveSafetensors(a.stateDict());
    const b = new Net(1);
    expect(b.forward(x).toArraySync()).not.toEqual(a.forward(x).toArraySync());
    b.loadStateDict(loadSafetensors(bytes));
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(b.forward(x).toArraySync()).toEqual(a.forward(x).toArraySync());
  });

  it('through a file with saveModuleFile / loadModuleFile', async () => {
    const path = join(dir, 'net.safetensors');
    const a = new Net(0);
    await saveModuleFile(a, path, { note: 'round trip' });
    const b = new Net(2);
    const r = await loadModuleFile(b, path);
    expect(r).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(b.forward(x).toArraySync()).toEqual(a.forward(x).toArraySync());
    // Overwriting the file later does not change the loaded module.
    await saveModuleFile(new Net(3), path);
    expect(snapshot(b)).toEqual(snapshot(a));
  });

  it('loadModuleFile is strict by default and names the file’s bad keys', async () => {
    const path = join(dir, 'partial.safetensors');
    const a = new Net(0);
    const dict = { ...a.stateDict() };
    delete dict['head.1.weight'];
    writeFileSync(path, await saveSafetensors({ ...dict, 'head.2.weight': zeros([2, 8]) }));
    const b = new Net(1);
    await expect(loadModuleFile(b, path)).rejects.toThrow('loadStateDict: missing keys: head.1.weight; unexpected keys: head.2.weight');
    const r = await loadModuleFile(b, path, { strict: false });
    expect(r).toEqual({ missingKeys: ['head.1.weight'], unexpectedKeys: ['head.2.weight'] });
    expect(b.embed.weight.toArraySync()).toEqual(a.embed.weight.toArraySync());
  });

  it('the file holds exactly the state-dict keys', async () => {
    const path = join(dir, 'keys.safetensors');
    await saveModuleFile(new Net(0), path);
    expect(Object.keys(loadSafetensors(readFileSync(path))).sort()).toEqual([...KEYS].sort());
  });
});
