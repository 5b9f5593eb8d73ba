/**
 * A synthetic video classification set, generated in code from a seed: a bright square moves in a
 * straight line in one of 8 directions; the class is the direction. Each clip draws the square's
 * size, brightness, speed and start (so that it stays in the frame), adds static distractor
 * squares (dimmer, so the moving one is not always the brightest) and Gaussian pixel noise. No
 * single frame tells the class: a model must compare frames, which is what ViViT's temporal
 * attention is for.
 *
 * Positions are continuous: a pixel's value is the area of it the square covers (box
 * anti-aliasing), so sub-pixel speeds move the image smoothly.
 * @module
 */
import { ArgumentError, Generator, type Tensor, fromArray } from '@tessera/tensor';

/** The classes, in label order: direction k is the angle k·45° counter-clockwise from 'right'. */
export const MOTION_DIRECTIONS = ['right', 'up-right', 'up', 'up-left', 'left', 'down-left', 'down', 'down-right'] as const;

/** Options of `motionVideos`. */
export interface MotionOptions {
  /** Number of clips (default 1024). Labels cycle 0…7, so every class has n/8 clips (±1). */
  n?: number;
  /** Frames per clip (default 8). */
  frames?: number;
  /** Frame height and width in pixels (default 32). */
  size?: number;
  /** Channels (default 1); with more, each object gets a random tint per channel. */
  channels?: number;
  /** Side of the moving square in pixels, drawn uniformly from [min, max] (default [4, 7]). */
  squareSize?: readonly [number, number];
  /** Speed in pixels per frame, drawn uniformly from [min, max] (default [1, 2.5]). */
  speed?: readonly [number, number];
  /** Static distractor squares per clip (default 1). */
  distractors?: number;
  /** Standard deviation of the Gaussian pixel noise (default 0.1). */
  noise?: number;
  /** Seed (default 0): the same options and seed give the same clips. */
  seed?: number;
  /** Backend for the tensors (default: the active one). */
  backend?: string;
}

/** Clips and labels. */
export interface MotionDataset {
  /** Videos `[n, frames, channels, size, size]`, float32, about [0, 1] before noise. */
  x: Tensor;
  /** Labels `[n]`, int32 direction indices into `MOTION_DIRECTIONS`. */
  y: Tensor;
  /** The labels on the host. */
  labels: Int32Array;
  /** 8. */
  numClasses: number;
  /** `MOTION_DIRECTIONS`. */
  classNames: readonly string[];
}

function range(name: string, r: unknown, min: number): [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] >= min && r[1] >= r[0])) {
    throw new ArgumentError(`motionVideos: ${name} must be [min, max] with ${min} <= min <= max, got ${JSON.stringify(r)}`);
  }
  return [r[0], r[1]];
}

