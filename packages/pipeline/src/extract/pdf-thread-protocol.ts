import type { ExtractedDocument, ExtractionLimits } from './extracted-document.ts';
import type { PageRange, PdfInfo } from './pdf-extract.ts';

/** What the main thread hands to the PDF worker thread (as `workerData`). */
export type PdfThreadRequest =
  | {
      op: 'extract';
      data: Uint8Array;
      limits: ExtractionLimits;
      pageRange: PageRange | undefined;
      images: boolean;
    }
  | { op: 'inspect'; data: Uint8Array; limits: ExtractionLimits };

/** An error crossing the thread boundary: AegisError's code and facts, rebuilt on the other side. */
export interface SerializedError {
  code: string | undefined;
  message: string;
  details: Record<string, unknown> | undefined;
}

/** Messages from the PDF worker thread. `progress` is sent as each page starts, to reset the page timer. */
export type PdfThreadMessage =
  | { type: 'progress'; pageNumber: number }
  | { type: 'result'; value: ExtractedDocument | PdfInfo }
  | { type: 'error'; error: SerializedError };
