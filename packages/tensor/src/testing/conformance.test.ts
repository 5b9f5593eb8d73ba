// The cpu backend against itself: reference inputs are contiguous, the tested ones are transposed,
// strided and offset views, so this checks every kernel's handling of layouts and every op's shapes.
import { describe, it } from 'vitest';
import '../index.js';
import { runConformance } from './index.js';

runConformance('cpu', { describe, it });
