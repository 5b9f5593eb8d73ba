/**
 * `@tessera/models`: the video-generation models of the Sora lineage, built only on the public
 * API of `@tessera/tensor` and `@tessera/autograd`.
 *
 * **Not implemented yet.** This package is a placeholder so that the workspace builds and the
 * API docs have a page for it. It will hold, each keeping the parameter names and shapes of its
 * reference PyTorch implementation so that a PyTorch `state_dict` saved as safetensors loads as is:
 *
 * - `vivit/` (ViViT), `dit/` (DiT), `vae/` (a TECO-style video VAE) and `videodit/` (a
 *   spatio-temporal video DiT);
 * - `diffusion/`: noise schedules, samplers (DDPM, DDIM) and losses;
 * - `data/`: synthetic video sets, and `cli/`: the `tessera` command line.
 *
 * Models never import a backend: they run on whichever backend is active.
 *
 * Today it exports nothing but {@link PACKAGE_STATUS}.
 * @packageDocumentation
 */

/** Implementation status of this package: `'planned'` means no functionality is implemented yet. */
export const PACKAGE_STATUS = 'planned' as const;
