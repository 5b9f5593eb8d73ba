/**
 * `@tessera/models`: the video-generation models of the Sora lineage, built only on the public
 * API of `@tessera/tensor` and `@tessera/autograd`. Each keeps the parameter names and shapes of its
 * reference PyTorch implementation, so a PyTorch `state_dict` saved as safetensors loads as is.
 * Models never import a backend: they run on whichever backend is active.
 *
 * - DiT (facebookresearch/DiT: every named config, adaLN-Zero, classifier-free guidance) and the
 *   Gaussian diffusion machinery (schedules, respacing, DDPM, DDIM, the training loss).
 * - ViViT (all four variants of the paper; the factorised encoder weight-compatible with
 *   rishikksh20/ViViT-pytorch).
 * - Synthetic data: coloured shapes by class, and a moving-square video set.
 * @packageDocumentation
 */
export * from './dit/index.js';
export * from './diffusion/index.js';
export * from './data/shapes.js';
export * from './vivit/index.js';
export * from './data/motion.js';
