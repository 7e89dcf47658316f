import { defaultSandbox } from '../sandbox/default-sandbox.ts';
import type { SandboxPool } from '../sandbox/sandbox-pool.ts';
import type { ExtractInput } from './detect-kind.ts';
import { structureDocument } from './document-structure.ts';
import type { ExtractedDocument, ExtractionLimits } from './extracted-document.ts';
import { resolveLimits } from './limits.ts';
import type { PageRange, PdfInfo } from './pdf-extract.ts';
import type { OcrSettings } from './pdf-ocr.ts';

/** Options of {@link extractDocument}. */
export interface ExtractOptions {
  /** Overrides of the default limits (40 Mpx images, 30,000 ms per page, 64 images per page). */
  limits?: Partial<ExtractionLimits> | undefined;
  /** 1-based inclusive page range; PDF only (other formats are one page). Default: all pages. */
  pageRange?: PageRange | undefined;
  /**
   * Decode PDF images to PNG (default true). `false` still reports nothing about images: it is text-only
   * extraction, for callers (and benchmarks) that do not need figures.
   */
  images?: boolean | undefined;
  /**
   * The parsing sandbox the work runs in (the worker owns one). Default: a shared sandbox with default limits,
   * created on first use; see `closeDefaultSandbox`.
   */
  sandbox?: SandboxPool | undefined;
  /** Stops the extraction: a queued request is dropped, a running one's process is killed (`CANCELLED`). */
  signal?: AbortSignal | undefined;
  /**
   * How PDF pages without usable text (scans, vector-drawn text, junk) are read. Default: no OCR (library
   * calls); the worker passes its OCR_* settings.
   */
  ocr?: OcrSettings | undefined;
}

/** Options of {@link inspectPdfDocument}. */
export interface InspectOptions {
  /** As {@link ExtractOptions.sandbox}. */
  sandbox?: SandboxPool | undefined;
  /** As {@link ExtractOptions.signal}. */
  signal?: AbortSignal | undefined;
}

/**
 * Extracts text, headings and images of one document (or one PDF page range) in the parsing sandbox: the
 * kind is sniffed from the bytes (see `detectKind`) and its parser runs in a sandbox process (see
 * parse-document.ts), never in the calling process.
 *
 * @throws AegisError `UNSUPPORTED_TYPE`, `PDF_ENCRYPTED`, `PDF_INVALID`, `EMPTY_DOCUMENT`, `IMAGE_INVALID`,
 *   `EXTRACTION_TIMEOUT` (a page or step over `pageTimeoutMs`), `RESOURCE_LIMIT_EXCEEDED` (a bomb: memory,
 *   archive or XML limits), `PARSER_CRASHED`, `VALIDATION_FAILED` (bad page range), `CANCELLED`,
 *   `SANDBOX_UNAVAILABLE` (retryable: no sandbox process could start).
 */
export async function extractDocument(
  input: ExtractInput,
  options: ExtractOptions = {},
): Promise<ExtractedDocument> {
  const limits = resolveLimits(options.limits);
  const doc = await (options.sandbox ?? defaultSandbox()).run(
    'extract',
    {
      data: input.data,
      filename: input.filename,
      mimeType: input.mimeType,
      limits,
      pageRange: options.pageRange,
      images: options.images !== false,
      ocr: options.ocr,
    },
    { stepTimeoutMs: limits.pageTimeoutMs, signal: options.signal },
  );
  // A page range is one part of a document: furniture, heading levels and page joins need every page, so the
  // caller runs `structureDocument` once all ranges are in (the extract stage does). The pass reads parsed
  // blocks only, never document bytes, so it runs here rather than in the sandbox.
  if (doc.kind === 'pdf' && options.pageRange === undefined) structureDocument(doc.pages, doc.outline);
  return doc;
}

/**
 * Page count, title and outline of a PDF without reading page content, to plan page ranges; in the sandbox.
 *
 * @throws AegisError `PDF_ENCRYPTED`, `PDF_INVALID`, `EXTRACTION_TIMEOUT`, `RESOURCE_LIMIT_EXCEEDED`,
 *   `PARSER_CRASHED`, `CANCELLED`, `SANDBOX_UNAVAILABLE`.
 */
export function inspectPdfDocument(
  data: Uint8Array,
  limits?: Partial<ExtractionLimits>,
  options: InspectOptions = {},
): Promise<PdfInfo> {
  const resolved = resolveLimits(limits);
  return (options.sandbox ?? defaultSandbox()).run(
    'inspect-pdf',
    { data, limits: resolved },
    { stepTimeoutMs: resolved.pageTimeoutMs, signal: options.signal },
  );
}
