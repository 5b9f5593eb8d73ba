/**
 * The VJP rule registry: one rule per differentiable catalogue op, written with catalogue ops so it
 * runs on every backend.
 * @module
 */
import { type Tensor, TesseraError } from '@tessera/tensor';

/** What a VJP rule sees of the forward call. Saved tensors stay alive until the graph is freed. */
export interface VjpContext<A = any> {
  /** The forward inputs (retained handles; never dispose them). */
  readonly inputs: readonly Tensor[];
  /** The forward outputs (retained handles). */
  readonly outputs: readonly Tensor[];
  /** The op's validated attributes. */
  readonly attrs: A;
}

/**
 * Maps the gradients of the outputs (null where no gradient reached an output) to the gradients of
 * the inputs, one per input, each with that input's shape; null for inputs that take no gradient
 * (indices, masks). Runs with recording off.
 */
export type VjpRule<A = any> = (ctx: VjpContext<A>, gradOutputs: readonly (Tensor | null)[]) => (Tensor | null)[];

const rules = new Map<string, VjpRule>();

/** Declares the VJP rule of an op (once per op). */
export function defineVjp<A = any>(op: string, rule: VjpRule<A>): void {
  if (rules.has(op)) throw new TesseraError(`defineVjp: op '${op}' already has a VJP rule`);
  rules.set(op, rule as VjpRule);
}

/** The VJP rule of an op, if any. */
export function getVjp(op: string): VjpRule | undefined {
  return rules.get(op);
}

/** Names of all ops with a VJP rule. */
export function listVjps(): string[] {
  return [...rules.keys()];
}
