/**
 * Every differentiable catalogue op has a rule, and every rule is gradient-checked. The checks run
 * in the family test files (vitest runs each file in its own process): each ends by asserting that
 * `uncheckedRules(family)` is empty, i.e. that every rule its family module declares passed a
 * `checkVjp` there. This file ties the families to the catalogue.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getOp, listOps } from '@tessera/tensor';
import { listVjps } from '../rules.js';
import { familyOf } from './util.js';
import './index.js';

describe('VJP rule coverage', () => {
  it('every differentiable kernel and view op has a rule', () => {
    const missing = listOps()
      .filter((o) => o.differentiable && o.kind !== 'composite')
      .map((o) => o.name)
      .filter((n) => !listVjps().includes(n));
    expect(missing).toEqual([]);
  });

  it('every rule is for a differentiable catalogue op', () => {
    expect(listVjps().filter((n) => !getOp(n)?.differentiable)).toEqual([]);
  });

  it("every rule belongs to a family whose test file asserts that all of the family's rules were checked", () => {
    const problems: string[] = [];
    for (const op of listVjps()) {
      const family = familyOf(op);
      if (!family) {
        problems.push(`${op}: declared without vjpFamily`);
        continue;
      }
      const file = fileURLToPath(new URL(`./${family}.test.ts`, import.meta.url));
      if (!existsSync(file)) problems.push(`${op}: no ${family}.test.ts`);
      else if (!readFileSync(file, 'utf8').includes(`uncheckedRules('${family}')`)) {
        problems.push(`${op}: ${family}.test.ts does not assert uncheckedRules('${family}')`);
      }
    }
    expect(problems).toEqual([]);
  });
});
