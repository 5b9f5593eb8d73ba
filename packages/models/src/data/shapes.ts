/**
 * A synthetic class-conditional image set for diffusion smoke tests: one coloured shape per image
 * on a dark background, the class fixing the shape and its colour (circle red, square green,
 * triangle blue, …), with seeded jitter of position, size and brightness. Rendered in code at
 * 16×16 (any size works) with 4×4 supersampling, values in [−1, 1] like DiT's normalised images.
 *
 * ```ts
 * const { images, labels } = shapesBatch(64, { numClasses: 4, generator: new Generator(0) });
 * // images [64, 3, 16, 16] float32 in [-1, 1], labels [64] int32
 * ```
 * @module
 */
import { ArgumentError, type Generator, type Tensor, defaultGenerator, tensor } from '@tessera/tensor';

/** A class of the set: a shape and its colour. */
export interface ShapeClass {
  /** The shape's name. */
  readonly name: string;
  /** RGB in [0, 1]. */
  readonly color: readonly [number, number, number];
  /** Whether a point (u, v), in units of the shape's radius from its centre, is inside. */
  readonly inside: (u: number, v: number) => boolean;
}

/** The classes, in label order. */
export const SHAPE_CLASSES: readonly ShapeClass[] = Object.freeze([
  { name: 'circle', color: [0.95, 0.2, 0.2], inside: (u, v) => u * u + v * v <= 1 },
  { name: 'square', color: [0.2, 0.9, 0.3], inside: (u, v) => Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8 },
  { name: 'triangle', color: [0.25, 0.4, 1.0], inside: (u, v) => v <= 0.8 && v >= -0.9 + 2 * Math.abs(u) * 0.95 },
  { name: 'cross', color: [1.0, 0.85, 0.15], inside: (u, v) => (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1) },
  { name: 'ring', color: [0.9, 0.3, 0.95], inside: (u, v) => u * u + v * v <= 1 && u * u + v * v >= 0.4 },
  { name: 'diamond', color: [0.2, 0.9, 0.95], inside: (u, v) => Math.abs(u) + Math.abs(v) <= 1 },
  { name: 'hbar', color: [1.0, 0.55, 0.1], inside: (u, v) => Math.abs(u) <= 1 && Math.abs(v) <= 0.35 },
  { name: 'vbar', color: [0.95, 0.95, 0.95], inside: (u, v) => Math.abs(v) <= 1 && Math.abs(u) <= 0.35 },
] satisfies ShapeClass[]);

/** Options of `renderShape`. */
export interface ShapePlacement {
  /** Centre, in pixels (default the image centre). */
  cx?: number;
  /** Centre, in pixels. */
  cy?: number;
  /** Radius, in pixels (default 0.3·size). */
  radius?: number;
  /** Colour multiplier (default 1). */
  brightness?: number;
}

const BACKGROUND = [0.05, 0.05, 0.08] as const;
const SUPERSAMPLE = 4;

/** One image `[3, size, size]` (channel-major) of class `label`, values in [−1, 1]. */
export function renderShape(label: number, size = 16, place: ShapePlacement = {}): Float32Array {
  const cls = SHAPE_CLASSES[label];
  if (!cls) throw new ArgumentError(`renderShape: label ${label} is not in [0, ${SHAPE_CLASSES.length})`);
  const cx = place.cx ?? size / 2;
  const cy = place.cy ?? size / 2;
  const r = place.radius ?? 0.3 * size;
  const b = place.brightness ?? 1;
  const out = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let cover = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const u = (x + (sx + 0.5) / SUPERSAMPLE - cx) / r;
          const v = (y + (sy + 0.5) / SUPERSAMPLE - cy) / r;
          if (cls.inside(u, v)) cover++;
        }
      }
      const a = cover / (SUPERSAMPLE * SUPERSAMPLE);
      for (let c = 0; c < 3; c++) {
        const value = (1 - a) * BACKGROUND[c]! + a * Math.min(1, cls.color[c]! * b);
        out[(c * size + y) * size + x] = value * 2 - 1;
      }
    }
  }
  return out;
}

/** Options of `shapesBatch`. */
export interface ShapesOptions {
  /** Image side (default 16). */
  size?: number;
  /** Number of classes used, 1 … 8 (default 4). */
  numClasses?: number;
  /** The labels to draw (default: uniform over `numClasses`). */
  labels?: readonly number[];
  /** Random source for labels and jitter (default: the global generator). */
  generator?: Generator;
  /** Jitter of position (±15% of the size), radius (±20%) and brightness (default true). */
  jitter?: boolean;
  /** Backend for the tensors (default: the active one). */
  backend?: string;
}

/** A batch of the shapes set. */
export interface ShapesBatch {
  /** Images `[n, 3, size, size]` in [−1, 1]. */
  images: Tensor;
  /** int32 class labels `[n]`. */
  labels: Tensor;
}

/** A batch: `images [n, 3, size, size]` in [−1, 1] and `labels [n]` int32. */
export function shapesBatch(n: number, opts: ShapesOptions = {}): ShapesBatch {
  const size = opts.size ?? 16;
  const K = opts.numClasses ?? 4;
  if (!Number.isInteger(K) || K < 1 || K > SHAPE_CLASSES.length) throw new ArgumentError(`shapesBatch: numClasses must be in 1…${SHAPE_CLASSES.length}, got ${K}`);
  if (opts.labels && opts.labels.length !== n) throw new ArgumentError(`shapesBatch: ${opts.labels.length} labels for ${n} images`);
  const g = opts.generator ?? defaultGenerator;
  const jitter = opts.jitter ?? true;
  const labels = new Int32Array(n);
  const images = new Float32Array(n * 3 * size * size);
  for (let i = 0; i < n; i++) {
    const label = opts.labels ? opts.labels[i]! : g.integer(0, K);
    if (!(label >= 0 && label < K)) throw new ArgumentError(`shapesBatch: label ${label} is not in [0, ${K})`);
    labels[i] = label;
    const j = (spread: number): number => (jitter ? (g.uniform() * 2 - 1) * spread : 0);
    const place: ShapePlacement = {
      cx: size / 2 + j(0.15 * size),
      cy: size / 2 + j(0.15 * size),
      radius: 0.3 * size * (1 + j(0.2)),
      brightness: 1 + j(0.15),
    };
    images.set(renderShape(label, size, place), i * 3 * size * size);
  }
  const backend = opts.backend;
  return { images: tensor(images, { shape: [n, 3, size, size], backend }), labels: tensor(labels, { backend }) };
}

/** The class names, in label order, for `numClasses` classes. */
export function shapeClassNames(numClasses = 4): string[] {
  return SHAPE_CLASSES.slice(0, numClasses).map((c) => c.name);
}

