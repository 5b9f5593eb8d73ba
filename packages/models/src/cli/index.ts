/**
 * `@tessera/models/cli`: the `tessera` command line (`main`) and the loops behind it, for Node:
 * DiT training and sampling on the shapes set, ViViT training on the motion set, PNG grids and
 * checkpoint metadata. Kept out of the main entry, which loads in browsers.
 *
 * ```ts
 * import { main } from '@tessera/models/cli';
 * const status = await main(['dit', 'train', '--steps', '300', '--out', 'dit.safetensors']);
 * ```
 * @module
 */
export { main, type MainOptions } from './main.js';
export { type CliIO, type CommandContext } from './context.js';
export { UsageError, type CommandSpec, type OptionSpec, HELP, formatHelp } from './args.js';
export { ADAPTER_CHOICES, type ActiveBackend, type BackendChoice, BACKEND_CHOICES, BackendUnavailableError, type UseBackendOptions, useBackend } from './backend.js';
export { type DitTrainOptions, type DitTrainResult, type SampleGridOptions, ditTrainConfig, sampleGrid, trainDiT } from './dit.js';
export { type MotionCheckpointConfig, type MotionTrainOptions, type MotionTrainResult, heldOutAccuracy, trainMotion } from './vivit.js';
export { type AdapterProbe, type MachineInfo, type WasmProbe, type WebGPUProbe, machineInfo, modelsVersion } from './info.js';
export { type RgbaImage, encodePng, toRgbaGrid, writeFileAtomic } from './png.js';
export { type ModelConfig, readModelConfig, readSafetensorsMetadata } from './checkpoint.js';
