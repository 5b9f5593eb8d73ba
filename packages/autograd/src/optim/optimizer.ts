/**
 * `Optimizer`: the base of SGD, Adam and AdamW, with PyTorch's model (`torch/optim/optimizer.py`):
 * parameter groups that each carry their own hyperparameters, per-parameter state created lazily on
 * the first step, `zeroGrad()`, and a state dict (`{state, paramGroups}`) keyed by the parameter's
 * index over all groups, which `saveOptimizerState` / `loadOptimizerState` turn into safetensors
 * bytes (state tensors) plus JSON metadata (step counts and hyperparameters).
 *
 * Updates run under `noGrad`, inside one `tidy` per parameter, and write back with `Tensor.assign`
 * (an O(1) swap of storage): parameters and state tensors keep their identity, and nothing the update
 * allocates outlives it, so memory stays flat over any number of steps.
 * @module
 */
import {
  ArgumentError,
  type Backend,
  Tensor,
  TesseraError,
  fmtShape,
  keep,
  loadSafetensors,
  parseSafetensors,
  saveSafetensors,
  tidy,
  zerosLike,
} from '@tessera/tensor';
import { enableGrad, noGrad } from '../functional.js';
import { gradOf, isLeaf, setGrad } from '../tape.js';

/** Hyperparameters every optimizer has. */
export interface OptimizerOptions {
  /** Learning rate. */
  lr: number;
}

/**
 * A parameter group as the optimizer holds it: the parameters and every hyperparameter (the
 * group's own or the optimizer's default). `lr` may be changed between steps (schedulers do).
 * `initialLr` is set by the first LR scheduler attached (PyTorch's `initial_lr`).
 */
export type ParamGroup<O extends OptimizerOptions> = O & {
  /** The group's parameters. */
  params: Tensor[];
  /** The lr a scheduler's factors apply to (set by the first scheduler attached). */
  initialLr?: number;
};

/** A parameter group as given to the constructor: parameters plus overrides of the defaults. */
export type ParamGroupSpec<O extends OptimizerOptions> = Partial<O> & {
  /** The group's parameters. */
  params: Iterable<Tensor>;
};

/** What an optimizer optimizes: a plain list of parameters, or a list of groups. */
export type Params<O extends OptimizerOptions> = Iterable<Tensor> | readonly ParamGroupSpec<O>[];

/** Per-parameter state: tensors (moments, buffers) and numbers (the step count). */
export type ParamState = Record<string, Tensor | number>;

/** A group in a state dict: its hyperparameters and the indices of its parameters. */
export type ParamGroupState = Record<string, unknown> & {
  /** Indices of the group's parameters (counted over all groups). */
  params: number[];
};

/**
 * The optimizer's state dict, PyTorch's layout: `state` maps a parameter's index (counted over all
 * groups, in order) to its state; `paramGroups` holds each group's hyperparameters. The tensors are
 * the optimizer's own (live, not copies): serialise them before the next `step()`, don't dispose.
 */
export interface OptimizerStateDict {
  /** Per-parameter state by parameter index; parameters that never stepped have none. */
  state: Record<number, ParamState>;
  /** Each group's hyperparameters and parameter indices. */
  paramGroups: ParamGroupState[];
}

