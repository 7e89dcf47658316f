import { AegisError, ERROR_CODES, type ErrorCode } from '@aegis/core';
import type { SerializedError } from './sandbox-protocol.ts';

const MIB = 1024 * 1024;

/** What the last lines a dying process wrote to stderr say when it ran out of memory (V8, glib, libstdc++). */
const OOM_OUTPUT =
  /heap out of memory|Fatal process out of memory|Reached heap limit|Ineffective mark-compacts|failed to allocate|Cannot allocate memory|std::bad_alloc|out of memory/i;

/** How a sandbox process died while it ran a task, as the pool saw it. */
export interface SandboxDeath {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KiB the process wrote to stderr. */
  stderrTail: string;
  /** The step it was in, e.g. `Page 3`. */
  step: string;
  memoryLimitBytes: number;
  /** Highest resident set the pool saw for the process. */
  peakRssBytes: number;
  /** Whether RLIMIT_DATA was set on the process. */
  dataLimited: boolean;
}

/**
 * Names a death the pool did not cause. Running out of memory (V8's heap cap, an allocation refused by
 * RLIMIT_DATA, the kernel's OOM killer sending SIGKILL) is the document's size or a bomb:
 * RESOURCE_LIMIT_EXCEEDED. Any other death (SIGSEGV or SIGABRT in a native decoder) is PARSER_CRASHED. Both
 * are permanent: the same bytes would end the same way.
 */
export function classifyDeath(death: SandboxDeath): AegisError {
  const how = death.signal === null ? `exit code ${death.exitCode}` : `signal ${death.signal}`;
  const details = {
    step: death.step,
    exitCode: death.exitCode,
    signal: death.signal,
    peakRssBytes: death.peakRssBytes,
    memoryLimitBytes: death.memoryLimitBytes,
  };
  const nearLimit = death.peakRssBytes >= death.memoryLimitBytes * 0.9;
  if (OOM_OUTPUT.test(death.stderrTail) || death.signal === 'SIGKILL' || nearLimit) {
    return new AegisError(
      'RESOURCE_LIMIT_EXCEEDED',
      `Parsing the document ran out of memory at ${death.step.toLowerCase()} (sandbox limit ${Math.round(death.memoryLimitBytes / MIB)} MiB, ${how}); the file is too large to parse or a decompression bomb.`,
      { details },
    );
  }
  return new AegisError(
    'PARSER_CRASHED',
    `The parser crashed at ${death.step.toLowerCase()} (${how}); the file is malformed or hostile. Re-export it and upload again.`,
    { details },
  );
}

/** The memory watchdog saw the process over its cap. */
export function overMemoryLimit(step: string, rssBytes: number, memoryLimitBytes: number): AegisError {
  return new AegisError(
    'RESOURCE_LIMIT_EXCEEDED',
    `Parsing the document used ${Math.round(rssBytes / MIB)} MiB at ${step.toLowerCase()}, over the sandbox limit of ${Math.round(memoryLimitBytes / MIB)} MiB; the file is too large to parse or a decompression bomb.`,
    { details: { step, rssBytes, memoryLimitBytes } },
  );
}

/** A step (or the whole task) over its wall-clock limit. */
export function overTimeLimit(what: string, ms: number, step: string): AegisError {
  return new AegisError('EXTRACTION_TIMEOUT', `${what} took longer than ${ms} ms; parsing was stopped.`, {
    details: { timeoutMs: ms, step },
  });
}

export function cancelled(reason: unknown): AegisError {
  return new AegisError('CANCELLED', 'The parsing was cancelled by its caller.', { cause: reason });
}

export function rebuildError(error: SerializedError): AegisError {
  const code: ErrorCode =
    error.code !== undefined && error.code in ERROR_CODES ? (error.code as ErrorCode) : 'INTERNAL';
  return new AegisError(code, error.message, error.details === undefined ? {} : { details: error.details });
}
