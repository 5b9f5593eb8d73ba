/**
 * Video tokenisation (ViViT §3.2), as `to_patch_embedding`, a Sequential whose index 1 is the
 * learned projection in both forms, so its key is `to_patch_embedding.1.weight` either way:
 *
 * - per-frame patches (rishikksh20): `Rearrange('b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)')`,
 *   then `Linear(p·p·C → dim)`; each patch vector is ordered (py, px, channel), channel fastest;
 * - tubelets: `Rearrange('b t c h w -> b c t h w')`, `Conv3d(C, dim, (t, p, p), stride (t, p, p))`,
 *   `Rearrange('b d t h w -> b t (h w) d')`.
 *
 * Both map a video `[B, T, C, H, W]` to tokens `[B, nt, (H/p)·(W/p), dim]`, patches in row-major
 * grid order.
 * @module
 */
import { nn } from '@tessera/autograd';
import { type BlockOptions, Rearrange, TokenLinear, factory } from './layers.js';

/** `to_patch_embedding` for `tubeletSize` null (2-D patches) or t (tubelets). */
export function patchEmbedding(inChannels: number, dim: number, patchSize: number, tubeletSize: number | null, opts: BlockOptions = {}): nn.Sequential {
  const p = patchSize;
  const f = factory(opts);
  if (tubeletSize === null) {
    return new nn.Sequential(new Rearrange('b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)', { p1: p, p2: p }), new TokenLinear(p * p * inChannels, dim, f));
  }
  const k = [tubeletSize, p, p];
  return new nn.Sequential(
    new Rearrange('b t c h w -> b c t h w'),
    new nn.Conv3d(inChannels, dim, k, { ...f, stride: k }),
    new Rearrange('b d t h w -> b t (h w) d'),
  );
}
