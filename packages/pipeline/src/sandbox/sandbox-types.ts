import type { SandboxOperation, SandboxRequest, SandboxResult } from './sandbox-operations.ts';
import type { ResolvedSandboxOptions } from './sandbox-options.ts';

/** Options of one {@link SandboxPool.run}. */
export interface SandboxRunOptions {
  /** Wall-clock limit of each step (the task's first step, then each `context.step`), ms. Default 30,000. */
  stepTimeoutMs?: number | undefined;
  /** Aborting drops a queued task, or kills the process running it (`CANCELLED`). */
  signal?: AbortSignal | undefined;
}

/** Counters of a pool, for tests, metrics and capacity reports. */
export interface SandboxPoolStats {
  processesStarted: number;
  /** Alive now: starting, idle or busy. */
  processesAlive: number;
  /** Killed on a hard failure: a limit (memory, time), a crash, an abort. */
  processesKilled: number;
  /** Retired after heavy use (task count or resident memory over the recycle threshold) or idleness. */
  processesRetired: number;
  tasksRun: number;
  running: number;
  queued: number;
  /** Resident memory of the live sandbox processes and their children (OCR) now, bytes (0 where /proc is missing). */
  rssBytes: number;
  /** Highest resident set any sandbox process of this pool reached, bytes. */
  peakRssBytes: number;
}

/** Something a pool did that an operator or the capacity reporter wants to know at once. */
export type SandboxEvent =
  | { type: 'started'; pid: number; startMs: number; dataLimitBytes: number | undefined }
  | { type: 'exited'; pid: number; reason: 'idle' | 'retired' | 'killed' | 'died' | 'closed'; code?: string };

/**
 * The parsing sandbox: a pool of child processes that run every parser of untrusted bytes (see
 * SandboxOperations in sandbox-operations.ts for the operations and how to add one, and docs/adr for the
 * design). Each process has a V8 heap cap, an RLIMIT_DATA set from its footprint when ready (so native
 * memory, ArrayBuffers and libvips allocations are bounded too), a resident-memory watchdog, a wall-clock
 * timer per step and per task, and is killed on any hard failure, retired after `maxTasksPerProcess` tasks
 * or when a task leaves it above `recycleRssMb`, and ends after `idleTimeoutMs` idle: a process exit is the
 * only way every byte a parser took goes back to the operating system.
 */
export interface SandboxPool {
  /**
   * Runs one operation in a free process or queues it (FIFO). The request is copied to the process.
   *
   * @throws AegisError `RESOURCE_LIMIT_EXCEEDED` (memory), `EXTRACTION_TIMEOUT` (a step or the task over its
   *   limit), `PARSER_CRASHED`, `CANCELLED` (signal or close), `SANDBOX_UNAVAILABLE` (no process could start),
   *   or any code the operation throws.
   */
  run<K extends SandboxOperation>(
    op: K,
    request: SandboxRequest<K>,
    options?: SandboxRunOptions,
  ): Promise<SandboxResult<K>>;
  stats(): SandboxPoolStats;
  /** The limits in force. */
  readonly options: Readonly<ResolvedSandboxOptions>;
  /** Rejects queued and running tasks with `CANCELLED` and ends every process. Idempotent. */
  close(): Promise<void>;
}
