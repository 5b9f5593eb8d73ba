/**
 * ViViT against PyTorch 1.13 on the cpu backend (fixtures from `tools/golden/gen_vivit.py`;
 * the check and its tolerances are in `golden.ts`, shared with the other backends).
 */
import { describe, expect, it } from 'vitest';
import '@tessera/autograd';
import { checkViViTGolden } from './golden.js';

describe('ViViT golden (PyTorch 1.13), cpu', () => {
  it('loads every PyTorch state dict strictly and matches logits, loss and gradients', async () => {
    const report = await checkViViTGolden('cpu');
    const failures = report.failures.map((f) => `${f.case} ${f.what}: ${f.detail ?? ''} (worst ratio ${f.worstRatio})`);
    expect(failures).toEqual([]);
    // Every variant and both embeddings were exercised, and gradients were compared.
    const cases = new Set(report.results.map((r) => r.case));
    expect(cases.size).toBe(9);
    expect(report.results.filter((r) => r.what.startsWith('grad/')).length).toBeGreaterThan(100);
    expect(report.results.some((r) => r.case === 'vivit_factorised_encoder:cls' && r.what === 'grad/to_patch_embedding.1.weight')).toBe(true);
  });
});
