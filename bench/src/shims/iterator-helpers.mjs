// @ts-check
/**
 * The ES2025 iterator helpers that jax-js uses (`matchAll(...).map(...).filter(...)` in its einsum
 * parser, reached by `nn.dotProductAttention`): V8 has them from Node 22, Node 20 does not. Only
 * run at trace time, never in a timed call. Installed in jax-js's processes only, and only where
 * missing.
 * @module
 */

export function installIteratorHelpers() {
  const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
  /** @type {Record<string, (this: Iterator<any>, ...args: any[]) => any>} */
  const helpers = {
    *map(/** @type {(v: any, i: number) => any} */ fn) {
      let i = 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) yield fn(v, i++);
    },
    *filter(/** @type {(v: any, i: number) => boolean} */ fn) {
      let i = 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) if (fn(v, i++)) yield v;
    },
    *flatMap(/** @type {(v: any, i: number) => Iterable<any>} */ fn) {
      let i = 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) yield* fn(v, i++);
    },
    toArray() {
      return [.../** @type {any} */ ({ [Symbol.iterator]: () => this })];
    },
    forEach(/** @type {(v: any, i: number) => void} */ fn) {
      let i = 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) fn(v, i++);
    },
    some(/** @type {(v: any, i: number) => boolean} */ fn) {
      let i = 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) if (fn(v, i++)) return true;
      return false;
    },
    every(/** @type {(v: any, i: number) => boolean} */ fn) {
      let i = 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) if (!fn(v, i++)) return false;
      return true;
    },
    find(/** @type {(v: any, i: number) => boolean} */ fn) {
      let i = 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) if (fn(v, i++)) return v;
      return undefined;
    },
    reduce(/** @type {(acc: any, v: any, i: number) => any} */ fn, /** @type {any[]} */ ...init) {
      let i = 0;
      let acc = init[0];
      let first = init.length === 0;
      for (const v of /** @type {any} */ ({ [Symbol.iterator]: () => this })) {
        if (first) {
          acc = v;
          first = false;
        } else acc = fn(acc, v, i);
        i++;
      }
      if (first) throw new TypeError('Reduce of empty iterator with no initial value');
      return acc;
    },
  };
  for (const [name, fn] of Object.entries(helpers)) {
    if (!(name in IteratorPrototype)) Object.defineProperty(IteratorPrototype, name, { value: fn, writable: true, configurable: true });
  }
}
