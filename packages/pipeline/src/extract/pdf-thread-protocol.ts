import type { ExtractedDocument, ExtractionLimits } from './extracted-document.ts';
import type { PageRange, PdfInfo } from './pdf-extract.ts';

/** One piece of PDF work for a pool thread. */
export type PdfThreadRequest = PdfExtractRequest | PdfInspectRequest;

/** Extract text (and images unless `images` is false) of `pageRange`, or of every page. */
export interface PdfExtractRequest {
  op: 'extract';
  data: Uint8Array;
  limits: ExtractionLimits;
  pageRange: PageRange | undefined;
  images: boolean;
}

/** Page count, title and outline only. */
export interface PdfInspectRequest {
  op: 'inspect';
  data: Uint8Array;
  limits: ExtractionLimits;
}

/** Main thread -> pool thread: one task at a time per thread; `id` tags every reply. */
export interface PdfThreadTask {
  type: 'task';
  id: number;
  request: PdfThreadRequest;
}

/** An error crossing the thread boundary: AegisError's code and facts, rebuilt on the other side. */
export interface SerializedError {
  code: string | undefined;
  message: string;
  details: Record<string, unknown> | undefined;
}

/**
 * Pool thread -> main thread, tagged with the task's id. `progress` is sent as each page starts, to reset the
 * page timer; `result` or `error` ends the task.
 */
export type PdfThreadMessage =
  | { type: 'progress'; id: number; pageNumber: number }
  | { type: 'result'; id: number; value: ExtractedDocument | PdfInfo }
  | { type: 'error'; id: number; error: SerializedError };
