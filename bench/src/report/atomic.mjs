// @ts-check
/** Atomic file writes: a temporary file in the same folder, then a rename. @module */
import { writeFileSync, renameSync, rmSync } from 'node:fs';

/** @param {string} file @param {string} text */
export function writeFileAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`; // bench/results/*.tmp is git-ignored
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
