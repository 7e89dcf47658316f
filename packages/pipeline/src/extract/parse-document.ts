// Runs INSIDE a sandbox process (see ../sandbox/sandbox-operations.ts): nothing here may be imported by code
// that runs in the worker itself, because these modules parse untrusted bytes.
import { AegisError } from '@aegis/core';
import type { SandboxTaskContext } from '../sandbox/sandbox-task-context.ts';
import { cleanExtractedDocument } from './clean-text.ts';
import { extractCsv } from './csv-extract.ts';
import { type DetectedKind, detectKindDetailed } from './detect-kind.ts';
import { extractDocx } from './docx-extract.ts';
import { extractEpub } from './epub-extract.ts';
import type { ExtractedDocument, ExtractionLimits, SourceKind } from './extracted-document.ts';
import { extractHtml } from './html-extract.ts';
import { extractImage } from './image-extract.ts';
import { extractMarkdown } from './markdown-extract.ts';
import { extractPdf, type PageRange } from './pdf-extract.ts';
import type { OcrSettings } from './pdf-ocr.ts';
import { extractPptx } from './pptx-extract.ts';
import { decodeText, extractPlainText } from './text-extract.ts';
import { extractXlsx } from './xlsx-extract.ts';

/** What the `extract` sandbox operation receives: the bytes, the caller's hints and the limits. */
export interface ParseRequest {
  data: Uint8Array;
  filename: string | undefined;
  mimeType: string | undefined;
  limits: ExtractionLimits;
  /** PDF only; other formats are one page. */
  pageRange: PageRange | undefined;
  /** Decode PDF images (false: text only). */
  images: boolean;
  /** How PDF pages without usable text are read; undefined = no OCR. */
  ocr?: OcrSettings | undefined;
}

/** One format's parser. `context.step` names long steps (a page, a sheet) and restarts their timer. */
export type DocumentParser = (
  request: ParseRequest,
  detected: DetectedKind,
  context: SandboxTaskContext,
) => Promise<ExtractedDocument>;

/**
 * The parser of every format, by the kind `detectKindDetailed` sniffs. This table is the registration point
 * for a new format: add its kind to `SourceKind` and to detect-kind.ts, and its parser here. It then runs in
 * the sandbox like every other (own process, heap and memory cap, wall-clock limit per step); nothing else
 * is needed. An archive format (xlsx, pptx, epub) reads its entries through `openZipGuarded`
 * (zip-guard.ts) and its XML through `createXmlBounds` (xml-bounds.ts), so a bomb ends as
 * RESOURCE_LIMIT_EXCEEDED before it allocates; a parser that works page by page calls `context.step`.
 */
const PARSERS: Record<SourceKind, DocumentParser> = {
  pdf: (request, _detected, context) =>
    extractPdf(request.data, {
      limits: request.limits,
      pageRange: request.pageRange,
      images: request.images,
      ocr: request.ocr,
      onPage: (pageNumber) => context.step(`Page ${pageNumber}`),
      onStep: (label) => context.step(label),
    }),
  image: (request, detected) =>
    extractImage(request.data, detected.imageFormat ?? 'png', request.limits.maxImagePixels),
  text: async (request) => extractPlainText(request.data),
  markdown: async (request) => extractMarkdown(request.data),
  html: async (request) => extractHtml(decodeText(request.data)),
  docx: (request) => extractDocx(request.data),
  csv: async (request) =>
    extractCsv(
      request.data,
      /\.tsv$/i.test(request.filename ?? '') || request.mimeType === 'text/tab-separated-values',
    ),
  xlsx: (request, _detected, context) => extractXlsx(request.data, (name) => context.step(`Sheet ${name}`)),
  pptx: (request, _detected, context) => extractPptx(request.data, (n) => context.step(`Slide ${n}`)),
  epub: (request, _detected, context) => extractEpub(request.data, (n) => context.step(`Chapter ${n}`)),
};

/**
 * Sniffs the kind, runs its parser and cleans the text (see `extractDocument`, which sends requests here).
 *
 * @throws AegisError `UNSUPPORTED_TYPE`, `EMPTY_DOCUMENT` and whatever the format's parser throws.
 */
export async function parseDocument(
  request: ParseRequest,
  context: SandboxTaskContext,
): Promise<ExtractedDocument> {
  const detected = detectKindDetailed(request);
  context.step(`Reading the ${detected.kind} document`);
  const doc = await PARSERS[detected.kind](request, detected, context);
  // A PDF decides emptiness itself (an empty range of a longer document is not an empty document).
  if (detected.kind !== 'pdf' && doc.pages.every((p) => p.paragraphs.length === 0 && p.images.length === 0)) {
    throw new AegisError('EMPTY_DOCUMENT', `The ${detected.kind} document contains no text.`, {
      details: { kind: detected.kind },
    });
  }
  return cleanExtractedDocument(doc);
}
