/**
 * `tessera info`: what this machine offers Tessera: versions, cores, and each backend: cpu
 * (always), wasm (does it load; SIMD flavour, shared memory, threads) and WebGPU (which adapters
 * Dawn or `navigator.gpu` finds: the default one and the two software ones). Probing asks for an
 * adapter only, never a device, so nothing stays busy afterwards.
 * @module
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listBackends } from '@tessera/tensor';
import { type CommandSpec, HELP, formatHelp, parseOptions } from './args.js';
import { ADAPTER_CHOICES } from './backend.js';
import { type CommandContext } from './context.js';

/** `tessera info`. */
export const INFO = {
  name: 'info',
  summary: 'Show versions, cores and the backends this machine can run (wasm, WebGPU adapters).',
  options: {
    adapters: { type: 'string', choices: ['all', 'default', 'none'], default: 'all', help: "WebGPU adapters to probe: Dawn's default and the software ones, the default only, or none" },
    json: { type: 'boolean', help: 'print one JSON object instead of text' },
  },
} as const satisfies CommandSpec;

/** What `tessera info` found. */
export interface MachineInfo {
  /** Package versions by name (`undefined` where it cannot be found). */
  versions: Record<string, string | undefined>;
  /** Node, V8, platform and architecture. */
  runtime: {
    /** `process.versions.node`. */
    node: string;
    /** `process.versions.v8`. */
    v8: string;
    /** `process.platform`. */
    platform: string;
    /** `process.arch`. */
    arch: string;
  };
  /** Cores Node may use (`os.availableParallelism()`). */
  cores: number;
  /** Backends registered in this process after probing. */
  registered: string[];
  /** wasm: whether it loaded, and its build and threads. */
  wasm: WasmProbe;
  /** WebGPU: whether the package loaded, and each adapter probed. */
  webgpu: WebGPUProbe;
}

/** What `tessera info` found of the wasm backend. */
export type WasmProbe =
  | {
      /** It loaded. */
      ok: true;
      /** `'simd'` or `'relaxed'`. */
      flavor: string;
      /** Whether its memory is shared (threads possible). */
      shared: boolean;
      /** Threads in use. */
      threads: number;
    }
  | {
      /** It did not load. */
      ok: false;
      /** The error. */
      reason: string;
    };

/** One WebGPU adapter asked for by `tessera info`. */
export interface AdapterProbe {
  /** `'default'`, `'swiftshader'` or `'llvmpipe'`. */
  name: string;
  /** Whether an adapter was found. */
  ok: boolean;
  /** The adapter, or why there is none. */
  detail: string;
}

/** What `tessera info` found of the WebGPU backend. */
export type WebGPUProbe =
  | {
      /** The package loaded. */
      ok: true;
      /** Each adapter asked for. */
      adapters: AdapterProbe[];
    }
  | {
      /** The package did not load, or was not probed. */
      ok: false;
      /** Why. */
      reason: string;
    };

const PACKAGES = ['@tessera/tensor', '@tessera/autograd', '@tessera/backend-wasm', '@tessera/backend-webgpu'];

async function readJson(path: string): Promise<{ name?: string; version?: string } | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as { name?: string; version?: string };
  } catch {
    return undefined;
  }
}

/** The version of an installed package, found from where its entry resolves. */
async function packageVersion(name: string): Promise<string | undefined> {
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  if (typeof resolve !== 'function') return undefined;
  let dir: string;
  try {
    dir = dirname(fileURLToPath(resolve(name)));
  } catch {
    return undefined;
  }
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const pkg = await readJson(join(dir, 'package.json'));
    if (pkg?.name === name) return pkg.version;
  }
  return undefined;
}

/** The version of `@tessera/models` (this package). */
export async function modelsVersion(): Promise<string | undefined> {
  return (await readJson(fileURLToPath(new URL('../../package.json', import.meta.url))))?.version;
}

/** Probes the machine (loads wasm, asks WebGPU for adapters). */
export async function machineInfo(adapters: 'all' | 'default' | 'none' = 'all'): Promise<MachineInfo> {
  const versions: Record<string, string | undefined> = { '@tessera/models': await modelsVersion() };
  for (const p of PACKAGES) versions[p] = await packageVersion(p);
  let wasm: MachineInfo['wasm'];
  try {
    const w = await import('@tessera/backend-wasm');
    const i = w.wasmInfo();
    wasm = { ok: true, flavor: i.flavor, shared: i.shared, threads: i.threads };
  } catch (e) {
    wasm = { ok: false, reason: (e as Error).message };
  }
  let webgpu: MachineInfo['webgpu'] = { ok: false, reason: 'not probed (--adapters none)' };
  if (adapters !== 'none') {
    try {
      const g = await import('@tessera/backend-webgpu');
      const found: AdapterProbe[] = [];
      for (const name of adapters === 'all' ? ADAPTER_CHOICES : (['default'] as const)) {
        const r = await g.probeWebGPU(name === 'default' ? {} : { adapter: name });
        found.push({ name, ok: r.ok, detail: r.ok ? r.adapter : r.reason });
      }
      webgpu = { ok: true, adapters: found };
    } catch (e) {
      webgpu = { ok: false, reason: (e as Error).message };
    }
  }
  return {
    versions,
    runtime: { node: process.versions.node, v8: process.versions.v8, platform: process.platform, arch: process.arch },
    cores: os.availableParallelism?.() ?? os.cpus().length,
    registered: listBackends(),
    wasm,
    webgpu,
  };
}

/** Runs `tessera info`; returns the exit status. */
export async function infoCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const a = parseOptions(INFO, argv);
  if (a === HELP) {
    ctx.out(formatHelp(INFO));
    return 0;
  }
  const m = await machineInfo(a.adapters);
  if (a.json) {
    ctx.out(JSON.stringify(m, null, 2));
    return 0;
  }
  const v = (name: string): string => m.versions[name] ?? '?';
  ctx.out(`tessera ${v('@tessera/models')} (@tessera/models), node ${m.runtime.node} (V8 ${m.runtime.v8}), ${m.runtime.platform} ${m.runtime.arch}`);
  ctx.out(`packages: ${PACKAGES.map((p) => `${p} ${v(p)}`).join(', ')}`);
  ctx.out(`cores: ${m.cores}`);
  ctx.out('backends:');
  ctx.out('  cpu     available (the reference backend)');
  ctx.out(m.wasm.ok ? `  wasm    available: ${m.wasm.flavor === 'relaxed' ? 'relaxed SIMD' : 'SIMD'}, ${m.wasm.shared ? 'shared memory' : 'no shared memory'}, ${m.wasm.threads} thread${m.wasm.threads === 1 ? '' : 's'}` : `  wasm    unavailable: ${m.wasm.reason}`);
  if (!m.webgpu.ok) ctx.out(`  webgpu  unavailable: ${m.webgpu.reason}`);
  else for (const [i, ad] of m.webgpu.adapters.entries()) ctx.out(`  ${i === 0 ? 'webgpu ' : '       '} ${`${ad.name}:`.padEnd(13)}${ad.ok ? ad.detail : `none (${ad.detail})`}`);
  ctx.out(`registered: ${m.registered.join(', ')}`);
  return 0;
}
