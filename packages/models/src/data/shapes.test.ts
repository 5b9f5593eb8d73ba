import { describe, expect, it } from 'vitest';
import { Generator } from '@tessera/tensor';
import { SHAPE_CLASSES, renderShape, shapeClassNames, shapesBatch } from './shapes.js';

describe('shapes', () => {
  it('draws seeded batches of [n, 3, 16, 16] images in [-1, 1] with int32 labels', () => {
    const a = shapesBatch(32, { generator: new Generator(1) });
    const b = shapesBatch(32, { generator: new Generator(1) });
    expect(a.images.shape).toEqual([32, 3, 16, 16]);
    expect(a.labels.dtype).toBe('int32');
    expect(Array.from(a.images.dataSync())).toEqual(Array.from(b.images.dataSync()));
    const v = a.images.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    const labels = Array.from(a.labels.dataSync());
    expect(new Set(labels)).toEqual(new Set([0, 1, 2, 3]));
    expect(shapesBatch(2, { labels: [5, 7], numClasses: 8 }).labels.dataSync()).toEqual(new Int32Array([5, 7]));
    expect(() => shapesBatch(1, { labels: [4] })).toThrow(/label 4/);
  });

  it('gives each class its shape and colour', () => {
    expect(shapeClassNames(3)).toEqual(['circle', 'square', 'triangle']);
    const mean = (img: Float32Array, c: number): number => img.slice(c * 256, (c + 1) * 256).reduce((s, x) => s + x, 0) / 256;
    // Circle red, square green, triangle blue: the dominant channel is the class colour's.
    for (const [label, channel] of [[0, 0], [1, 1], [2, 2]] as const) {
      const img = renderShape(label);
      const means = [0, 1, 2].map((c) => mean(img, c));
      expect(means.indexOf(Math.max(...means))).toBe(channel);
    }
    // The centre pixel is inside a circle and a ring's hole is not.
    expect(renderShape(0)[8 * 16 + 8]).toBeGreaterThan(0.5);
    expect(renderShape(4)[8 * 16 + 8]).toBeLessThan(-0.5);
    expect(SHAPE_CLASSES.length).toBe(8);
  });
});
