/**
 * One line of a diagnosis:
 * - `ok`: works.
 * - `fail`: does not work; when `required`, the system cannot do its job (doctor exits 1, /readyz answers 503).
 * - `warn`: works, but something needs attention (an optional task cannot be served, a budget nearly spent).
 * - `skipped`: not checked because what it needs failed (`blockedBy`): one cause, one line.
 */
export type FindingStatus = 'ok' | 'fail' | 'warn' | 'skipped';

export interface Finding {
  /** Stable id: `redis`, `postgres`, `migrations`, `blobs`, `vectors`, `graph`, `task:embedding`, ... */
  id: string;
  /** What people call it: "Redis", "Embedding". */
  name: string;
  status: FindingStatus;
  /** Whether the system needs it to process documents. */
  required: boolean;
  /** What was found, in one line. */
  detail: string;
  /** What to do, for this configuration, when it is not ok. */
  fix?: string | undefined;
  /** For `skipped`: the id of the finding that failed first. */
  blockedBy?: string | undefined;
}

export interface Diagnosis {
  /** No required finding failed. */
  ok: boolean;
  findings: Finding[];
}