/** Base class of the optimizers. Subclasses implement `updateParam` (one parameter, one step). */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The groups, in order; mutate hyperparameters (e.g. `lr`) freely between steps. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first step. */
  readonly state = new Map<Tensor, ParamState>();

  /**
   * @param params a list of parameters, or of groups `{params, ...overrides}`
   * @param defaults every hyperparameter's default value
   */
  constructor(
    params: Params<O>,
    readonly defaults: Readonly<O>,
  ) {
    const list = [...(params as Iterable<Tensor | ParamGroupSpec<O>>)];
    if (list.length === 0) throw new ArgumentError(`${this.name}: optimizer got an empty parameter list`);
    const groups = list.every((x) => x instanceof Tensor) ? [{ params: list as Tensor[] } as unknown as ParamGroupSpec<O>] : (list as ParamGroupSpec<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** The optimizer's name, for error messages. */
  protected get name(): string {
    return this.constructor.name;
  }

  /** Adds a group (PyTorch's `add_param_group`): missing hyperparameters take the defaults. */
  addParamGroup(spec: ParamGroupSpec<O>): void {
    if (spec instanceof Tensor || !spec || typeof spec !== 'object' || !('params' in spec)) {
      throw new ArgumentError(`${this.name}: a parameter group must be an object {params, ...}; a list must hold tensors only or groups only`);
    }
    const params = spec.params instanceof Tensor ? [spec.params] : [...spec.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ArgumentError(`${this.name}: params[${i}] is not a Tensor`);
      if (p.dtype !== 'float32') throw new ArgumentError(`${this.name}: params[${i}] ${fmtShape(p.shape)} is ${p.dtype}; only float32 tensors can be optimized`);
      if (!isLeaf(p)) throw new ArgumentError(`${this.name}: params[${i}] ${fmtShape(p.shape)} is not a leaf; can't optimize a non-leaf Tensor`);
      if (seen.has(p)) throw new ArgumentError(`${this.name}: params[${i}] ${fmtShape(p.shape)} appears in more than one parameter group (or twice)`);
      seen.add(p);
    });
    const overrides = Object.fromEntries(Object.entries(spec).filter(([k, v]) => k !== 'params' && v !== undefined));
    const group = { ...structuredClone(this.defaults), ...overrides, params } as ParamGroup<O>;
    this.validate(group);
    this.paramGroups.push(group);
  }

  /** Checks a group's hyperparameters (PyTorch's ValueErrors); throws ArgumentError. */
  protected validate(group: ParamGroup<O>): void {
    if (!(group.lr >= 0)) throw new ArgumentError(`${this.name}: invalid learning rate: ${group.lr}`);
  }

  /** Every parameter, over all groups, in state-dict index order. */
  params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * One update of every parameter that has a gradient (parameters whose `.grad` is null are skipped,
   * and get no state). With `closure` (which should clear the gradients, compute the loss and call
   * `backward`), evaluates it first with recording on and returns its loss.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const g = gradOf(p);
          if (!g) continue;
          let state = this.state.get(p);
          if (!state) this.state.set(p, (state = {}));
          tidy(() => this.updateParam(p, g, state!, group));
        }
      }
    });
    return loss;
  }

  /**
   * Updates one parameter in place (`p.assign(...)`, state tensors likewise). Runs under `noGrad`
   * inside a `tidy`: state tensors created here must be `keep`-ed (use `this.newState`).
   */
  protected abstract updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** A zero tensor like `p`, kept out of the enclosing tidy (for lazily created state). */
  protected newState(p: Tensor): Tensor {
    return keep(zerosLike(p));
  }

  /**
   * Clears the gradients: sets `.grad` to null (default; the old gradient is disposed), or with
   * `setToNone = false` to zeros like PyTorch 1.13's default (which then makes `step` update every
   * parameter, weight decay and moments included).
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params()) {
      if (setToNone) setGrad(p, null);
      else if (gradOf(p)) setGrad(p, zerosLike(p));
    }
  }

  /** The state dict (see `OptimizerStateDict`); its tensors are live: don't dispose them. */
  stateDict(): OptimizerStateDict {
    const index = new Map(this.params().map((p, i) => [p, i]));
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      const ids = params.map(() => next++);
      return { ...structuredClone(hyper), params: ids } as ParamGroupState;
    });
    return { state, paramGroups };
  }

  /**
   * Loads a state dict made by `stateDict()` (of an optimizer over parameters of the same shapes, in
   * the same groups): hyperparameters come from the dict (the groups keep their parameters), state
   * tensors are copied onto each parameter's backend. After it, training continues exactly where the
   * saved optimizer stopped.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const what = `${this.name}.loadStateDict`;
    if (!sd || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') throw new ArgumentError(`${what}: not an optimizer state dict`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(`${what}: the dict has ${sd.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    sd.paramGroups.forEach((g, i) => {
      const n = this.paramGroups[i]!.params.length;
      if (!Array.isArray(g.params) || g.params.length !== n) {
        throw new ArgumentError(`${what}: group ${i} of the dict has ${g.params?.length} parameters, the optimizer's ${n}`);
      }
    });
    // Map the dict's ids onto our parameters, checking every state tensor before changing anything.
    const byId = new Map<number, Tensor>();
    sd.paramGroups.forEach((g, gi) => g.params.forEach((id, k) => byId.set(id, this.paramGroups[gi]!.params[k]!)));
    const incoming: [Tensor, ParamState][] = [];
    for (const [key, s] of Object.entries(sd.state)) {
      const p = byId.get(Number(key));
      if (!p) throw new ArgumentError(`${what}: state for parameter ${key}, which no group lists`);
      for (const [name, v] of Object.entries(s)) {
        if (v instanceof Tensor && (v.shape.length !== p.shape.length || v.shape.some((d, j) => d !== p.shape[j]))) {
          throw new ArgumentError(`${what}: state '${name}' of parameter ${key} is ${fmtShape(v.shape)}, the parameter ${fmtShape(p.shape)}`);
        }
        if (v instanceof Tensor && v.backend !== p.backend) {
          throw new TesseraError(`${what}: state '${name}' of parameter ${key} lives on '${v.backend.name}', the parameter on '${p.backend.name}'`);
        }
      }
      incoming.push([p, s]);
    }
    // Copy first, then drop the old state: `sd` may be this optimizer's own live state dict.
    const copies = noGrad(() =>
      incoming.map(([p, s]): [Tensor, ParamState] => [p, Object.fromEntries(Object.entries(s).map(([name, v]) => [name, v instanceof Tensor ? keep(copyState(v)) : v]))]),
    );
    this.disposeState();
    for (const [p, s] of copies) this.state.set(p, s);
    sd.paramGroups.forEach((g, i) => {
      const { params: _ids, ...hyper } = g;
      Object.assign(this.paramGroups[i]!, structuredClone(hyper));
    });
  }

  /** Disposes the state tensors (the optimizer can go on: state is recreated on the next step). */
  disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}

