/**
 * DiT and Gaussian diffusion against PyTorch (tools/golden/gen_dit.py) on the cpu backend. Other
 * backends run the same check with `checkDitGolden('<name>')` (see golden.ts).
 */
import { describe, expect, it } from 'vitest';
import { checkDitGolden } from './golden.js';

describe('DiT golden (PyTorch 1.13)', () => {
  it('matches on cpu', async () => {
    const results = await checkDitGolden('cpu');
    expect(results.length).toBeGreaterThan(40);
    const bad = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail} (worst ratio ${r.worstRatio.toExponential(2)}, tol ${r.tol})`);
    expect(bad, bad.join('\n')).toEqual([]);
  });
});
