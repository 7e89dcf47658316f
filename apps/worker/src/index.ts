export { prepareEntryPoint } from './entry-point.ts';
export type { WorkerRuntime, WorkerRuntimeOptions } from './runtime.ts';
export { pipelineOptions, startWorkerRuntime } from './runtime.ts';
export { createAppLogger, secretMaskerFor } from './secrets.ts';
export { storesFromConfig } from './stores-from-config.ts';
