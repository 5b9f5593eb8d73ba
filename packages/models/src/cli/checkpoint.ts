/**
 * Checkpoints of the command line: safetensors files whose `__metadata__` records what model they
 * hold (`model`, and its constructor options as JSON in `config`), so that `dit sample` and
 * `vivit eval` rebuild the architecture before loading the weights strictly. The metadata is read
 * from the header alone (8-byte little-endian length, then JSON), without reading the tensors.
 * @module
 */
import { open } from 'node:fs/promises';

/** The metadata of a safetensors file (`{}` when it has none). Throws naming the file when it is not one. */
export async function readSafetensorsMetadata(path: string): Promise<Record<string, string>> {
  let f: Awaited<ReturnType<typeof open>>;
  try {
    f = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `checkpoint '${path}' does not exist` : `cannot open checkpoint '${path}': ${(e as Error).message}`);
  }
  try {
    const size = (await f.stat()).size;
    const head = Buffer.alloc(8);
    if (size < 8 || (await f.read(head, 0, 8, 0)).bytesRead < 8) throw new Error(`'${path}' is not a safetensors file (${size} bytes)`);
    const n = Number(head.readBigUInt64LE(0));
    if (n < 2 || 8 + n > size || n > 100 * 2 ** 20) throw new Error(`'${path}' is not a safetensors file (header length ${n} in a file of ${size} bytes)`);
    const json = Buffer.alloc(n);
    await f.read(json, 0, n, 8);
    let header: unknown;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch {
      throw new Error(`'${path}' is not a safetensors file (its header is not JSON)`);
    }
    const meta = (header as { __metadata__?: unknown }).__metadata__;
    if (meta === undefined || meta === null) return {};
    if (typeof meta !== 'object' || Array.isArray(meta)) throw new Error(`'${path}': __metadata__ is not an object`);
    return Object.fromEntries(Object.entries(meta).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } finally {
    await f.close();
  }
}

/** A checkpoint's model config and its whole safetensors metadata. */
export interface ModelConfig<T> {
  /** The parsed `config` entry. */
  config: T;
  /** Every metadata entry. */
  metadata: Record<string, string>;
}

/**
 * The `config` JSON of a checkpoint written for `model` (e.g. `'DiT'`), or an error saying what
 * the file is instead and which command writes the right kind.
 */
export async function readModelConfig<T>(path: string, model: string, writer: string): Promise<ModelConfig<T>> {
  const metadata = await readSafetensorsMetadata(path);
  if (metadata.model !== model || metadata.config === undefined) {
    const what = metadata.model ? `a ${metadata.model} checkpoint${metadata.config === undefined ? ' without a config' : ''}` : 'a safetensors file without model metadata';
    throw new Error(`'${path}' is ${what}; expected a ${model} checkpoint written by '${writer}'`);
  }
  try {
    return { config: JSON.parse(metadata.config) as T, metadata };
  } catch {
    throw new Error(`'${path}': the config in its metadata is not JSON`);
  }
}
