import { describe, expect, it } from 'vitest';
import { MOTION_DIRECTIONS, motionStats, motionVideos } from './motion.js';

/** Intensity-weighted centre (x, y) of one frame plane. */
function centroid(data: Float32Array, offset: number, size: number): [number, number] {
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const v = data[offset + r * size + c]!;
      m += v;
      cx += v * (c + 0.5);
      cy += v * (r + 0.5);
    }
  }
  return [cx / m, cy / m];
}

describe('motionVideos', () => {
  it('has the documented shapes, dtypes and balanced labels', () => {
    const ds = motionVideos({ n: 20, seed: 1 });
    expect(ds.x.shape).toEqual([20, 8, 1, 32, 32]);
    expect(ds.x.dtype).toBe('float32');
    expect(ds.y.shape).toEqual([20]);
    expect(ds.y.dtype).toBe('int32');
    expect(ds.numClasses).toBe(8);
    expect(ds.classNames).toEqual(MOTION_DIRECTIONS);
    expect([...ds.labels]).toEqual([...ds.y.dataSync()]);
    expect([...ds.labels.slice(0, 10)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1]);
    const rgb = motionVideos({ n: 3, channels: 3, frames: 4, size: 16, speed: [0.5, 1] });
    expect(rgb.x.shape).toEqual([3, 4, 3, 16, 16]);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = motionVideos({ n: 4, seed: 7 }).x.dataSync();
    const b = motionVideos({ n: 4, seed: 7 }).x.dataSync();
    const c = motionVideos({ n: 4, seed: 8 }).x.dataSync();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('moves the square in the labelled direction, inside the frame, at the drawn speed', () => {
    const size = 32;
    const frames = 8;
    const ds = motionVideos({ n: 64, noise: 0, distractors: 0, seed: 3 });
    const x = ds.x.dataSync() as Float32Array;
    for (let i = 0; i < 64; i++) {
      const first = centroid(x, i * frames * size * size, size);
      const last = centroid(x, (i * frames + frames - 1) * size * size, size);
      const dx = last[0] - first[0];
      const dy = first[1] - last[1]; // up is positive
      const angle = Math.atan2(dy, dx);
      const expected = (ds.labels[i]! * Math.PI) / 4;
      const diff = Math.abs(Math.atan2(Math.sin(angle - expected), Math.cos(angle - expected)));
      expect(diff, `clip ${i}`).toBeLessThan(1e-2); // float32 pixels
      const speed = Math.hypot(dx, dy) / (frames - 1);
      expect(speed).toBeGreaterThanOrEqual(1 - 1e-3);
      expect(speed).toBeLessThanOrEqual(2.5 + 1e-3);
    }
    // Every frame holds the whole square: the mass (side² · brightness) is the same in each.
    for (let f = 1; f < frames; f++) {
      let m0 = 0;
      let mf = 0;
      for (let k = 0; k < size * size; k++) {
        m0 += x[k]!;
        mf += x[f * size * size + k]!;
      }
      expect(mf).toBeCloseTo(m0, 3);
    }
  });

  it('adds distractors and noise', () => {
    const clean = motionVideos({ n: 2, noise: 0, distractors: 0, seed: 5 }).x.dataSync();
    const busy = motionVideos({ n: 2, noise: 0, distractors: 3, seed: 5 }).x.dataSync();
    const noisy = motionVideos({ n: 2, noise: 0.1, distractors: 0, seed: 5 }).x.dataSync();
    const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0);
    expect(sum(busy)).toBeGreaterThan(sum(clean));
    let sq = 0;
    for (let i = 0; i < clean.length; i++) sq += (noisy[i]! - clean[i]!) ** 2;
    expect(Math.sqrt(sq / clean.length)).toBeGreaterThan(0.05);
  });

  it('rejects options that do not fit, naming the values', () => {
    expect(() => motionVideos({ size: 16, speed: [1, 3] })).toThrow(/side 7 moving 3 px\/frame for 8 frames travels 21 px and does not fit in 16 px/);
    expect(() => motionVideos({ n: -1 })).toThrow(/n must be an integer >= 0, got -1/);
    expect(() => motionVideos({ squareSize: [5, 2] })).toThrow(/squareSize must be \[min, max\]/);
    expect(() => motionVideos({ noise: -1 })).toThrow(/noise must be >= 0/);
  });
});

describe('motionStats', () => {
  it('gives the mean and standard deviation of the pixels', () => {
    const opts = { frames: 2, size: 8, squareSize: [2, 3] as [number, number], speed: [0.5, 1] as [number, number], seed: 4 };
    const { mean, std } = motionStats(opts, 16);
    const x = Array.from(motionVideos({ ...opts, n: 16 }).x.dataSync());
    const m = x.reduce((s, v) => s + v, 0) / x.length;
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(m, 6);
    expect(std).toBeCloseTo(sd, 6);
  });
});