/** A float32 contiguous copy of `v`. */
function copyState(v: Tensor): Tensor {
  return v.dtype === 'float32' ? v.clone() : v.cast('float32');
}

const META_KEY = 'tessera.optimizer';

/**
 * Serialises an optimizer state dict to safetensors bytes: each state tensor as `state.<i>.<name>`,
 * and everything else (step counts, hyperparameters, group layout) as JSON in the metadata under
 * `tessera.optimizer`. Reads the tensors with `data()`: await it before the next `step()`.
 */
export async function saveOptimizerState(sd: OptimizerStateDict): Promise<Uint8Array> {
  const tensors: Record<string, Tensor> = {};
  const numbers: Record<number, Record<string, number>> = {};
  for (const [i, s] of Object.entries(sd.state)) {
    for (const [name, v] of Object.entries(s)) {
      if (v instanceof Tensor) tensors[`state.${i}.${name}`] = v;
      else (numbers[Number(i)] ??= {})[name] = v;
    }
  }
  const meta = JSON.stringify({ state: numbers, paramGroups: sd.paramGroups });
  return saveSafetensors(tensors, { [META_KEY]: meta });
}

/**
 * Reads bytes written by `saveOptimizerState` back into a state dict (tensors on `opts.backend`,
 * default the active one) to pass to `loadStateDict`. The tensors are the caller's: `loadStateDict`
 * copies them, so dispose them afterwards (or call `disposeOptimizerState`).
 */
export function loadOptimizerState(bytes: Uint8Array, opts: { backend?: Backend } = {}): OptimizerStateDict {
  const { metadata } = parseSafetensors(bytes);
  const json = metadata[META_KEY];
  if (json === undefined) throw new ArgumentError(`loadOptimizerState: no '${META_KEY}' metadata; not written by saveOptimizerState`);
  const meta = JSON.parse(json) as { state: Record<string, Record<string, number>>; paramGroups: ParamGroupState[] };
  const state: Record<number, ParamState> = {};
  for (const [i, s] of Object.entries(meta.state)) state[Number(i)] = { ...s };
  const tensors = loadSafetensors(bytes, opts);
  for (const [key, t] of Object.entries(tensors)) {
    const m = /^state\.(\d+)\.(.+)$/.exec(key);
    if (!m) {
      t.dispose();
      continue;
    }
    (state[Number(m[1])] ??= {})[m[2]!] = t;
  }
  return { state, paramGroups: meta.paramGroups };
}

/** Disposes the tensors of a state dict returned by `loadOptimizerState`. */
export function disposeOptimizerState(sd: OptimizerStateDict): void {
  for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
}

/** `a + alpha·b` with PyTorch's `add(b, alpha=…)` shape of computation (no multiply when alpha is 1). */
export function addScaled(a: Tensor, b: Tensor, alpha: number): Tensor {
  return alpha === 1 ? a.add(b) : a.add(b.mul(alpha));
}
