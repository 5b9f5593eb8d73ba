/**
 * The training examples, end to end, at a size that takes seconds on the cpu backend: the proof
 * that autograd (VJP rules, nn layers) and optim train real models. Accuracies are asserted; time is
 * not (speed belongs to bench/), but each run is sized to a few seconds on a 2-core machine.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memory } from '@tessera/tensor';
import { Progress, progressEnabled } from '../packages/autograd/src/progress.js';
import { shapes, twoSpirals } from './data.js';
import { train as trainShapes } from './shapes.js';
import { train as trainSpirals } from './spirals.js';

describe('data', () => {
  it('two spirals: seeded, interleaved classes, coordinates in about [-1, 1]', () => {
    const a = twoSpirals({ pointsPerClass: 20, seed: 5 });
    const b = twoSpirals({ pointsPerClass: 20, seed: 5 });
    expect(a.x.shape).toEqual([40, 2]);
    expect(a.y.dtype).toBe('int32');
    expect([...a.x.dataSync()]).toEqual([...b.x.dataSync()]);
    expect([...a.labels.slice(0, 4)]).toEqual([0, 1, 0, 1]);
    expect(Math.max(...a.x.dataSync().map(Math.abs))).toBeLessThan(1.2);
    for (const d of [a, b]) [d.x, d.y].forEach((t) => t.dispose());
  });

  it('shapes: seeded images [n, 1, s, s] with all three classes', () => {
    const a = shapes({ count: 60, size: 12, seed: 1 });
    const b = shapes({ count: 60, size: 12, seed: 1 });
    const c = shapes({ count: 60, size: 12, seed: 2 });
    expect(a.x.shape).toEqual([60, 1, 12, 12]);
    expect([...a.x.dataSync()]).toEqual([...b.x.dataSync()]);
    expect([...a.x.dataSync()]).not.toEqual([...c.x.dataSync()]);
    expect(new Set(a.labels)).toEqual(new Set([0, 1, 2]));
    for (const d of [a, b, c]) [d.x, d.y].forEach((t) => t.dispose());
  });
});

describe('progress', () => {
  it('is silent when disabled, and under CI or off a TTY by default', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    expect(progressEnabled(stream)).toBe(false);
    const bar = new Progress({ total: 3, stream });
    expect(bar.enabled).toBe(false);
    bar.increment(1, { loss: 0.5 });
    bar.stop();
    expect((stream as unknown as PassThrough).read()).toBeNull();
    const prev = process.env.CI;
    process.env.CI = 'true';
    expect(progressEnabled(Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream)).toBe(false);
    if (prev === undefined) delete process.env.CI;
    else process.env.CI = prev;
  });

  it('draws value, total, rate and metrics when enabled', () => {
    const chunks: string[] = [];
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    stream.on('data', (d: Buffer) => chunks.push(d.toString()));
    const bar = new Progress({ total: 4, stream: stream as unknown as NodeJS.WriteStream, enabled: true, label: 'demo', unit: 'step' });
    bar.update(2, { loss: 0.25 });
    bar.stop();
    const out = chunks.join('');
    expect(out).toContain('demo');
    expect(out).toContain('2/4');
    expect(out).toMatch(/step\/s|s\/step/);
    expect(out).toContain('loss=0.2500');
  });
});

describe('examples', () => {
  it('spirals: an MLP reaches 100% training accuracy', () => {
    const before = memory().numTensors;
    const r = trainSpirals({ pointsPerClass: 50, hidden: 32, steps: 2000, progress: false });
    console.log(`spirals: train ${(100 * r.trainAccuracy).toFixed(1)}% in ${r.steps} steps, ${r.seconds.toFixed(1)} s`);
    expect(r.trainAccuracy).toBe(1);
    expect(memory().numTensors).toBe(before);
  }, 120_000);

  it('shapes: a small CNN reaches > 95% held-out accuracy', () => {
    const before = memory().numTensors;
    const r = trainShapes({ trainSize: 1000, testSize: 300, epochs: 4, batchSize: 16, channels: [4, 8], progress: false });
    console.log(
      `shapes: train ${(100 * r.trainAccuracy).toFixed(1)}%, held-out ${(100 * r.testAccuracy).toFixed(1)}% ` +
        `(EMA ${(100 * r.emaTestAccuracy).toFixed(1)}%) in ${r.steps} steps, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.testAccuracy).toBeGreaterThan(0.95);
    expect(r.emaTestAccuracy).toBeGreaterThan(0.95);
    expect(memory().numTensors).toBe(before);
  }, 180_000);
});
