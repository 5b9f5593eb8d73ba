import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (p: string): string => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

// Tests run against the TypeScript sources, not dist, so `npm test` needs no build between edits.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tessera\/tensor\/testing$/, replacement: src('tensor/src/testing/index.ts') },
      { find: /^@tessera\/tensor\/node$/, replacement: src('tensor/src/node.ts') },
      { find: /^@tessera\/tensor$/, replacement: src('tensor/src/index.ts') },
      { find: /^@tessera\/autograd\/node$/, replacement: src('autograd/src/node.ts') },
      { find: /^@tessera\/autograd$/, replacement: src('autograd/src/index.ts') },
      { find: /^@tessera\/backend-wasm$/, replacement: src('backend-wasm/src/index.ts') },
      { find: /^@tessera\/backend-webgpu$/, replacement: src('backend-webgpu/src/index.ts') },
      { find: /^@tessera\/models\/cli$/, replacement: src('models/src/cli/index.ts') },
      { find: /^@tessera\/models$/, replacement: src('models/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tools/**/*.test.ts', 'examples/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
