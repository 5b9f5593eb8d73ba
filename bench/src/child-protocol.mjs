// @ts-check
/** What main.mjs and child.mjs agree on besides the results JSON. @module */

/** The reason a case carries while it runs: what is left if its process dies in it. */
export const DIED = 'the process died during this case';

/** benchmark.js settings (per benchmark) and the warm-up before it, by mode. */
export const TIMING = {
  full: { minSamples: 10, maxTime: 4, warmupMs: 500 },
  quick: { minSamples: 5, maxTime: 0.5, warmupMs: 150 },
};
