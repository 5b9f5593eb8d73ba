/**
 * The classification loss and metric the ViViT goldens and the training example use.
 * @module
 */
import { ShapeError, type Tensor, argmax, fmtShape, gather, logSoftmax, tidy } from '@tessera/tensor';

function checkLogits(op: string, logits: Tensor, labels: Tensor): void {
  if (logits.ndim !== 2 || labels.ndim !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new ShapeError(`${op}: expected logits [B, classes] and labels [B], got ${fmtShape(logits.shape)} and ${fmtShape(labels.shape)}`);
  }
  if (labels.dtype !== 'int32') throw new ShapeError(`${op}: labels must be int32 class indices, got ${labels.dtype}`);
}

/**
 * Cross-entropy of `logits [B, classes]` against int32 `labels [B]`, averaged over the batch:
 * `-mean_b log_softmax(logits)[b, labels[b]]` (PyTorch's `F.cross_entropy`, reduction 'mean').
 */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  checkLogits('crossEntropy', logits, labels);
  return tidy(() => gather(logSoftmax(logits, -1), 1, labels.reshape(-1, 1)).mean().neg());
}

/** Fraction of rows whose arg-max logit is the label (a plain number). */
export function accuracy(logits: Tensor, labels: Tensor): number {
  checkLogits('accuracy', logits, labels);
  const pred = tidy(() => argmax(logits, 1));
  const p = pred.dataSync();
  const y = labels.dataSync();
  pred.dispose();
  let hits = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) hits++;
  return y.length ? hits / y.length : 0;
}
