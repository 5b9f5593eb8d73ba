/**
 * Finding, choosing and compiling the kernel module.
 *
 * Two builds ship in `dist/wasm/`: `tessera-simd.wasm` (SIMD128) and `tessera-relaxed.wasm`
 * (SIMD128 + relaxed SIMD: fused multiply-add micro-kernels). A module that uses relaxed SIMD does
 * not even compile on engines without it (Node 20), so the choice is made before loading, by
 * validating a 36-byte probe that uses one relaxed instruction. Both builds import a shared
 * memory; where SharedArrayBuffer is unavailable (a browser page without COOP/COEP headers) the
 * memory import is rewritten to an unshared one and the backend runs on one thread.
 *
 * The files are found next to this module (`new URL('./wasm/…', import.meta.url)`), which Node
 * reads with `fs` and browsers `fetch`, so no bundler plugin is needed; when running from the
 * TypeScript sources (tests), `../dist/wasm/` is tried too.
 * @module
 */
import { BackendError } from '@tessera/tensor';

/** Which build to load. */
export type WasmFlavor = 'simd' | 'relaxed';

/** i8x16.splat(1), i8x16.splat(2), i8x16.relaxed_swizzle: valid only where relaxed SIMD is supported. */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);

/** Whether this engine has relaxed SIMD (Node 22+, Chrome 114+; not Node 20). */
export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** Whether SharedArrayBuffer (and so a shared WebAssembly.Memory and threads) is available. */
export function hasSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  // A browser page that is not cross-origin isolated cannot send shared memory to workers.
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** Whether we run under Node (rather than a browser or worker). */
export const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * Where each build lives. Written as literal `new URL('./wasm/…', import.meta.url)` expressions so
 * that bundlers which understand that pattern (Vite, webpack 5, esbuild with a plugin) can emit
 * the files as assets; the second URL serves runs from the TypeScript sources (tests).
 */
function wasmUrls(flavor: WasmFlavor): URL[] {
  return flavor === 'relaxed'
    ? [new URL('./wasm/tessera-relaxed.wasm', import.meta.url), new URL('../dist/wasm/tessera-relaxed.wasm', import.meta.url)]
    : [new URL('./wasm/tessera-simd.wasm', import.meta.url), new URL('../dist/wasm/tessera-simd.wasm', import.meta.url)];
}

/** Reads the bytes of a build: `fs` in Node, `fetch` elsewhere. */
export async function readWasm(flavor: WasmFlavor): Promise<Uint8Array> {
  const candidates = wasmUrls(flavor);
  if (isNode) {
    const fs = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    for (const url of candidates) {
      const path = fileURLToPath(url);
      if (fs.existsSync(path)) return new Uint8Array(fs.readFileSync(path));
    }
    throw new BackendError(
      `@tessera/backend-wasm: tessera-${flavor}.wasm not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(' and ')}); build it with 'npm run build:wasm -w @tessera/backend-wasm'`,
    );
  }
  const res = await fetch(candidates[0]!);
  if (!res.ok) throw new BackendError(`@tessera/backend-wasm: fetching ${candidates[0]!.href} failed: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function readLeb(bytes: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result, pos];
  }
}

/**
 * A copy of `bytes` whose imported memory is not shared (limits flag 0x03 -> 0x01), for engines
 * without SharedArrayBuffer. Only the import section's memory entry changes.
 */
export function unshareMemoryImport(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  let pos = 8;
  while (pos < out.length) {
    const id = out[pos++]!;
    const [size, body] = readLeb(out, pos);
    if (id === 2) {
      let p = body;
      let count: number;
      [count, p] = readLeb(out, p);
      for (let i = 0; i < count; i++) {
        let len: number;
        [len, p] = readLeb(out, p); // module name
        p += len;
        [len, p] = readLeb(out, p); // field name
        p += len;
        const kind = out[p++]!;
        if (kind === 0) [, p] = readLeb(out, p); // function: type index
        else if (kind === 1 || kind === 2) {
          if (kind === 1) p++; // table: element type
          const flags = out[p]!;
          if (kind === 2 && (flags & 2) !== 0) out[p] = flags & ~2;
          p++;
          [, p] = readLeb(out, p); // minimum
          if (flags & 1) [, p] = readLeb(out, p); // maximum
        } else if (kind === 3) p += 2; // global: value type, mutability
        else throw new BackendError(`@tessera/backend-wasm: unexpected import kind ${kind} in the kernel module`);
      }
      return out;
    }
    pos = body + size;
  }
  return out;
}

/** The compiled kernel module and what was chosen. */
export interface LoadedModule {
  module: WebAssembly.Module;
  flavor: WasmFlavor;
  shared: boolean;
}

/** Picks the build for this engine, reads and compiles it. */
export async function loadModule(opts: { flavor?: WasmFlavor; shared?: boolean } = {}): Promise<LoadedModule> {
  const flavor: WasmFlavor = opts.flavor ?? (hasRelaxedSimd() ? 'relaxed' : 'simd');
  const shared = opts.shared ?? hasSharedMemory();
  let bytes = await readWasm(flavor);
  if (!shared) bytes = unshareMemoryImport(bytes);
  const module = await WebAssembly.compile(bytes as BufferSource);
  return { module, flavor, shared };
}
