/**
 * The tape: a dispatch hook records each differentiable op whose inputs need gradients, and
 * `backward` walks the recorded graph in reverse topological order applying VJP rules.
 *
 * Saved tensors are retained handles (new Tensor objects sharing the storage, kept out of `tidy`
 * scopes), so `tidy` and `dispose` in user code never break a pending backward; the handles are
 * released when backward has used them or when the graph is dropped.
 * @module
 */
import {
  type OpDef,
  type OpRecord,
  Tensor,
  TesseraError,
  fmtShape,
  keep,
  onesLike,
  runOp,
  setCompositePolicy,
  setDispatchHook,
  tidy,
} from '@tessera/tensor';
import { type VjpContext, type VjpRule, getVjp } from './rules.js';

/** A recorded op in the graph. */
export interface Node {
  /** Op name (or a custom label for customVjp / checkpoint). */
  readonly name: string;
  /** The rule that maps output gradients to input gradients. */
  readonly vjp: VjpRule;
  /** Saved context (retained handles), null once released. */
  ctx: VjpContext | null;
  /** The forward input tensors, for graph traversal (not kept alive by this). */
  readonly inputs: readonly Tensor[];
  /** Which inputs take part in the graph (need a gradient). */
  readonly needs: readonly boolean[];
  /** Ids of the forward outputs, to route their gradients. */
  readonly outputIds: readonly number[];
}

/** Autograd state of one tensor. */
interface Meta {
  requiresGrad: boolean;
  grad: Tensor | null;
  node: Node | null;
  outputIndex: number;
  retainGrad: boolean;
}

const metas = new WeakMap<Tensor, Meta>();
let enabled = true;

function meta(t: Tensor): Meta | undefined {
  return metas.get(t);
}

function ensureMeta(t: Tensor): Meta {
  let m = metas.get(t);
  if (!m) {
    m = { requiresGrad: false, grad: null, node: null, outputIndex: 0, retainGrad: false };
    metas.set(t, m);
  }
  return m;
}

/** Whether `t` takes part in gradient computation (a leaf marked requiresGrad, or computed from one). */
export function requiresGrad(t: Tensor): boolean {
  return metas.get(t)?.requiresGrad ?? false;
}

/** Marks a leaf tensor as needing a gradient (or not). Returns it. */
export function setRequiresGrad(t: Tensor, flag = true): Tensor {
  const m = ensureMeta(t);
  if (m.node && !flag) {
    throw new TesseraError(`requiresGrad: tensor ${fmtShape(t.shape)} was computed from tensors that require grad; use detach()`);
  }
  if (flag && t.dtype !== 'float32') {
    throw new TesseraError(`requiresGrad: only float32 tensors can require gradients, got ${t.dtype}`);
  }
  m.requiresGrad = flag || m.node !== null;
  return t;
}

/** The accumulated gradient of a leaf (or of a tensor with `retainGrad`), or null. */
export function gradOf(t: Tensor): Tensor | null {
  return metas.get(t)?.grad ?? null;
}

/** Replaces (or with null clears) the stored gradient; the old one is disposed. */
export function setGrad(t: Tensor, g: Tensor | null): void {
  const m = ensureMeta(t);
  if (m.grad && m.grad !== g) m.grad.dispose();
  if (g) {
    if (g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i])) {
      throw new TesseraError(`grad: gradient ${fmtShape(g.shape)} does not match tensor ${fmtShape(t.shape)}`);
    }
    keep(g);
  }
  m.grad = g;
}

/** Whether `t` is a leaf (not produced by a recorded op). */
export function isLeaf(t: Tensor): boolean {
  return !metas.get(t)?.node;
}

/** Keeps the gradient of a non-leaf tensor after backward (PyTorch's `retain_grad`). */
export function retainGrad(t: Tensor): Tensor {
  ensureMeta(t).retainGrad = true;
  return t;
}

/** The node that produced `t`, if recorded. */
export function gradFn(t: Tensor): Node | null {
  return metas.get(t)?.node ?? null;
}

/** Whether recording is on. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Turns recording on or off; returns the previous setting. */
export function setGradEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** A new handle on the same storage, kept out of tidy scopes: saved for backward. */
function retain(t: Tensor): Tensor {
  return keep(Tensor.fromStorage(t.storage, t.shape, t.strides, t.offset));
}

/** Records a node producing `outputs` from `inputs`; returns false if nothing needs a gradient. */
export function recordNode(name: string, vjp: VjpRule, inputs: readonly Tensor[], outputs: readonly Tensor[], attrs: unknown, differentiableOutputs?: readonly boolean[]): boolean {
  const needs = inputs.map((t) => metas.get(t)?.requiresGrad ?? false);
  if (!needs.some(Boolean)) return false;
  const node: Node = {
    name,
    vjp,
    ctx: { inputs: inputs.map(retain), outputs: outputs.map(retain), attrs },
    inputs,
    needs,
    outputIds: outputs.map((o) => o.id),
  };
  outputs.forEach((o, i) => {
    if (o.dtype !== 'float32' || (differentiableOutputs && !differentiableOutputs[i])) return;
    const m = ensureMeta(o);
    m.requiresGrad = true;
    m.node = node;
    m.outputIndex = i;
  });
  return true;
}

