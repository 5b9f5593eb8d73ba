/**
 * `@tessera/autograd`: reverse-mode automatic differentiation over the `@tessera/tensor` op catalogue.
 * Importing it installs the tape (a dispatch hook) and the PyTorch-style Tensor members
 * (`requiresGrad`, `grad`, `backward()`, `detach()`).
 *
 * Limits: first-order gradients only — backward runs with recording off, so a gradient cannot be
 * differentiated again (no Hessian-vector products). Gradients flow to float32 tensors only.
 * @packageDocumentation
 */
import './tensor-ext.js';
import './vjp/index.js';
export * from './rules.js';
export {
  backward,
  freeGraph,
  gradFn,
  gradOf,
  isGradEnabled,
  isLeaf,
  requiresGrad,
  retainGrad,
  setGrad,
  setGradEnabled,
  setRequiresGrad,
  type BackwardOptions,
  type Node,
} from './tape.js';
export * from './functional.js';
export { sumToShape } from './vjp/util.js';
export * as nn from './nn/index.js';
export * as init from './init.js';
export * as optim from './optim/index.js';
