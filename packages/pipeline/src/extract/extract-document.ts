import { AegisError } from '@aegis/core';
import { detectKindDetailed, type ExtractInput } from './detect-kind.ts';
import { extractDocx } from './docx-extract.ts';
import type { ExtractedDocument, ExtractionLimits } from './extracted-document.ts';
import { extractHtml } from './html-extract.ts';
import { extractImage } from './image-extract.ts';
import { resolveLimits } from './limits.ts';
import { extractMarkdown } from './markdown-extract.ts';
import type { PageRange, PdfInfo } from './pdf-extract.ts';
import { runPdfThread } from './pdf-thread.ts';
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
  /** Heap limit of the PDF extraction thread, MiB. Default 1024. */
  maxPdfThreadHeapMb?: number | undefined;
}

/**
 * Extracts text, headings and images of one document (or one PDF page range). The kind is sniffed from the
 * bytes (see `detectKind`).
 *
 * @throws AegisError `UNSUPPORTED_TYPE`, `PDF_ENCRYPTED`, `PDF_INVALID`, `EMPTY_DOCUMENT`, `IMAGE_INVALID`,
 *   `EXTRACTION_TIMEOUT`, `VALIDATION_FAILED` (bad page range).
 */
export async function extractDocument(
  input: ExtractInput,
  options: ExtractOptions = {},
): Promise<ExtractedDocument> {
  const limits = resolveLimits(options.limits);
  const detected = detectKindDetailed(input);
  let doc: ExtractedDocument;
  switch (detected.kind) {
    case 'pdf':
      return runPdfThread(
        {
          op: 'extract',
          data: input.data,
          limits,
          pageRange: options.pageRange,
          images: options.images !== false,
        },
        { maxHeapMb: options.maxPdfThreadHeapMb },
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
 * @throws AegisError `PDF_ENCRYPTED`, `PDF_INVALID`, `EXTRACTION_TIMEOUT`.
 */
export function inspectPdfDocument(data: Uint8Array, limits?: Partial<ExtractionLimits>): Promise<PdfInfo> {
  return runPdfThread({ op: 'inspect', data, limits: resolveLimits(limits) });
}