function int(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ArgumentError(`motionVideos: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

/** Length of [a, a+len) ∩ [i, i+1). */
function overlap(a: number, len: number, i: number): number {
  return Math.max(0, Math.min(a + len, i + 1) - Math.max(a, i));
}

/** Draws a square of side `s` at (x0, y0) with value `v` into one frame plane, keeping the max. */
function drawSquare(plane: Float32Array, size: number, x0: number, y0: number, s: number, v: number): void {
  const r0 = Math.max(0, Math.floor(y0));
  const r1 = Math.min(size - 1, Math.ceil(y0 + s) - 1);
  const c0 = Math.max(0, Math.floor(x0));
  const c1 = Math.min(size - 1, Math.ceil(x0 + s) - 1);
  for (let r = r0; r <= r1; r++) {
    const oy = overlap(y0, s, r);
    for (let c = c0; c <= c1; c++) {
      const val = v * oy * overlap(x0, s, c);
      const k = r * size + c;
      if (val > plane[k]!) plane[k] = val;
    }
  }
}

/**
 * Generates `n` clips of a square moving in one of 8 directions (labels cycle 0…7). The square's
 * side, brightness (0.6–1), speed and start are drawn per clip, the start so that the square stays
 * inside every frame; each distractor is a static square (side 3–6, brightness 0.3–0.7) at a
 * random place; then N(0, noise²) is added to every pixel.
 */
export function motionVideos(opts: MotionOptions = {}): MotionDataset {
  const n = int('n', opts.n ?? 1024, 0);
  const frames = int('frames', opts.frames ?? 8, 1);
  const size = int('size', opts.size ?? 32, 1);
  const channels = int('channels', opts.channels ?? 1, 1);
  const [sMin, sMax] = range('squareSize', opts.squareSize ?? [4, 7], 1);
  const [vMin, vMax] = range('speed', opts.speed ?? [1, 2.5], 0);
  const distractors = int('distractors', opts.distractors ?? 1, 0);
  const noise = opts.noise ?? 0.1;
  if (typeof noise !== 'number' || !(noise >= 0)) throw new ArgumentError(`motionVideos: noise must be >= 0, got ${String(noise)}`);
  // The worst case (largest square, fastest speed, along an axis) must fit in the frame.
  const travel = vMax * (frames - 1);
  if (sMax + travel > size) {
    throw new ArgumentError(
      `motionVideos: a square of side ${sMax} moving ${vMax} px/frame for ${frames} frames travels ${travel} px and does not fit in ${size} px ` +
        `(need squareSize max + speed max·(frames−1) <= size)`,
    );
  }
  const gen = new Generator(opts.seed ?? 0);
  const u = (a: number, b: number): number => a + (b - a) * gen.uniform();
  const plane = size * size;
  const clip = frames * channels * plane;
  const x = new Float32Array(n * clip);
  const labels = new Int32Array(n);
  const tint = new Float32Array(channels);
  const frame = new Float32Array(plane);
  for (let i = 0; i < n; i++) {
    const label = i % 8;
    labels[i] = label;
    const s = u(sMin, sMax);
    const bright = u(0.6, 1);
    const speed = u(vMin, vMax);
    const theta = (label * Math.PI) / 4;
    // Image rows grow downwards, so 'up' is -y.
    const vx = speed * Math.cos(theta);
    const vy = -speed * Math.sin(theta);
    const span = (v: number): [number, number] => (v >= 0 ? [0, size - s - v * (frames - 1)] : [-v * (frames - 1), size - s]);
    const [xa, xb] = span(vx);
    const [ya, yb] = span(vy);
    const x0 = u(xa, xb);
    const y0 = u(ya, yb);
    const objects: { x: number; y: number; s: number; v: number; tint: Float32Array }[] = [];
    for (let d = 0; d < distractors; d++) {
      const ds = u(3, 6);
      const t = new Float32Array(channels);
      for (let c = 0; c < channels; c++) t[c] = channels === 1 ? 1 : u(0.5, 1);
      objects.push({ x: u(0, size - ds), y: u(0, size - ds), s: ds, v: u(0.3, 0.7), tint: t });
    }
    for (let c = 0; c < channels; c++) tint[c] = channels === 1 ? 1 : u(0.5, 1);
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < channels; c++) {
        frame.fill(0);
        for (const o of objects) drawSquare(frame, size, o.x, o.y, o.s, o.v * o.tint[c]!);
        drawSquare(frame, size, x0 + vx * f, y0 + vy * f, s, bright * tint[c]!);
        const base = i * clip + (f * channels + c) * plane;
        for (let k = 0; k < plane; k++) x[base + k] = frame[k]! + (noise > 0 ? noise * gen.normal() : 0);
      }
    }
  }
  const b = opts.backend === undefined ? {} : { backend: opts.backend };
  return {
    x: fromArray(x, [n, frames, channels, size, size], b),
    y: fromArray(labels, [n], { ...b, dtype: 'int32' }),
    labels,
    numClasses: 8,
    classNames: MOTION_DIRECTIONS,
  };
}

/** Pixel statistics of a motion set, for standardising inputs: `(x - mean) / std`. */
export interface MotionStats {
  /** Mean pixel value. */
  mean: number;
  /** Standard deviation of the pixel values. */
  std: number;
}

/**
 * Mean and standard deviation of the pixels of `n` clips (default 256) drawn with `opts` (its
 * `n` is ignored), computed on the host in float64.
 */
export function motionStats(opts: MotionOptions = {}, n = 256): MotionStats {
  const ds = motionVideos({ ...opts, n });
  const x = ds.x.dataSync();
  ds.x.dispose();
  ds.y.dispose();
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]!;
    sq += x[i]! * x[i]!;
  }
  const mean = sum / x.length;
  return { mean, std: Math.sqrt(Math.max(sq / x.length - mean * mean, 0)) };
}
