import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxEvent } from './sandbox-types.ts';

/** Options of `createSandboxPool`; every size is per sandbox process. */
export interface SandboxPoolOptions {
  /** Processes at most; more tasks wait in FIFO order. Default 2. */
  size?: number | undefined;
  /**
   * Resident memory one process may reach, MiB: RLIMIT_DATA refuses allocations past it and the watchdog
   * kills a process seen over it (RESOURCE_LIMIT_EXCEEDED). Default 1,024.
   */
  memoryLimitMb?: number | undefined;
  /** V8 old-generation heap cap, MiB; must be below `memoryLimitMb`. Default 3/4 of `memoryLimitMb`. */
  heapLimitMb?: number | undefined;
  /** A process is retired after this many tasks. Default 50. */
  maxTasksPerProcess?: number | undefined;
  /** A process whose resident memory is above this after a task is retired, MiB. Default half `memoryLimitMb`. */
  recycleRssMb?: number | undefined;
  /** An idle process ends after this many ms. Default 5,000. */
  idleTimeoutMs?: number | undefined;
  /**
   * Processes kept started once the pool was first used: exempt from `idleTimeoutMs`, and a retired or killed
   * one is replaced at once in the background, so a document does not wait for a start (0.4–2 s) nor run on
   * cold code. Each holds its resident memory while idle (~150 MiB fresh). Default 0.
   */
  warmProcesses?: number | undefined;
  /**
   * A warm process idle this long holding more than 64 MiB over its fresh footprint is replaced by a fresh one
   * (its memory back to the OS). Default 60,000: documents a minute apart find it warm.
   */
  warmSwollenIdleMs?: number | undefined;
  /** Wall-clock limit of one whole task, ms (each step also has its own). Default 600,000. */
  taskTimeoutMs?: number | undefined;
  /** How long a new process may take to load its parsers, ms. Default 60,000. */
  startTimeoutMs?: number | undefined;
  /** How often the resident memory of busy processes is sampled, ms. Default 25. */
  watchdogIntervalMs?: number | undefined;
  /** V8 compile cache of the processes' code (starts ~2x faster); '' turns it off. Default `<tmp>/aegis-sandbox-cache`. */
  compileCacheDir?: string | undefined;
  /** Environment of the processes (they inherit none, so no secret reaches a parser). Default {}. */
  env?: Record<string, string> | undefined;
  /** Told when a process starts or ends (e.g. to report the memory an exit returned). */
  onEvent?: ((event: SandboxEvent) => void) | undefined;
  /** The process entry; tests replace it. Default sandbox-child.ts. */
  entry?: URL | string | undefined;
}

export interface ResolvedSandboxOptions {
  size: number;
  memoryLimitMb: number;
  heapLimitMb: number;
  maxTasksPerProcess: number;
  recycleRssMb: number;
  idleTimeoutMs: number;
  warmProcesses: number;
  warmSwollenIdleMs: number;
  taskTimeoutMs: number;
  startTimeoutMs: number;
  watchdogIntervalMs: number;
  compileCacheDir: string | undefined;
  env: Record<string, string>;
  onEvent: ((event: SandboxEvent) => void) | undefined;
  entry: URL | string;
}

/** Defaults, and the step limit `run` applies when the caller gives none. */
export const DEFAULT_SANDBOX_OPTIONS = Object.freeze({
  size: 2,
  memoryLimitMb: 1024,
  maxTasksPerProcess: 50,
  idleTimeoutMs: 5_000,
  warmProcesses: 0,
  warmSwollenIdleMs: 60_000,
  taskTimeoutMs: 600_000,
  startTimeoutMs: 60_000,
  watchdogIntervalMs: 25,
  stepTimeoutMs: 30_000,
});

const positive = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;

export function resolveSandboxOptions(options: SandboxPoolOptions): ResolvedSandboxOptions {
  const d = DEFAULT_SANDBOX_OPTIONS;
  const memoryLimitMb = Math.floor(positive(options.memoryLimitMb, d.memoryLimitMb));
  const heapLimitMb = Math.floor(
    Math.min(positive(options.heapLimitMb, memoryLimitMb * 0.75), memoryLimitMb),
  );
  return {
    size: Math.max(1, Math.floor(positive(options.size, d.size))),
    memoryLimitMb,
    heapLimitMb,
    maxTasksPerProcess: Math.max(1, Math.floor(positive(options.maxTasksPerProcess, d.maxTasksPerProcess))),
    recycleRssMb: Math.min(positive(options.recycleRssMb, memoryLimitMb / 2), memoryLimitMb),
    idleTimeoutMs: positive(options.idleTimeoutMs, d.idleTimeoutMs),
    warmSwollenIdleMs: positive(options.warmSwollenIdleMs, d.warmSwollenIdleMs),
    warmProcesses: Math.min(
      Math.max(0, Math.floor(options.warmProcesses ?? d.warmProcesses)),
      Math.max(1, Math.floor(positive(options.size, d.size))),
    ),
    taskTimeoutMs: positive(options.taskTimeoutMs, d.taskTimeoutMs),
    startTimeoutMs: positive(options.startTimeoutMs, d.startTimeoutMs),
    watchdogIntervalMs: positive(options.watchdogIntervalMs, d.watchdogIntervalMs),
    compileCacheDir:
      options.compileCacheDir === ''
        ? undefined
        : (options.compileCacheDir ?? join(tmpdir(), 'aegis-sandbox-cache')),
    env: { ...options.env },
    onEvent: options.onEvent,
    entry: options.entry ?? new URL('./sandbox-child.ts', import.meta.url),
  };
}
