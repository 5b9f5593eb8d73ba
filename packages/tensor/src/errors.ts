/**
 * Typed errors thrown by op validation. Every message names the op, the argument and the
 * shapes or dtypes involved, so a bad call is diagnosed where it is made, not inside a kernel.
 * @module
 */

/** Base class of every error Tessera throws on purpose. */
export class TesseraError extends Error {
  /** @param message what went wrong, naming op, argument and shapes */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op: broadcast failures, wrong rank, mismatched inner dims. */
export class ShapeError extends TesseraError {}

/** A dtype the op does not accept, or two dtypes that do not combine. */
export class DTypeError extends TesseraError {}

/** An attribute out of range or of the wrong kind (a negative kernel size, an unknown mode). */
export class ArgumentError extends TesseraError {}

/** A tensor used after `dispose()`. */
export class DisposedError extends TesseraError {}

/** A backend that is missing, not initialised, or lacks a kernel. */
export class BackendError extends TesseraError {}

/** A malformed file or buffer (safetensors header, offsets, sizes). */
export class FormatError extends TesseraError {}

/** Formats a shape as PyTorch prints it in messages: `[2,3,4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
