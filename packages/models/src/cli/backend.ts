/**
 * Choosing the backend a command runs on. Models never import a backend; the command line does,
 * on demand, so that `@tessera/backend-wasm` and `@tessera/backend-webgpu` stay optional: `auto`
 * takes wasm when it loads and falls back to the reference cpu backend (saying so); `webgpu`
 * must be asked for (on a machine without a GPU its software adapters are slower than wasm).
 * @module
 */
import { type Tensor, getBackend, setBackend } from '@tessera/tensor';
import { type OptionSpec } from './args.js';

/** The values of `--backend`. */
export const BACKEND_CHOICES = ['auto', 'cpu', 'wasm', 'webgpu'] as const;

/** A value of `--backend`. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The values of `--adapter` (WebGPU only): Dawn's choice, or one of the two software adapters. */
export const ADAPTER_CHOICES = ['default', 'swiftshader', 'llvmpipe'] as const;

/** The flags every command that computes takes. */
export const BACKEND_OPTIONS = {
  backend: { type: 'string', choices: BACKEND_CHOICES, default: 'auto', help: 'auto: wasm when @tessera/backend-wasm loads, else the reference cpu backend' },
  threads: { type: 'int', min: 1, metavar: 'N', help: 'wasm threads, the caller included (default: the number of cores)' },
  adapter: { type: 'string', choices: ADAPTER_CHOICES, help: "WebGPU adapter (default: Dawn's choice); swiftshader or llvmpipe on a machine without a GPU" },
} as const satisfies Record<string, OptionSpec>;

/** The backend a command runs on; `release()` restores the one active before and frees a WebGPU device. */
export interface ActiveBackend {
  /** `'cpu'`, `'wasm'` or `'webgpu'`. */
  name: string;
  /** One line: the build, threads or adapter. */
  detail: string;
  /** Reverts to the previously active backend; destroys the WebGPU device this call created. */
  release(): void;
}

/** Options of `useBackend`. */
export interface UseBackendOptions {
  /** wasm threads. */
  threads?: number;
  /** WebGPU adapter. */
  adapter?: (typeof ADAPTER_CHOICES)[number];
  /** Where to say that `auto` fell back to cpu. */
  log?: (line: string) => void;
}

/** An error of the environment (a backend that does not load), not of the command line. */
export class BackendUnavailableError extends Error {
  /** `'BackendUnavailableError'`. */
  override name = 'BackendUnavailableError';
}

/** Loads, initialises and activates the chosen backend. */
export async function useBackend(choice: BackendChoice, opts: UseBackendOptions = {}): Promise<ActiveBackend> {
  const previous = getBackend().name;
  const restore = (): void => setBackend(previous);
  if (choice === 'cpu') {
    setBackend('cpu');
    return { name: 'cpu', detail: 'cpu (reference backend)', release: restore };
  }
  if (choice === 'wasm' || choice === 'auto') {
    let wasm: typeof import('@tessera/backend-wasm');
    try {
      wasm = await import('@tessera/backend-wasm');
    } catch (e) {
      const why = `@tessera/backend-wasm did not load (${(e as Error).message})`;
      if (choice === 'wasm') throw new BackendUnavailableError(`--backend wasm: ${why}; install and build it, or run with --backend cpu`);
      opts.log?.(`${why}: running on the reference cpu backend, which is much slower`);
      setBackend('cpu');
      return { name: 'cpu', detail: 'cpu (reference backend; wasm unavailable)', release: restore };
    }
    if (opts.threads !== undefined) wasm.setThreads(opts.threads);
    setBackend('wasm');
    const i = wasm.wasmInfo();
    return { name: 'wasm', detail: `wasm (${i.flavor === 'relaxed' ? 'relaxed SIMD' : 'SIMD'}, ${i.threads} thread${i.threads === 1 ? '' : 's'})`, release: restore };
  }
  let gpu: typeof import('@tessera/backend-webgpu');
  try {
    gpu = await import('@tessera/backend-webgpu');
  } catch (e) {
    throw new BackendUnavailableError(`--backend webgpu: @tessera/backend-webgpu did not load (${(e as Error).message}); install it, or use --backend wasm or cpu`);
  }
  let info: Awaited<ReturnType<typeof gpu.initWebGPU>>;
  try {
    info = await gpu.initWebGPU(opts.adapter && opts.adapter !== 'default' ? { adapter: opts.adapter } : {});
  } catch (e) {
    throw new BackendUnavailableError(`--backend webgpu: ${(e as Error).message}`);
  }
  setBackend('webgpu');
  return {
    name: 'webgpu',
    detail: `webgpu (${info.adapter}${info.cpu ? ', a CPU rasteriser' : ''}, ${info.featureLevel})`,
    release: () => {
      restore();
      gpu.destroyWebGPU();
    },
  };
}

/** Reads one float32 scalar on any backend: synchronously where reads are cheap (cpu, wasm). */
export async function readScalar(t: Tensor): Promise<number> {
  return t.backend.readSync ? t.item() : (await t.data())[0]!;
}
