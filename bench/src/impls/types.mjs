// @ts-check
/**
 * What every implementation adapter provides. An adapter module exports
 * `open(config) => Promise<Impl>`; it installs whatever shims its library needs before importing
 * it, so each runs in a fresh process (see child.mjs).
 * @module
 */

/**
 * @typedef {import('../cases.mjs').Case} Case
 * @typedef {import('../configs.mjs').Config} Config
 * @typedef {{
 *   run: () => Promise<ArrayLike<number>>,                 // computes the op and reads the result back
 *   toCanonical?: (y: ArrayLike<number>) => Float32Array,  // native layout -> canonical, for the check
 *   dispose: () => void,
 * }} Prepared
 * @typedef {{
 *   version: string,                                       // the library's package version
 *   detail: string,                                        // build, threads, adapter actually in use
 *   supports?: (c: Case) => true | string,                 // a string says why not
 *   prepare: (c: Case, inputs: Record<string, Float32Array>) => Promise<Prepared>,
 *   close?: () => void | Promise<void>,                    // e.g. destroy a GPU device
 * }} Impl
 */

/** Thrown by `open` when a configuration cannot run here (the result says why; not a failure). */
export class Unavailable extends Error {}

export {};