function onOp(r: OpRecord): void {
  if (!enabled || !r.op.differentiable) return;
  if (!r.inputs.some((t) => metas.get(t)?.requiresGrad)) return;
  const rule = getVjp(r.op.name);
  if (!rule) {
    throw new TesseraError(`autograd: op '${r.op.name}' is differentiable but has no VJP rule (inputs ${r.inputs.map((t) => fmtShape(t.shape)).join(', ')})`);
  }
  recordNode(r.op.name, rule, r.inputs, r.outputs, r.attrs);
}

// A composite whose inputs need gradients runs as its decomposition unless it has its own VJP rule.
function compositePolicy(op: OpDef, inputs: readonly Tensor[]): boolean {
  return enabled && !getVjp(op.name) && inputs.some((t) => metas.get(t)?.requiresGrad);
}

setDispatchHook(onOp);
setCompositePolicy(compositePolicy);

/** Releases the saved tensors of a node. */
function release(node: Node): void {
  if (!node.ctx) return;
  for (const t of [...node.ctx.inputs, ...node.ctx.outputs]) t.dispose();
  node.ctx = null;
}

/** Nodes reachable from `roots`, in reverse topological order (outputs first). */
function topoOrder(roots: readonly Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // Iterative DFS (long video graphs can be deep).
  const stack: [Node, number][] = [];
  for (const r of roots) {
    const n = metas.get(r)?.node;
    if (n && !seen.has(n)) {
      seen.add(n);
      stack.push([n, 0]);
    }
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const child = metas.get(node.inputs[i]!)?.node;
        if (child && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order.reverse();
}

/** Options of `backward`. */
export interface BackwardOptions {
  /** Keep the graph (saved tensors) for another backward. Default false. */
  retainGraph?: boolean;
  /**
   * Where gradients go: by default they accumulate into `.grad` of leaves. With `inputs`, the
   * gradients of exactly these tensors are returned instead (nothing is accumulated).
   */
  inputs?: readonly Tensor[];
}

function addGrads(a: Tensor | undefined, b: Tensor): Tensor {
  return a ? (runOp('add', [a, b])[0] as Tensor) : b;
}

/**
 * Backpropagates from `outputs` with cotangents `grads` (ones for a scalar output when omitted).
 * Accumulates into leaves' `.grad` (like PyTorch), or returns the gradients of `opts.inputs`.
 */
export function backward(outputs: Tensor | readonly Tensor[], grads?: Tensor | readonly (Tensor | null)[] | null, opts: BackwardOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const gs = grads === undefined || grads === null ? outs.map(() => null) : grads instanceof Tensor ? [grads] : [...grads];
  outs.forEach((o) => {
    if (!metas.get(o)?.requiresGrad) {
      throw new TesseraError(`backward: tensor ${fmtShape(o.shape)} does not require grad (no input was marked requiresGrad, or it was computed under noGrad)`);
    }
  });
  const wanted = opts.inputs ? new Map(opts.inputs.map((t, i) => [t.id, i])) : null;
  const results: (Tensor | null)[] = opts.inputs ? opts.inputs.map(() => null) : [];
  const prev = setGradEnabled(false);
  try {
    const pending = new Map<number, Tensor>();
    tidy(() => {
      outs.forEach((o, i) => {
        let g = gs[i] ?? null;
        if (!g) {
          if (o.size !== 1) throw new TesseraError(`backward: output ${fmtShape(o.shape)} is not a scalar; pass its gradient`);
          g = onesLike(o);
        }
        pending.set(o.id, addGrads(pending.get(o.id), g!));
      });
      const deliver = (t: Tensor, g: Tensor): void => {
        const m = metas.get(t);
        if (wanted) {
          const k = wanted.get(t.id);
          if (k !== undefined) results[k] = keep(results[k] ? addGrads(results[k]!, g) : g);
          return;
        }
        if (m && (!m.node || m.retainGrad)) {
          const acc = m.grad ? runOp('add', [m.grad, g])[0]! : runOp('contiguous', [g])[0]!;
          setGrad(t, acc);
        }
      };
      for (const o of outs) if (!metas.get(o)!.node) deliver(o, pending.get(o.id)!);
      for (const node of topoOrder(outs)) {
        if (!node.ctx) throw new TesseraError(`backward: the graph through '${node.name}' was already freed; pass retainGraph: true to backward twice`);
        const gOut = node.outputIds.map((id) => pending.get(id) ?? null);
        node.outputIds.forEach((id) => pending.delete(id));
        if (gOut.every((g) => g === null)) continue;
        const gIn = node.vjp(node.ctx, gOut);
        node.inputs.forEach((t, i) => {
          const g = gIn[i];
          if (!node.needs[i] || !g) return;
          if (g.shape.length !== t.shape.length || g.shape.some((d, j) => d !== t.shape[j])) {
            throw new TesseraError(`backward: VJP of '${node.name}' gave input ${i} a gradient ${fmtShape(g.shape)} for shape ${fmtShape(t.shape)}`);
          }
          const m = metas.get(t);
          if (m?.retainGrad && m.node) deliver(t, g);
          if (m?.node) pending.set(t.id, addGrads(pending.get(t.id), g));
          else deliver(t, g);
        });
        if (!opts.retainGraph) release(node);
      }
      return results;
    });
  } finally {
    setGradEnabled(prev);
  }
  return results;
}

/** Drops the graph behind `t` without running backward, releasing every saved tensor. */
export function freeGraph(t: Tensor): void {
  for (const n of topoOrder([t])) release(n);
}
