/**
 * The op catalogue's registry: every op is declared here once with `defineOp`. Kept free of
 * imports from tensor.ts so that op modules can declare themselves while the Tensor class loads.
 * @module
 */
import type { OutputSpec } from './backend.js';
import { TesseraError } from './errors.js';
import type { Tensor } from './tensor.js';

/** A strided layout over an existing storage, produced by a view op. */
export interface ViewLayout {
  /** New shape. */
  shape: number[];
  /** New strides (elements). */
  strides: number[];
  /** New offset (elements). */
  offset: number;
}

/** How an op is carried out. */
export type OpKind = 'kernel' | 'view' | 'composite';

/** An op's declaration in the catalogue. */
export interface OpDef<A = any> {
  /** Catalogue name; also the kernel name backends register. */
  readonly name: string;
  /**
   * `kernel`: every backend provides a kernel. `view`: no kernel, a new layout over the input's
   * storage. `composite`: a decomposition into other ops, which a backend may replace by a kernel.
   */
  readonly kind: OpKind;
  /** Validates inputs and attributes (throwing typed errors) and returns the outputs' shapes and dtypes. */
  readonly infer?: (inputs: readonly Tensor[], attrs: A) => OutputSpec[];
  /** For `view` ops: the layout of the result over the input's storage. */
  readonly view?: (input: Tensor, attrs: A) => ViewLayout;
  /** For `composite` ops: the op written with other catalogue ops. */
  readonly decompose?: (inputs: readonly Tensor[], attrs: A) => Tensor[];
  /** Whether gradients flow through it (autograd needs a VJP rule for each such op). */
  readonly differentiable: boolean;
}

const ops = new Map<string, OpDef>();

/** Declares an op. Each name is declared exactly once. */
export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  if (ops.has(def.name)) throw new TesseraError(`defineOp: op '${def.name}' is declared twice`);
  if (def.kind === 'view' && !def.view) throw new TesseraError(`defineOp: view op '${def.name}' needs a view rule`);
  if (def.kind === 'composite' && !def.decompose) {
    throw new TesseraError(`defineOp: composite op '${def.name}' needs a decomposition`);
  }
  if (def.kind !== 'view' && !def.infer) throw new TesseraError(`defineOp: op '${def.name}' needs an infer rule`);
  ops.set(def.name, def as OpDef);
  return def;
}

/** The declaration of an op by name. */
export function getOp(name: string): OpDef | undefined {
  return ops.get(name);
}

/** Every declared op, in declaration order. */
export function listOps(): OpDef[] {
  return [...ops.values()];
}

