/**
 * `@tessera/models`: the video-generation models of the Sora lineage, built only on the public
 * API of `@tessera/tensor` and `@tessera/autograd`. Each keeps the parameter names and shapes of its
 * reference PyTorch implementation, so a PyTorch `state_dict` saved as safetensors loads as is.
 * Models never import a backend: they run on whichever backend is active.
 *
 * - ViViT (all four variants of the paper; the factorised encoder weight-compatible with
 *   rishikksh20/ViViT-pytorch) and a synthetic moving-square video set.
 * @packageDocumentation
 */
export * from './vivit/index.js';
export * from './data/motion.js';
