// @ts-check
/**
 * The implementations and settings timed, one process each (see child.mjs for why).
 * @module
 */

/**
 * @typedef {{
 *   id: string,                      // stable id, matched by --configs
 *   library: string,                 // display name of the library
 *   label: string,                   // display name of this configuration
 *   impl: 'tessera' | 'tfjs' | 'ort' | 'jax',
 *   backend: 'cpu' | 'wasm' | 'native' | 'webgpu',
 *   threads: number,
 *   tessera?: boolean,               // one of ours: gets a ratio to every peer
 *   webgpu?: boolean,                // needs --webgpu
 *   adapter?: import('./webgpu.mjs').AdapterKind,
 * }} Config
 */

/** @type {Config[]} */
export const CONFIGS = [
  { id: 'tessera-cpu', library: 'Tessera', label: 'Tessera cpu', impl: 'tessera', backend: 'cpu', threads: 1, tessera: true },
  { id: 'tessera-wasm-1t', library: 'Tessera', label: 'Tessera wasm 1t', impl: 'tessera', backend: 'wasm', threads: 1, tessera: true },
  { id: 'tessera-wasm-2t', library: 'Tessera', label: 'Tessera wasm 2t', impl: 'tessera', backend: 'wasm', threads: 2, tessera: true },
  { id: 'tfjs-wasm-1t', library: 'tfjs-backend-wasm', label: 'tfjs wasm 1t', impl: 'tfjs', backend: 'wasm', threads: 1 },
  { id: 'tfjs-wasm-2t', library: 'tfjs-backend-wasm', label: 'tfjs wasm 2t', impl: 'tfjs', backend: 'wasm', threads: 2 },
  { id: 'ort-web-1t', library: 'onnxruntime-web', label: 'ort-web 1t', impl: 'ort', backend: 'wasm', threads: 1 },
  { id: 'ort-web-2t', library: 'onnxruntime-web', label: 'ort-web 2t', impl: 'ort', backend: 'wasm', threads: 2 },
  { id: 'ort-node-1t', library: 'onnxruntime-node', label: 'ort-node 1t', impl: 'ort', backend: 'native', threads: 1 },
  { id: 'ort-node-2t', library: 'onnxruntime-node', label: 'ort-node 2t', impl: 'ort', backend: 'native', threads: 2 },
  { id: 'jax-wasm-1t', library: 'jax-js', label: 'jax-js wasm 1t', impl: 'jax', backend: 'wasm', threads: 1 },
  { id: 'jax-wasm-2t', library: 'jax-js', label: 'jax-js wasm 2w', impl: 'jax', backend: 'wasm', threads: 2 },
  { id: 'tessera-webgpu', library: 'Tessera', label: 'Tessera webgpu', impl: 'tessera', backend: 'webgpu', threads: 1, tessera: true, webgpu: true },
  { id: 'tfjs-webgpu', library: 'tfjs-backend-webgpu', label: 'tfjs webgpu', impl: 'tfjs', backend: 'webgpu', threads: 1, webgpu: true },
  { id: 'jax-webgpu', library: 'jax-js', label: 'jax-js webgpu', impl: 'jax', backend: 'webgpu', threads: 1, webgpu: true },
];

/**
 * @param {{ configs?: string, webgpu?: import('./webgpu.mjs').AdapterKind | null }} opts
 * @returns {Config[]}
 */
export function selectConfigs(opts) {
  const res = opts.configs ? opts.configs.split(',').map((p) => new RegExp(p.trim(), 'i')) : null;
  return CONFIGS.filter((c) => (!c.webgpu || !!opts.webgpu) && (!res || res.some((re) => re.test(c.id))))
    .map((c) => (c.webgpu && opts.webgpu ? { ...c, adapter: opts.webgpu } : c));
}
