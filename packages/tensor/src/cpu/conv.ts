/**
 * Reference cpu kernels for the conv ops (to be written).
 * @module
 */
import type { Kernel } from '../backend.js';

/** Kernels by op name. */
export const kernels: Record<string, Kernel> = {};
