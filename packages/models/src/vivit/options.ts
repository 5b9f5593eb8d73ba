/**
 * The options every ViViT variant takes (rishikksh20's constructor arguments, camelCased, plus
 * `tubeletSize`), their validation, and the check of an input video against them. Errors name the
 * model, the option and the values.
 * @module
 */
import { ArgumentError, ShapeError, type Tensor, fmtShape } from '@tessera/tensor';
import { type BlockOptions } from './layers.js';

/** Options of every ViViT variant; defaults are rishikksh20's. */
export interface ViViTOptions extends BlockOptions {
  /** Height and width of the (square) frames, in pixels. */
  imageSize: number;
  /** Side of a square patch, in pixels; must divide `imageSize`. */
  patchSize: number;
  /** Number of classes of the head. */
  numClasses: number;
  /** Frames per clip; the input's T must equal it. */
  numFrames: number;
  /** Token width D (default 192). */
  dim?: number;
  /** Layers per transformer (default 4). */
  depth?: number;
  /** Attention heads (default 3; 4 for Model 4, which needs an even number). */
  heads?: number;
  /** `'cls'` (the class token's output) or `'mean'` (mean over tokens, class token included). Default 'cls'. */
  pool?: 'cls' | 'mean';
  /** Channels of a frame (default 3). */
  inChannels?: number;
  /** Channels per head (default 64). */
  dimHead?: number;
  /** Dropout inside attention and feed-forward (default 0). */
  dropout?: number;
  /** Dropout on the embedded tokens (default 0). */
  embDropout?: number;
  /** Feed-forward width as a multiple of `dim` (default 4). */
  scaleDim?: number;
  /**
   * Frames per tubelet. Unset (default): each token is a 2-D patch of one frame, embedded by a
   * Linear (`to_patch_embedding.1.weight [dim, p·p·C]`). Set to t: tubelet embedding (ViViT §3.2),
   * a Conv3d with kernel = stride = (t, p, p) (`to_patch_embedding.1.weight [dim, C, t, p, p]`),
   * giving numFrames/t tokens along time; t must divide `numFrames`.
   */
  tubeletSize?: number;
}

/** A model's options with the defaults filled in and checked (`model.config`). */
export interface ViViTConfig extends Required<Omit<ViViTOptions, 'tubeletSize' | 'generator' | 'backend'>>, BlockOptions {
  /** Frames per tubelet, or null for per-frame 2-D patches. */
  tubeletSize: number | null;
  /** Tokens along time: numFrames / tubeletSize (numFrames without tubelets). */
  nt: number;
  /** Patches per frame: (imageSize / patchSize)². */
  numPatches: number;
}

function positiveInt(model: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(`${model}: ${name} must be an integer >= 1, got ${String(v)}`);
  return v;
}

function probability(model: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ArgumentError(`${model}: ${name} must be in [0, 1], got ${String(v)}`);
  return v;
}

/** Fills in rishikksh20's defaults and checks every option. @internal */
export function resolveOptions(model: string, opts: ViViTOptions, defaults: { heads?: number } = {}): ViViTConfig {
  if (!opts || typeof opts !== 'object') throw new ArgumentError(`${model}: expected an options object, got ${String(opts)}`);
  const imageSize = positiveInt(model, 'imageSize', opts.imageSize);
  const patchSize = positiveInt(model, 'patchSize', opts.patchSize);
  const numFrames = positiveInt(model, 'numFrames', opts.numFrames);
  if (imageSize % patchSize !== 0) {
    throw new ArgumentError(`${model}: imageSize ${imageSize} is not divisible by patchSize ${patchSize} (image dimensions must be divisible by the patch size)`);
  }
  const tubeletSize = opts.tubeletSize === undefined ? null : positiveInt(model, 'tubeletSize', opts.tubeletSize);
  if (tubeletSize !== null && numFrames % tubeletSize !== 0) {
    throw new ArgumentError(`${model}: numFrames ${numFrames} is not divisible by tubeletSize ${tubeletSize}`);
  }
  const pool = opts.pool ?? 'cls';
  if (pool !== 'cls' && pool !== 'mean') throw new ArgumentError(`${model}: pool must be 'cls' or 'mean', got '${String(pool)}'`);
  return {
    imageSize,
    patchSize,
    numFrames,
    tubeletSize,
    numClasses: positiveInt(model, 'numClasses', opts.numClasses),
    dim: positiveInt(model, 'dim', opts.dim ?? 192),
    depth: positiveInt(model, 'depth', opts.depth ?? 4),
    heads: positiveInt(model, 'heads', opts.heads ?? defaults.heads ?? 3),
    pool,
    inChannels: positiveInt(model, 'inChannels', opts.inChannels ?? 3),
    dimHead: positiveInt(model, 'dimHead', opts.dimHead ?? 64),
    dropout: probability(model, 'dropout', opts.dropout ?? 0),
    embDropout: probability(model, 'embDropout', opts.embDropout ?? 0),
    scaleDim: positiveInt(model, 'scaleDim', opts.scaleDim ?? 4),
    nt: tubeletSize === null ? numFrames : numFrames / tubeletSize,
    numPatches: (imageSize / patchSize) ** 2,
    ...(opts.generator ? { generator: opts.generator } : {}),
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
  };
}

/** The token grid of a checked input video. @internal */
export interface TokenGrid {
  /** Batch size. */
  b: number;
  /** Tokens along time. */
  nt: number;
  /** Patches per frame. */
  n: number;
}

/**
 * Checks a video `[B, T, C, H, W]` against the options: T must equal numFrames (the position
 * table has one row per frame), C must equal inChannels, H and W must be multiples of
 * patchSize. With `exact`, H and W must equal imageSize; without (rishikksh20's factorised
 * encoder, which slices its position table `[:, :, :n+1]`), a smaller frame with at most
 * (imageSize/patchSize)² patches is accepted, as in the reference.
 * @internal
 */
export function checkVideo(model: string, video: Tensor, o: ViViTConfig, exact: boolean): TokenGrid {
  if (video.ndim !== 5) {
    throw new ShapeError(`${model}: expected a video [B, T, C, H, W] (time before channels), got ${fmtShape(video.shape)}`);
  }
  const [b, t, c, h, w] = video.shape as [number, number, number, number, number];
  const where = `input ${fmtShape(video.shape)}`;
  if (t !== o.numFrames) {
    throw new ShapeError(`${model}: ${where} has ${t} frames, but the model was built for numFrames ${o.numFrames} (T must equal numFrames)`);
  }
  if (c !== o.inChannels) throw new ShapeError(`${model}: ${where} has ${c} channels, but inChannels is ${o.inChannels}`);
  const p = o.patchSize;
  if (h % p !== 0 || w % p !== 0) {
    throw new ShapeError(`${model}: ${where}: frame ${h}x${w} is not divisible by patchSize ${p}`);
  }
  const n = (h / p) * (w / p);
  if (exact ? h !== o.imageSize || w !== o.imageSize : n > o.numPatches) {
    throw new ShapeError(
      `${model}: ${where}: frame ${h}x${w} ` +
        (exact
          ? `does not match imageSize ${o.imageSize}`
          : `gives ${n} patches of ${p}x${p}, more than the ${o.numPatches} of imageSize ${o.imageSize} the position table holds`),
    );
  }
  return { b, nt: o.nt, n };
}
