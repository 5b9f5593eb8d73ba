/**
 * `@tessera/autograd/node`: saving and loading a module's state dict as a safetensors file, for
 * Node (through `@tessera/tensor/node`, whose writes are atomic). Kept out of the main entry so
 * the package loads in browsers.
 *
 * ```ts
 * import { loadModuleFile, saveModuleFile } from '@tessera/autograd/node';
 * await saveModuleFile(model, 'model.safetensors');
 * await loadModuleFile(model, 'model.safetensors');          // strict: every key must match
 * ```
 * @module
 */
import { readSafetensorsFile, writeSafetensorsFile } from '@tessera/tensor/node';
import { type LoadResult, type Module } from './nn/module.js';

/** Options of `loadModuleFile`. */
export interface LoadModuleFileOptions {
  /** Report missing and unexpected keys instead of throwing (default true: throw). */
  strict?: boolean;
}

/**
 * Loads a safetensors file (e.g. a PyTorch `state_dict` saved with `safetensors.torch.save_file`)
 * into `module` with `loadStateDict`: strict by default, so one `StateDictError` lists every
 * missing, unexpected and shape-mismatched key, and nothing is loaded. The file's tensors are put
 * on the backend of the module's parameters.
 */
export async function loadModuleFile(module: Module, path: string, opts: LoadModuleFileOptions = {}): Promise<LoadResult> {
  const first = Object.values(module.stateDict())[0];
  const tensors = await readSafetensorsFile(path, first ? { backend: first.backend } : {});
  try {
    return module.loadStateDict(tensors, { strict: opts.strict ?? true });
  } finally {
    // The module's tensors hold their own references to the storage they took.
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/** Writes `module.stateDict()` to `path` as safetensors, atomically. */
export async function saveModuleFile(module: Module, path: string, metadata?: Record<string, string>): Promise<void> {
  await writeSafetensorsFile(path, module.stateDict(), metadata);
}

export { Progress, progressEnabled, type ProgressOptions, type ProgressMetrics } from './progress.js';
