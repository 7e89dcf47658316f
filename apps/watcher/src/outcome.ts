import type { VersionStatus } from '@aegis/core';

/** Where a file goes once its version is final: `processed/` or `failed/`. */
export type Outcome = 'processed' | 'failed';

/** What `<name>.error.json` beside a file in `failed/` says. */
export interface ErrorReport {
  /** Null when the file never became a document (for example an unsupported type). */
  documentId: string | null;
  version: number | null;
  code: string;
  message: string;
  /** For a refused entry (`PATH_NOT_ALLOWED`): symlink, hard-link, not-a-regular-file, outside-root. */
  reason?: string | undefined;
  /** ISO 8601 time the file was moved. */
  at: string;
}

/**
 * The outcome of a version status, or `undefined` while work is still pending. `superseded` counts as
 * processed: a newer version of the same source completed, so nothing is left to do for this file.
 */
export function outcomeOf(status: VersionStatus): Outcome | undefined {
  switch (status) {
    case 'completed':
    case 'completed_with_warnings':
    case 'superseded':
      return 'processed';
    case 'failed':
    case 'cancelled':
      return 'failed';
    default:
      return undefined;
  }
}

/** The error report of a failed or cancelled version, from what Postgres recorded about it. */
export function versionErrorReport(
  record: {
    documentId: string;
    version: number;
    status: VersionStatus;
    errorCode: string | null;
    errorMessage: string | null;
  },
  at: Date,
): ErrorReport {
  const cancelled = record.status === 'cancelled';
  return {
    documentId: record.documentId,
    version: record.version,
    code: record.errorCode ?? (cancelled ? 'DOCUMENT_CANCELLED' : 'INTERNAL'),
    message:
      record.errorMessage ??
      (cancelled ? 'the document was cancelled before it completed' : `the document ended ${record.status}`),
    at: at.toISOString(),
  };
}
