import { AegisError } from '@aegis/core';
import { cleanExtractedDocument } from './clean-text.ts';
import { detectKindDetailed, type ExtractInput } from './detect-kind.ts';
import { extractDocx } from './docx-extract.ts';
import type { ExtractedDocument, ExtractionLimits } from './extracted-document.ts';
import { extractHtml } from './html-extract.ts';
import { extractImage } from './image-extract.ts';
import { resolveLimits } from './limits.ts';
import { extractMarkdown } from './markdown-extract.ts';
import type { PageRange, PdfInfo } from './pdf-extract.ts';
import { createPdfThreadPool, type PdfThreadPool } from './pdf-thread-pool.ts';
import { decodeText, extractPlainText } from './text-extract.ts';

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
   * Threads that run pdf.js (heap limit, size, idle time are pool options). Default: a pool of one thread
   * shared by every caller that passes none; see {@link closeDefaultPdfThreadPool}.
   */
  pool?: PdfThreadPool | undefined;
  /** Stops the extraction: a queued PDF request is dropped, a running one's thread is terminated (`CANCELLED`). */
  signal?: AbortSignal | undefined;
}

/** Options of {@link inspectPdfDocument}. */
export interface InspectOptions {
  /** As {@link ExtractOptions.pool}. */
  pool?: PdfThreadPool | undefined;
  /** As {@link ExtractOptions.signal}. */
  signal?: AbortSignal | undefined;
}

// The one module-level pool, a deliberate exception to "no module singletons": extraction is called from deep
// inside the stages, which do not carry a pool yet. The worker runtime is to create its own pool and pass it
// through PipelineOptions; until then callers without a pool share this one, created on first use. It holds
// nothing across documents but warm threads, and idle threads neither keep the process alive nor outlive
// their idle timeout, so closing it is optional (tests and shutdown may call closeDefaultPdfThreadPool).
let defaultPool: PdfThreadPool | undefined;

function poolOf(options: { pool?: PdfThreadPool | undefined }): PdfThreadPool {
  if (options.pool !== undefined) return options.pool;
  defaultPool ??= createPdfThreadPool();
  return defaultPool;
}

/** Closes the pool used by calls that pass no `pool` (a later call creates a new one). */
export async function closeDefaultPdfThreadPool(): Promise<void> {
  const pool = defaultPool;
  defaultPool = undefined;
  await pool?.close();
}

/**
 * Extracts text, headings and images of one document (or one PDF page range). The kind is sniffed from the
 * bytes (see `detectKind`).
 *
 * @throws AegisError `UNSUPPORTED_TYPE`, `PDF_ENCRYPTED`, `PDF_INVALID`, `EMPTY_DOCUMENT`, `IMAGE_INVALID`,
 *   `EXTRACTION_TIMEOUT`, `VALIDATION_FAILED` (bad page range), `CANCELLED` (signal, or the pool closed).
 */
export async function extractDocument(
  input: ExtractInput,
  options: ExtractOptions = {},
): Promise<ExtractedDocument> {
  return cleanExtractedDocument(await extractRaw(input, options));
}

async function extractRaw(input: ExtractInput, options: ExtractOptions): Promise<ExtractedDocument> {
  const limits = resolveLimits(options.limits);
  const detected = detectKindDetailed(input);
  let doc: ExtractedDocument;
  switch (detected.kind) {
    case 'pdf':
      return poolOf(options).run(
        {
          op: 'extract',
          data: input.data,
          limits,
          pageRange: options.pageRange,
          images: options.images !== false,
        },
        { signal: options.signal },
      );
    case 'image':
      return extractImage(input.data, detected.imageFormat ?? 'png', limits.maxImagePixels);
    case 'text':
      doc = extractPlainText(input.data);
      break;
    case 'markdown':
      doc = extractMarkdown(input.data);
      break;
    case 'html':
      doc = extractHtml(decodeText(input.data));
      break;
    case 'docx':
      doc = await extractDocx(input.data);
      break;
  }
  if (doc.pages.every((p) => p.paragraphs.length === 0)) {
    throw new AegisError('EMPTY_DOCUMENT', `The ${detected.kind} document contains no text.`, {
      details: { kind: detected.kind },
    });
  }
  return doc;
}

/**
 * Page count, title and outline of a PDF without reading page content, to plan page ranges.
 *
 * @throws AegisError `PDF_ENCRYPTED`, `PDF_INVALID`, `EXTRACTION_TIMEOUT`, `CANCELLED`.
 */
export function inspectPdfDocument(
  data: Uint8Array,
  limits?: Partial<ExtractionLimits>,
  options: InspectOptions = {},
): Promise<PdfInfo> {
  return poolOf(options).run(
    { op: 'inspect', data, limits: resolveLimits(limits) },
    { signal: options.signal },
  );
}
