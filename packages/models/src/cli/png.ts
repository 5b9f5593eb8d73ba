/**
 * Images out of the command line: a grid of `[n, 3, h, w]` samples in [−1, 1] as RGBA, PNG
 * encoding (pngjs), and atomic file writes (a temp file renamed over the target, so an
 * interrupted run never leaves a truncated file behind).
 * @module
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';

/** RGBA pixels of an image grid. */
export interface RgbaImage {
  /** `width · height · 4` bytes, row-major. */
  rgba: Uint8Array;
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
}

/**
 * RGBA pixels of a grid of `[n, 3, h, w]` images in [−1, 1] (`(v + 1) / 2`, clamped), `cols`
 * per row, each scaled ×`zoom` (nearest neighbour) with `pad` white pixels between them.
 */
export function toRgbaGrid(images: ArrayLike<number>, shape: readonly number[], cols: number, zoom = 4, pad = 2): RgbaImage {
  const [n, c, h, w] = shape as [number, number, number, number];
  if (shape.length !== 4 || c !== 3) throw new RangeError(`toRgbaGrid: images must be [n, 3, h, w], got [${shape.join(', ')}]`);
  const rows = Math.ceil(n / cols);
  const cw = w * zoom + pad;
  const ch = h * zoom + pad;
  const width = cols * cw + pad;
  const height = rows * ch + pad;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  for (let i = 0; i < n; i++) {
    const ox = pad + (i % cols) * cw;
    const oy = pad + Math.floor(i / cols) * ch;
    for (let y = 0; y < h * zoom; y++) {
      for (let x = 0; x < w * zoom; x++) {
        const p = ((oy + y) * width + ox + x) * 4;
        for (let k = 0; k < 3; k++) {
          const v = images[((i * 3 + k) * h + Math.floor(y / zoom)) * w + Math.floor(x / zoom)]!;
          rgba[p + k] = Math.round(255 * Math.min(1, Math.max(0, (v + 1) / 2)));
        }
      }
    }
  }
  return { rgba, width, height };
}

/** PNG bytes of RGBA pixels (pngjs). */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data.set(rgba);
  return PNG.sync.write(png);
}

/** Writes `bytes` to `path` atomically (temp file in the same folder, then rename), creating the folder. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
