// The wasm backend against the reference cpu backend on every catalogue op (random shapes with
// size-1 and zero-size dims, broadcasting, transposed/strided/offset inputs), with the kit's
// default tolerances: no per-op override is needed (the SIMD exp/tanh/erf/log are within 3e-7
// relative, see vmath.test.ts). Twice: the default threaded backend, and an unshared-memory,
// single-threaded one (what browsers without COOP/COEP get).
import { describe, it } from 'vitest';
import { registerBackend } from '@tessera/tensor';
import { runConformance } from '@tessera/tensor/testing';
import { createWasmBackend } from './index.js';

runConformance('wasm', { describe, it });

const st = await createWasmBackend({ name: 'wasm-unshared', shared: false });
registerBackend(st.backend);
runConformance('wasm-unshared', { describe, it });
