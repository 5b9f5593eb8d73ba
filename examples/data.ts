/**
 * Synthetic data sets for the training examples, generated in code from a seed (no downloads):
 *
 * - `twoSpirals`: the classic two interleaved spirals in the plane (Lang & Witbrock, 1988), a
 *   problem no linear model solves and a small MLP does;
 * - `shapes`: grayscale images of a filled circle, square or triangle at a random position and size,
 *   with random brightness and Gaussian pixel noise: a first problem for a CNN.
 *
 * Labels are int32 class indices; inputs are float32.
 * @module
 */
import { Generator, type Tensor, fromArray } from '@tessera/tensor';

/** Inputs and class labels. */
export interface Dataset {
  /** Inputs: `[n, 2]` points, or `[n, 1, size, size]` images. */
  x: Tensor;
  /** Labels `[n]`, int32 in `[0, numClasses)`. */
  y: Tensor;
  /** The labels on the host. */
  labels: Int32Array;
  numClasses: number;
}

/** Options of `twoSpirals`. */
export interface SpiralOptions {
  /** Points per spiral (default 100). */
  pointsPerClass?: number;
  /** Turns of each spiral (default 1.5). */
  turns?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate (default 0.02). */
  noise?: number;
  /** Seed (default 0). */
  seed?: number;
}

/**
 * Two spirals: point i of class c sits at radius r = 0.1 + 0.9·i/n and angle θ = 2π·turns·i/n + cπ,
 * so the second spiral is the first turned by half a turn; coordinates lie in about [-1, 1].
 * Classes are interleaved in the output (0, 1, 0, 1, …).
 */
export function twoSpirals(opts: SpiralOptions = {}): Dataset {
  const n = opts.pointsPerClass ?? 100;
  const turns = opts.turns ?? 1.5;
  const noise = opts.noise ?? 0.02;
  const gen = new Generator(opts.seed ?? 0);
  const x = new Float32Array(4 * n);
  const labels = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const r = 0.1 + 0.9 * t;
    for (let c = 0; c < 2; c++) {
      const theta = 2 * Math.PI * turns * t + c * Math.PI;
      const k = 2 * i + c;
      x[2 * k] = r * Math.cos(theta) + noise * gen.normal();
      x[2 * k + 1] = r * Math.sin(theta) + noise * gen.normal();
      labels[k] = c;
    }
  }
  return { x: fromArray(x, [2 * n, 2]), y: fromArray(labels, [2 * n], { dtype: 'int32' }), labels, numClasses: 2 };
}

/** The classes of `shapes`, in label order. */
export const SHAPE_CLASSES = ['circle', 'square', 'triangle'] as const;

/** Options of `shapes`. */
export interface ShapesOptions {
  /** Number of images (default 1000); classes are drawn uniformly. */
  count?: number;
  /** Image side in pixels (default 16). */
  size?: number;
  /** Standard deviation of the Gaussian pixel noise (default 0.1). */
  noise?: number;
  /** Seed (default 0). */
  seed?: number;
}

/**
 * Images `[count, 1, size, size]` of one filled shape each on a dark background: a circle (radius
 * 0.18 to 0.35 of the side), an axis-aligned square (side 0.35 to 0.65) or a triangle (an isosceles
 * triangle of random size, pointing up, down, left or right), at a random position that keeps it
 * inside the image, with brightness in [0.6, 1] and Gaussian noise. Pixels are sampled at their
 * centres with 2×2 supersampling, so edges are slightly soft.
 */
export function shapes(opts: ShapesOptions = {}): Dataset {
  const count = opts.count ?? 1000;
  const size = opts.size ?? 16;
  const noise = opts.noise ?? 0.1;
  const gen = new Generator(opts.seed ?? 0);
  const u = (lo: number, hi: number): number => lo + (hi - lo) * gen.uniform();
  const x = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const cls = gen.integer(0, 3);
    labels[k] = cls;
    let inside: (px: number, py: number) => boolean;
    if (cls === 0) {
      const r = u(0.18, 0.35) * size;
      const cx = u(r, size - r);
      const cy = u(r, size - r);
      inside = (px, py) => (px - cx) ** 2 + (py - cy) ** 2 <= r * r;
    } else if (cls === 1) {
      const s = u(0.35, 0.65) * size;
      const x0 = u(0, size - s);
      const y0 = u(0, size - s);
      inside = (px, py) => px >= x0 && px <= x0 + s && py >= y0 && py <= y0 + s;
    } else {
      // Base b, height h, apex along +v from the base's midpoint; v one of four directions.
      const b = u(0.45, 0.8) * size;
      const h = u(0.45, 0.8) * size;
      const dir = gen.integer(0, 4);
      const along = dir < 2 ? h : b; // extent along x
      const across = dir < 2 ? b : h; // extent along y
      const x0 = u(0, size - along);
      const y0 = u(0, size - across);
      inside = (px, py) => {
        // Local coordinates: s in [0, 1] from base to apex, w the half-width allowed at s.
        let s: number;
        let off: number;
        if (dir === 0 || dir === 1) {
          s = dir === 0 ? (px - x0) / h : (x0 + h - px) / h;
          off = Math.abs(py - (y0 + b / 2)) / (b / 2);
        } else {
          s = dir === 2 ? (py - y0) / h : (y0 + h - py) / h;
          off = Math.abs(px - (x0 + b / 2)) / (b / 2);
        }
        return s >= 0 && s <= 1 && off <= 1 - s;
      };
    }
    const level = u(0.6, 1);
    const base = k * size * size;
    for (let iy = 0; iy < size; iy++) {
      for (let ix = 0; ix < size; ix++) {
        let hits = 0;
        for (const dy of [0.25, 0.75]) for (const dx of [0.25, 0.75]) if (inside(ix + dx, iy + dy)) hits++;
        x[base + iy * size + ix] = (level * hits) / 4 + noise * gen.normal();
      }
    }
  }
  return { x: fromArray(x, [count, 1, size, size]), y: fromArray(labels, [count], { dtype: 'int32' }), labels, numClasses: 3 };
}

/** Renders one image of `shapes` as text (for a look in the terminal). */
export function asciiImage(images: Tensor, index: number): string {
  const [, , h, w] = images.shape as [number, number, number, number];
  const data = images.dataSync();
  const ramp = ' .:-=+*#%@';
  const rows: string[] = [];
  for (let y = 0; y < h; y++) {
    let line = '';
    for (let x = 0; x < w; x++) {
      const v = Math.min(1, Math.max(0, data[index * h * w + y * w + x]!));
      line += ramp[Math.round(v * (ramp.length - 1))]!.repeat(2);
    }
    rows.push(line);
  }
  return rows.join('\n');
}
