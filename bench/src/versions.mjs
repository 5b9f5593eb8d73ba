// @ts-check
/**
 * Versions read from installed package.json files (peers in bench/node_modules, Tessera's
 * packages through the root workspace).
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = path.resolve(BENCH_DIR, '..');

/** @param {string} name @returns {string} version, or 'not installed' */
export function packageVersion(name) {
  for (const dir of [path.join(BENCH_DIR, 'node_modules'), path.join(ROOT_DIR, 'node_modules')]) {
    try {
      return JSON.parse(readFileSync(path.join(dir, name, 'package.json'), 'utf8')).version;
    } catch {
      // try the next
    }
  }
  return 'not installed';
}
