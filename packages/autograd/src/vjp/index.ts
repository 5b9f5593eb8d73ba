/**
 * Registers the VJP rule of every differentiable catalogue op (import for the side effect).
 * One module per family; `util.ts` holds the shared helpers.
 * @module
 */
import './elementwise.js';
import './views.js';
import './reduce.js';
import './linalg.js';
import './nn.js';
import './indexing.js';
import './conv.js';
import './pool.js';
import './interpolate.js';

export { familyOf, rulesOf, sumToShape } from './util.js';
