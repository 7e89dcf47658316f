import { type ErrorCode, isAegisError } from '@aegis/core';

/**
 * The `aegis` exit codes: scripts branch on these, so they are part of the interface (README lists them and
 * `aegis --help` prints them). Keep numbers stable; add new ones at the end.
 */
export const EXIT = {
  /** Done as asked. */
  OK: 0,
  /** The work ran and failed: a document ended failed or cancelled under `--wait`, `doctor` found a required problem, an internal error. */
  FAILED: 1,
  /** The command line or an input is wrong: unknown command or option, invalid value, invalid configuration. */
  USAGE: 2,
  /** No such document, key or webhook. */
  NOT_FOUND: 3,
  /** The API refused the key: missing, invalid, revoked, or without the role or knowledge base needed. */
  AUTH: 4,
  /** A dependency is down or busy: Postgres, Redis, a store, the remote API, a rate limit. Try again later. */
  UNAVAILABLE: 5,
  /** The document's state refuses the action (e.g. cancel of a final version), or a name fits several documents. */
  CONFLICT: 6,
  /** `--wait` reached its `--timeout`; the work goes on in the background. */
  TIMEOUT: 7,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  VALIDATION_FAILED: EXIT.USAGE,
  CONFIG_INVALID: EXIT.USAGE,
  UNSUPPORTED_TYPE: EXIT.USAGE,
  PAYLOAD_TOO_LARGE: EXIT.USAGE,
  PATH_NOT_ALLOWED: EXIT.USAGE,
  NOT_FOUND: EXIT.NOT_FOUND,
  DOCUMENT_NOT_FOUND: EXIT.NOT_FOUND,
  UNAUTHENTICATED: EXIT.AUTH,
  FORBIDDEN: EXIT.AUTH,
  DOCUMENT_AMBIGUOUS: EXIT.CONFLICT,
  DOCUMENT_FINAL: EXIT.CONFLICT,
  WAIT_TIMEOUT: EXIT.TIMEOUT,
  RATE_LIMITED: EXIT.UNAVAILABLE,
};

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!isAegisError(error)) return EXIT.FAILED;
  const mapped = BY_CODE[error.code];
  if (mapped !== undefined) return mapped;
  return error.category === 'system' && error.retryable ? EXIT.UNAVAILABLE : EXIT.FAILED;
}

/** The table printed at the end of `aegis --help`. */
export function exitCodeHelp(): string {
  const rows: Array<[number, string]> = [
    [EXIT.OK, 'done'],
    [EXIT.FAILED, 'the work failed (a document failed under --wait, doctor found a problem, internal error)'],
    [EXIT.USAGE, 'bad command line, input or configuration'],
    [EXIT.NOT_FOUND, 'no such document, key or webhook'],
    [EXIT.AUTH, 'the API refused the key (missing, invalid, revoked, wrong role or scope)'],
    [EXIT.UNAVAILABLE, 'a dependency is down or busy (Postgres, Redis, stores, the API); try again'],
    [EXIT.CONFLICT, 'the document state refuses it (e.g. cancel of a final version), or a name fits several'],
    [EXIT.TIMEOUT, '--wait reached --timeout (the work goes on)'],
    [EXIT.INTERRUPTED, 'interrupted (Ctrl-C)'],
  ];
  return rows.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n');
}
