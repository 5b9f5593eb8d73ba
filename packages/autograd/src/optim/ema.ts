/**
 * Exponential moving average of a model's parameters, as DiT trains with (facebookresearch/DiT
 * `train.py`, `update_ema`): after each optimizer step,
 *
 *     ema ← decay·ema + (1 - decay)·param
 *
 * under `noGrad`. The averaged weights are what DiT samples with. `stateDict()` has the model's
 * parameter names, so it loads into a model of the same architecture with `loadStateDict`, and
 * saves with `saveSafetensors`.
 *
 * ```ts
 * const ema = new EMA(model, { decay: 0.9999 });
 * for (...) { loss.backward(); opt.step(); opt.zeroGrad(); ema.update(); }
 * ema.copyTo(evalModel);
 * ```
 * @module
 */
import { ArgumentError, type Tensor, fmtShape, keep, tidy } from '@tessera/tensor';
import { noGrad } from '../functional.js';
import { addScaled } from './optimizer.js';

/** What EMA tracks: anything with named parameters (a `Module`). */
export interface HasNamedParameters {
  /** Every parameter with its dotted name. */
  namedParameters(): [string, Tensor][];
}

/** Options of `EMA`. */
export interface EMAOptions {
  /** The decay (default 0.9999, DiT's). */
  decay?: number;
}

/** A moving average of a model's parameters. */
export class EMA {
  /** The decay used by `update()`. */
  decay: number;
  /** How many times `update()` ran. */
  numUpdates = 0;
  private readonly shadow = new Map<string, Tensor>();
  private readonly source: Map<string, Tensor>;

  /** Starts the average at a copy of `model`'s current parameters (DiT: `update_ema(ema, model, 0)`). */
  constructor(model: HasNamedParameters, opts: EMAOptions = {}) {
    this.decay = opts.decay ?? 0.9999;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new ArgumentError(`EMA: decay must be in [0, 1], got ${this.decay}`);
    this.source = new Map(model.namedParameters());
    noGrad(() => {
      for (const [name, p] of this.source) this.shadow.set(name, keep(p.clone()));
    });
  }

  /** One averaging step towards the model's current parameters (`decay` overrides `this.decay`). */
  update(decay = this.decay): void {
    noGrad(() => {
      for (const [name, p] of this.source) {
        const e = this.shadow.get(name)!;
        tidy(() => void e.assign(addScaled(e.mul(decay), p, 1 - decay)));
      }
    });
    this.numUpdates++;
  }

  /** Copies the averaged parameters into `model` (one of the same architecture; by name). */
  copyTo(model: HasNamedParameters): void {
    const params = new Map(model.namedParameters());
    for (const [name, e] of this.shadow) {
      const p = params.get(name);
      if (!p) throw new ArgumentError(`EMA.copyTo: the model has no parameter '${name}'`);
      if (p.shape.length !== e.shape.length || p.shape.some((d, i) => d !== e.shape[i])) {
        throw new ArgumentError(`EMA.copyTo: '${name}' is ${fmtShape(p.shape)} in the model, ${fmtShape(e.shape)} in the average`);
      }
    }
    noGrad(() => {
      for (const [name, e] of this.shadow) tidy(() => void params.get(name)!.assign(e.clone()));
    });
  }

  /** The averaged parameters by name (live tensors: don't dispose; serialise before `update()`). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.shadow);
  }

  /** Loads averaged parameters (copies them); every name must be present with its shape. */
  loadStateDict(sd: Record<string, Tensor>): void {
    for (const [name, e] of this.shadow) {
      const v = sd[name];
      if (!v) throw new ArgumentError(`EMA.loadStateDict: missing '${name}'`);
      if (v.shape.length !== e.shape.length || v.shape.some((d, i) => d !== e.shape[i])) {
        throw new ArgumentError(`EMA.loadStateDict: '${name}' is ${fmtShape(v.shape)}, expected ${fmtShape(e.shape)}`);
      }
    }
    noGrad(() => {
      for (const [name, e] of this.shadow) tidy(() => void e.assign(sd[name]!.dtype === 'float32' ? sd[name]!.clone() : sd[name]!.cast('float32')));
    });
  }

  /** Releases the averaged copies. */
  dispose(): void {
    for (const e of this.shadow.values()) e.dispose();
    this.shadow.clear();
  }
}
