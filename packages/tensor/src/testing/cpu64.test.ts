import { expect, it } from 'vitest';
import * as T from '../index.js';
import { fromFloat64, useCpu64 } from './index.js';

it('cpu64 keeps float64 precision through ops', () => {
  const backend = useCpu64();
  const x = fromFloat64([1, 1e-9], [2]);
  const y = T.add(T.mul(x, 3), x).dataSync();
  expect(y).toBeInstanceOf(Float64Array);
  expect(y[1]).toBe(4e-9);
  // The same sum in float32 loses the small term entirely.
  expect(T.add(T.tensor([1]), T.tensor([1e-9])).dataSync()[0]).toBe(1);
  expect(T.add(fromFloat64([1], [1]), fromFloat64([1e-9], [1])).dataSync()[0]).toBe(1 + 1e-9);
  const s = T.softmax(fromFloat64([0, 1e-8], [1, 2]), 1).dataSync();
  expect(s[1]! - s[0]!).toBeCloseTo(5e-9, 15);
  expect(T.zeros([2], { backend }).dataSync()).toBeInstanceOf(Float64Array);
});
