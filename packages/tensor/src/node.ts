/**
 * `@tessera/tensor/node`: the parts of `@tessera/tensor` that need Node's file system — reading and
 * atomically writing safetensors files. Kept out of the main entry so it loads in browsers.
 *
 * ```ts
 * import { readSafetensorsFile, writeSafetensorsFile } from '@tessera/tensor/node';
 * const weights = await readSafetensorsFile('model.safetensors');
 * ```
 * @module
 */
export { readSafetensorsFile, writeSafetensorsFile, type ReadSafetensorsFileOptions } from './safetensors-node.js';
