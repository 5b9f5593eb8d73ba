/**
 * `Module`: the base of every layer, with PyTorch's registration model and state-dict names
 * (`blocks.3.attn.qkv.weight`). Parameters are updated in place with `Tensor.assign`, so optimizers
 * and user code can hold on to them.
 * @module
 */
import { BackendError, type Tensor, TesseraError, fmtShape, keep } from '@tessera/tensor';
import { setGrad, setRequiresGrad } from '../tape.js';
import { noGrad } from '../functional.js';

/** A state dict: dotted names to tensors. */
export type StateDict = Record<string, Tensor>;

/** What a non-strict `loadStateDict` reports. */
export interface LoadResult {
  /** Module keys the dict did not provide. */
  missingKeys: string[];
  /** Dict keys the module does not have. */
  unexpectedKeys: string[];
}

/** A state-dict key whose shape differs between the module and the dict. */
export interface ShapeMismatch {
  /** The dotted key. */
  key: string;
  /** The module's shape. */
  expected: number[];
  /** The dict's shape. */
  got: number[];
}

/** The error of a strict `loadStateDict`: every problem at once. */
export class StateDictError extends TesseraError {
  /**
   * @param missingKeys keys the module has and the dict lacks
   * @param unexpectedKeys keys the dict has and the module lacks
   * @param mismatched keys whose shapes differ, with both shapes
   */
  constructor(
    readonly missingKeys: string[],
    readonly unexpectedKeys: string[],
    readonly mismatched: ShapeMismatch[],
  ) {
    const parts: string[] = [];
    if (missingKeys.length) parts.push(`missing keys: ${missingKeys.join(', ')}`);
    if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (mismatched.length) {
      parts.push(`shape mismatches: ${mismatched.map((m) => `${m.key} (module ${fmtShape(m.expected)}, dict ${fmtShape(m.got)})`).join(', ')}`);
    }
    super(`loadStateDict: ${parts.join('; ')}`);
  }
}

/** Base class for layers and models. */
export class Module {
  /** Training mode (dropout active, …); switch with `train()` / `eval()`. */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module | null>();

  /** Registers a parameter under `name` (null for an absent optional one, e.g. no bias). */
  registerParameter<T extends Tensor | null>(name: string, param: T): T {
    this.checkName(name);
    if (param) {
      if (param.dtype !== 'float32') throw new TesseraError(`registerParameter: '${name}' must be float32, got ${param.dtype}`);
      keep(param);
      setRequiresGrad(param, true);
    }
    this._parameters.set(name, param);
    this.defineAccessor(name, () => this._parameters.get(name) ?? null);
    return param;
  }

  /** Registers a buffer (state that is not trained, e.g. running stats, position tables). */
  registerBuffer<T extends Tensor | null>(name: string, buffer: T, persistent = true): T {
    this.checkName(name);
    if (buffer) keep(buffer);
    this._buffers.set(name, buffer);
    if (!persistent) this._nonPersistent.add(name);
    this.defineAccessor(name, () => this._buffers.get(name) ?? null);
    return buffer;
  }

  /** Registers a submodule. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    this.checkName(name);
    this._modules.set(name, module);
    this.defineAccessor(name, () => this._modules.get(name) ?? null);
    return module;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new TesseraError(`Module: invalid name '${name}' (non-empty, no dots)`);
    if (this._parameters.has(name) || this._buffers.has(name) || this._modules.has(name)) {
      throw new TesseraError(`Module: '${name}' is already registered on ${this.constructor.name}`);
    }
  }

  private defineAccessor(name: string, get: () => unknown): void {
    Object.defineProperty(this, name, { get, enumerable: true, configurable: true });
  }

  /** Direct submodules with their names. */
  namedChildren(): [string, Module][] {
    return [...this._modules].filter((e): e is [string, Module] => e[1] !== null);
  }

  /** Direct submodules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Every parameter with its dotted name, each once (shared parameters keep their first name). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, p] of m._parameters) {
        if (p && !seen.has(p)) {
          seen.add(p);
          out.push([mp ? `${mp}.${n}` : n, p]);
        }
      }
    }
    return out;
  }

  /** Every parameter. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted name (persistent ones only with `persistentOnly`). */
  namedBuffers(prefix = '', persistentOnly = false): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, b] of m._buffers) {
        if (b && !(persistentOnly && m._nonPersistent.has(n))) out.push([mp ? `${mp}.${n}` : n, b]);
      }
    }
    return out;
  }

  /** Parameters and persistent buffers by dotted name, in registration order (PyTorch's order). */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [mp, m] of this.namedModules()) {
      const add = (n: string, t: Tensor | null): void => {
        if (t) out[mp ? `${mp}.${n}` : n] = t;
      };
      for (const [n, p] of m._parameters) add(n, p);
      for (const [n, b] of m._buffers) if (!m._nonPersistent.has(n)) add(n, b);
    }
    return out;
  }

  /**
   * Copies tensors from `dict` into this module's parameters and buffers by dotted name. Strict
   * (default): every missing, unexpected and shape-mismatched key is reported in one StateDictError
   * and nothing is loaded. Values are cast to the target's dtype; they must already be on the
   * target's backend (a value on another backend is a BackendError, raised before anything loads).
   */
  loadStateDict(dict: StateDict | Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !(k in own));
    const mismatched: ShapeMismatch[] = [];
    for (const [k, target] of Object.entries(own)) {
      const v = entries.get(k);
      if (v && (v.shape.length !== target.shape.length || v.shape.some((d, i) => d !== target.shape[i]))) {
        mismatched.push({ key: k, expected: [...target.shape], got: [...v.shape] });
      }
    }
    if (mismatched.length || (strict && (missingKeys.length || unexpectedKeys.length))) {
      if (!strict && mismatched.length) throw new StateDictError([], [], mismatched);
      throw new StateDictError(missingKeys, unexpectedKeys, mismatched);
    }
    // Checked before anything is assigned, so a failed load leaves the module untouched.
    for (const [k, target] of Object.entries(own)) {
      const v = entries.get(k);
      if (v && v.backend !== target.backend) {
        throw new BackendError(`loadStateDict: '${k}' lives on backend '${v.backend.name}', the module on '${target.backend.name}'`);
      }
    }
    noGrad(() => {
      for (const [k, target] of Object.entries(own)) {
        const v = entries.get(k);
        if (!v) continue;
        const value = v.dtype === target.dtype ? v.contiguous() : v.cast(target.dtype);
        target.assign(value);
        if (value !== v) value.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every descendant. Returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`). Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) setGrad(p, null);
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Disposes every parameter and buffer. The module is unusable afterwards. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const p of m._parameters.values()) {
        if (p) {
          setGrad(p, null);
          p.dispose();
        }
      }
      for (const b of m._buffers.values()) b?.dispose();
    }
  }
}
