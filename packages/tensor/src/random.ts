/**
 * A seedable random generator. Random tensors are drawn on the host and uploaded, so the same seed
 * gives the same numbers on every backend.
 * @module
 */
import { ArgumentError } from './errors.js';

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32: small, fast, good statistics. */
export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  /** @param seed any integer (default 0) */
  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the state from a seed. Returns this generator. */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ArgumentError(`manualSeed: seed must be a finite number, got ${seed}`);
    let x = (Math.trunc(seed) >>> 0) ^ Math.floor(Math.trunc(seed) / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spare = null;
    return this;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits (every value is an exact float32). */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Standard normal, by the Box–Muller transform (pairs are cached). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u1 = this.uniform();
    while (u1 === 0) u1 = this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [low, high). */
  integer(low: number, high: number): number {
    const span = high - low;
    if (span <= 0) throw new ArgumentError(`randint: high ${high} must be greater than low ${low}`);
    if (span > 2 ** 32) throw new ArgumentError(`randint: range [${low}, ${high}) exceeds 2^32`);
    // Rejection sampling removes modulo bias.
    const limit = Math.floor(2 ** 32 / span) * span;
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % span);
  }

  /** The state, for saving; restore with `setState`. */
  getState(): number[] {
    return [...this.s, this.spare === null ? NaN : this.spare];
  }

  /** Restores a state from `getState`. */
  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new ArgumentError('Generator.setState: expected the 5 numbers from getState()');
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! >>> 0;
    this.spare = Number.isNaN(state[4]!) ? null : state[4]!;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator random ops use when none is passed. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator (PyTorch's `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
