/**
 * Safetensors files on disk, for Node. Kept apart from `safetensors.ts` so that module (and the
 * package) loads in browsers, where `node:fs` does not exist.
 *
 * Writes are atomic: the bytes go to a temporary file in the target's directory, are flushed to
 * disk, and the temporary file is renamed over the target. A reader sees the old file or the new
 * one, never a torn one, and a failed write leaves the old file as it was.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Backend } from './backend.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';
import type { Tensor } from './tensor.js';

/** Options of `readSafetensorsFile`. */
export interface ReadSafetensorsFileOptions {
  /** The backend to put the tensors on (default: the active backend). */
  backend?: Backend;
}

/**
 * Reads a safetensors file into tensors on `opts.backend` (default: the active backend).
 * Errors about the file's contents are `FormatError`s that name `path` and the tensor.
 */
export async function readSafetensorsFile(path: string, opts: ReadSafetensorsFileOptions = {}): Promise<Record<string, Tensor>> {
  const bytes = await readFile(path);
  return loadSafetensors(bytes, { ...opts, source: path });
}

/**
 * Writes tensors to a safetensors file atomically (temp file in the same directory, fsync, rename).
 * The tensors are serialised before the file system is touched; on any failure the temporary file
 * is removed and an existing file at `path` is left untouched.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = await saveSafetensors(tensors, metadata);
  // Keep the permissions of the file being replaced; a new file gets the usual 0o666 & ~umask.
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o666,
  );
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let created = false;
  try {
    const fh = await open(tmp, 'wx', mode);
    created = true;
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    created = false;
  } catch (e) {
    if (created) await unlink(tmp).catch(() => {});
    throw e;
  }
  await syncDirectory(dirname(path));
}

/** Flushes a directory entry (the rename) to disk where the platform allows it; best effort. */
async function syncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Not supported everywhere (Windows); the data itself is already synced.
  } finally {
    await fh?.close().catch(() => {});
  }
}
