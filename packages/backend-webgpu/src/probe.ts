/**
 * Asking whether an adapter exists without creating a device (a Dawn device keeps a core busy
 * until destroyed): what the test suites use to decide between running and skipping.
 * @module
 */
import { type WebGPUOptions, acquireGPU, describeAdapter, resolveSetup } from './device.js';

/** The answer of {@link probeWebGPU}. */
export type ProbeResult = ProbeFound | ProbeMissing;

/** An adapter was found. */
export interface ProbeFound {
  /** Always true. */
  ok: true;
  /** The adapter, described (vendor, architecture, backend). */
  adapter: string;
}

/** No adapter was found. */
export interface ProbeMissing {
  /** Always false. */
  ok: false;
  /** Why, and with which Dawn flags. */
  reason: string;
}

/**
 * Whether `initWebGPU(options)` would find an adapter: requests one (no device) and describes it,
 * or says why there is none.
 */
export async function probeWebGPU(options: WebGPUOptions = {}): Promise<ProbeResult> {
  try {
    const setup = await resolveSetup(options);
    const { gpu } = await acquireGPU(options, setup);
    const req: GPURequestAdapterOptions = { featureLevel: setup.featureLevel };
    if (options.powerPreference) req.powerPreference = options.powerPreference;
    const adapter = await gpu.requestAdapter(req);
    if (!adapter) return { ok: false, reason: `no adapter for Dawn flags [${setup.dawnFlags.join(', ')}], featureLevel '${setup.featureLevel}'` };
    return { ok: true, adapter: describeAdapter(adapter) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
