export { closeDefaultSandbox, defaultSandbox } from './default-sandbox.ts';
export type { ProcessMemory } from './process-memory.ts';
export { readProcessMemory } from './process-memory.ts';
export type {
  InspectPdfRequest,
  SandboxOperation,
  SandboxOperations,
  SandboxRequest,
  SandboxResult,
} from './sandbox-operations.ts';
export type { ResolvedSandboxOptions, SandboxPoolOptions } from './sandbox-options.ts';
export { DEFAULT_SANDBOX_OPTIONS } from './sandbox-options.ts';
export type { SandboxEvent, SandboxPool, SandboxPoolStats, SandboxRunOptions } from './sandbox-pool.ts';
export { createSandboxPool } from './sandbox-pool.ts';
export type { SandboxTaskContext } from './sandbox-task-context.ts';
