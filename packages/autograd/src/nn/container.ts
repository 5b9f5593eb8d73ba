/**
 * Containers: `Sequential` (children named '0', '1', … or by name, `forward` chains them) and
 * `ModuleList` (children named by index, for loops written by hand), as in PyTorch, so their
 * state-dict keys are `blocks.0.weight`, `blocks.1.weight`, ….
 * @module
 */
import { ArgumentError, type Tensor } from '@tessera/tensor';
import { Module } from './module.js';

/** A module whose forward maps one tensor to one tensor. */
export type Layer = Module & LayerForward;

/** The forward of a one-tensor layer. */
export interface LayerForward {
  /** Maps one tensor to one tensor. */
  forward(x: Tensor): Tensor;
}

function isModule(v: unknown): v is Module {
  return v instanceof Module;
}

function indexOf(op: string, i: number, length: number): number {
  if (!Number.isInteger(i) || i < -length || i >= length) throw new ArgumentError(`${op}: index ${i} is out of range for ${length} modules`);
  return i < 0 ? i + length : i;
}

/**
 * Chains layers: `forward(x)` is `mₙ(…m₁(m₀(x)))`. Children are named '0', '1', …, or by the
 * keys of a record (`new Sequential({ fc1, act, fc2 })`, PyTorch's OrderedDict form).
 */
export class Sequential extends Module {
  // An ES private field: a child's accessor (defined by name on the instance) cannot shadow it.
  readonly #layers: Layer[] = [];

  constructor(...modules: Layer[] | [Record<string, Layer>]) {
    super();
    if (modules.length === 1 && !isModule(modules[0])) {
      for (const [name, m] of Object.entries(modules[0] as Record<string, Layer>)) this.add(name, m);
    } else {
      for (const m of modules as Layer[]) this.append(m);
    }
  }

  private add(name: string, m: Layer): void {
    if (!isModule(m) || typeof m.forward !== 'function') {
      throw new ArgumentError(`Sequential: child '${name}' must be a Module with a forward(x) method, got ${String(m)}`);
    }
    if (name in this) throw new ArgumentError(`Sequential: child name '${name}' would shadow a member of Sequential`);
    this.registerModule(name, m);
    this.#layers.push(m);
  }

  /** Adds `m` at the end under the next index. Returns this. */
  append(m: Layer): this {
    this.add(String(this.#layers.length), m);
    return this;
  }

  /** Number of children. */
  get length(): number {
    return this.#layers.length;
  }

  /** The i-th child (negative counts from the end). */
  at(i: number): Layer {
    return this.#layers[indexOf('Sequential.at', i, this.#layers.length)]!;
  }

  /** Iterates the children in order. */
  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  /** Runs the children in order. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.#layers) y = m.forward(y);
    return y;
  }
}

/** Holds submodules in a list, named by index ('0', '1', …). It has no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  /** Adds `m` at the end. Returns this. */
  append(m: M): this {
    if (!isModule(m)) throw new ArgumentError(`ModuleList.append: expected a Module, got ${String(m)}`);
    this.registerModule(String(this.#items.length), m);
    this.#items.push(m);
    return this;
  }

  /** Appends every module of `modules`. Returns this. */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): M {
    return this.#items[indexOf('ModuleList.at', i, this.#items.length)]!;
  }

  /** Iterates the modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  /** The modules as an array (a copy). */
  toArray(): M[] {
    return [...this.#items];
  }
}
