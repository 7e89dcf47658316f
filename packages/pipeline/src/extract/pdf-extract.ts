import { AegisError } from '@aegis/core';
import type {
  BoundingBox,
  ExtractedDocument,
  ExtractedImage,
  ExtractedPage,
  ExtractionLimits,
  OutlineEntry,
  Paragraph,
} from './extracted-document.ts';
import { findOversizedImages } from './oversized-images.ts';
import { readFormFields } from './pdf-forms.ts';
import {
  type EncodedImage,
  encodeRawImage,
  findImageDraws,
  type ImageDraw,
  resolveImage,
} from './pdf-images.ts';
import { layoutPage, type TextRun } from './pdf-layout.ts';
import type { OcrSettings } from './pdf-ocr.ts';
import { readOutline } from './pdf-outline.ts';
import { ocrNeed, readPageByOcr } from './pdf-page-ocr.ts';
import type { Rule } from './pdf-tables.ts';
import type { PdfDocumentProxy, PdfjsModule, PdfPageProxy } from './pdfjs.ts';
import { loadPdfjs, openPdf, toPdfError } from './pdfjs.ts';
import { withTimeout } from './timeout.ts';

/** Cheap facts about a PDF, for planning page ranges. */
export interface PdfInfo {
  pageCount: number;
  title: string | undefined;
  outline: OutlineEntry[];
}

/** 1-based inclusive page range. */
export interface PageRange {
  from: number;
  to: number;
}

/** Options of the PDF extractor. */
export interface PdfExtractOptions {
  limits: ExtractionLimits;
  pageRange?: PageRange | undefined;
  /** Decode and encode images (default true). Off gives text-only extraction, e.g. for benchmarks. */
  images?: boolean | undefined;
  /** Called as each page starts; the sandbox uses it to restart the page timer. */
  onPage?: ((pageNumber: number) => void) | undefined;
  /** Called before a long step that is not a page (OCR of a page): restarts the step timer. */
  onStep?: ((label: string) => void) | undefined;
  /** Reading pages without usable text (default: off for library calls that pass nothing). */
  ocr?: OcrSettings | undefined;
}

/**
 * Page count, title and outline without reading page content (the title may need page 1's text when the
 * metadata has none).
 *
 * @throws AegisError `PDF_ENCRYPTED`, `PDF_INVALID` or `EXTRACTION_TIMEOUT`.
 */
export async function inspectPdf(data: Uint8Array, limits: ExtractionLimits): Promise<PdfInfo> {
  const pdfjs = await loadPdfjs();
  const doc = await openPdf(pdfjs, data, {
    maxImagePixels: limits.maxImagePixels,
    timeoutMs: limits.pageTimeoutMs,
  });
  try {
    return await withTimeout(
      (async () => {
        const outline = await readOutline(doc);
        const title = (await metadataTitle(doc)) ?? (await firstPageTitle(doc));
        return { pageCount: doc.numPages, title, outline };
      })(),
      limits.pageTimeoutMs,
      () => timeoutError('Reading the PDF outline', limits.pageTimeoutMs),
    );
  } catch (error) {
    throw toPdfError(error);
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}

/**
 * Extracts text (reading order, paragraphs, headings) and images of a PDF, one page at a time: each page is
 * released (`page.cleanup()`) before the next, so a long document can be processed range by range.
 *
 * @throws AegisError `PDF_ENCRYPTED`, `PDF_INVALID`, `EXTRACTION_TIMEOUT` (a page over `pageTimeoutMs`),
 *   `EMPTY_DOCUMENT` (the whole document was extracted and no page had text or images), `VALIDATION_FAILED`
 *   (a page range outside the document).
 */
export async function extractPdf(data: Uint8Array, options: PdfExtractOptions): Promise<ExtractedDocument> {
  const { limits } = options;
  const pdfjs = await loadPdfjs();
  const doc = await openPdf(pdfjs, data, {
    maxImagePixels: limits.maxImagePixels,
    timeoutMs: limits.pageTimeoutMs,
  });
  try {
    const pageCount = doc.numPages;
    const from = options.pageRange?.from ?? 1;
    const to = Math.min(options.pageRange?.to ?? pageCount, pageCount);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || from > to) {
      throw new AegisError(
        'VALIDATION_FAILED',
        `Page range ${from}-${options.pageRange?.to} is not within the document's ${pageCount} pages.`,
        { details: { from, to: options.pageRange?.to, pageCount } },
      );
    }
    const warnings: string[] = [];
    const outline = await withTimeout(readOutline(doc), limits.pageTimeoutMs, () =>
      timeoutError('Reading the PDF outline', limits.pageTimeoutMs),
    );
    const pages: ExtractedPage[] = [];
    const ocr = options.ocr;
    let ocrMsLeft = ocr?.taskBudgetMs ?? 300_000;
    const skipped: number[] = [];
    for (let pageNumber = from; pageNumber <= to; pageNumber++) {
      options.onPage?.(pageNumber);
      const { page, paths } = await withTimeout(
        extractPage(pdfjs, doc, pageNumber, options, warnings),
        limits.pageTimeoutMs,
        () => timeoutError(`Page ${pageNumber}`, limits.pageTimeoutMs),
      );
      const need = ocr === undefined || ocr.engine === 'off' ? undefined : ocrNeed(page, paths);
      if (ocr !== undefined && need !== undefined && ocrMsLeft <= 0) skipped.push(pageNumber);
      else if (ocr !== undefined && need !== undefined) {
        options.onStep?.(`OCR of page ${pageNumber}`);
        // OCR ends itself before the sandbox's step timer would kill the whole task.
        const pageTimeoutMs = Math.min(ocr.pageTimeoutMs, Math.floor(0.9 * limits.pageTimeoutMs), ocrMsLeft);
        const started = performance.now();
        await readPageByOcr(doc, page, need, { ...ocr, pageTimeoutMs }, warnings);
        ocrMsLeft -= performance.now() - started;
      }
      pages.push(page);
    }
    if (skipped.length > 0) {
      warnings.push(
        `Pages ${skipped.join(', ')} were not OCR'd: this page range spent its OCR time budget; they keep their text layer.`,
      );
    }
    for (const image of findOversizedImages(data, limits.maxImagePixels)) {
      warnings.push(
        `Image object ${image.objectNumber} (${image.width}x${image.height} pixels) is over the limit of ` +
          `${limits.maxImagePixels} pixels and was not decoded.`,
      );
    }
    const wholeDocument = from === 1 && to === pageCount;
    if (wholeDocument && pages.every((p) => p.paragraphs.length === 0 && p.images.length === 0)) {
      throw new AegisError(
        'EMPTY_DOCUMENT',
        `The PDF's ${pageCount} page(s) contain neither text nor images.`,
        {
          details: { pageCount },
        },
      );
    }
    let title = await metadataTitle(doc);
    if (title === undefined) {
      const first = pages.find((p) => p.pageNumber === 1);
      title = first === undefined ? await firstPageTitle(doc) : largestText(first);
    }
    return { kind: 'pdf', title, pageCount, pages, outline, warnings };
  } catch (error) {
    throw toPdfError(error);
  } finally {
    // Also stops any work still queued for a page that timed out.
    await doc.destroy().catch(() => undefined);
  }
}

function timeoutError(what: string, ms: number): AegisError {
  return new AegisError('EXTRACTION_TIMEOUT', `${what} took longer than ${ms} ms; extraction was stopped.`, {
    details: { timeoutMs: ms },
  });
}

async function extractPage(
  pdfjs: PdfjsModule,
  doc: PdfDocumentProxy,
  pageNumber: number,
  options: PdfExtractOptions,
  warnings: string[],
): Promise<{ page: ExtractedPage; paths: number | undefined }> {
  const page = await doc.getPage(pageNumber);
  try {
    const viewport = page.getViewport({ scale: 1 });
    let runs: TextRun[] = [];
    try {
      runs = await readRuns(pdfjs, page, viewport.transform);
    } catch (error) {
      if (error instanceof AegisError) throw error;
      warnings.push(`Page ${pageNumber}: text could not be read (${(error as Error).message}).`);
    }
    let draws: ImageDraw[] = [];
    // Ruling lines (and the count of drawn paths, for OCR) come with the operator list, which only the full
    // (images) mode reads; text-only mode finds tables from text alignment alone.
    const vectors = { rules: [] as Rule[], paths: 0 };
    if (options.images !== false) {
      try {
        draws = await findImageDraws(pdfjs, page, viewport, vectors);
      } catch (error) {
        if (error instanceof AegisError) throw error;
        warnings.push(`Page ${pageNumber}: images could not be read (${(error as Error).message}).`);
      }
    }
    const cap = options.limits.maxImagesPerPage;
    if (draws.length > cap) {
      warnings.push(
        `Page ${pageNumber}: ${draws.length - cap} of ${draws.length} images skipped (limit ${cap} per page).`,
      );
      draws = draws.slice(0, cap);
    }
    const placed = draws.flatMap((d, i) => (d.bbox === undefined ? [] : [{ bbox: d.bbox, i }]));
    const layout = layoutPage(runs, placed, vectors.rules);
    const after = new Map(placed.map((p, k) => [p.i, layout.imageAfterParagraph[k] ?? 0]));
    const images = await decodeImages(page, draws, options.limits.maxImagePixels);
    const extracted: ExtractedImage[] = images.map((image, index) => ({
      ...image,
      index,
      afterParagraph: after.get(index) ?? layout.paragraphs.length,
    }));
    for (const image of extracted) {
      if (image.skipReason !== undefined) {
        warnings.push(`Page ${pageNumber}: image ${image.index} not decoded: ${image.skipReason}.`);
      }
    }
    // Filled form fields follow the page's text (their labels are printed text; their values are not).
    let fields: Paragraph[] = [];
    try {
      fields = await readFormFields(page, viewport, runs);
    } catch (error) {
      if (error instanceof AegisError) throw error;
      warnings.push(`Page ${pageNumber}: form fields could not be read (${(error as Error).message}).`);
    }
    return {
      page: {
        pageNumber,
        width: viewport.width,
        height: viewport.height,
        paragraphs: [...layout.paragraphs, ...fields],
        images: extracted,
      },
      paths: options.images === false ? undefined : vectors.paths,
    };
  } finally {
    page.cleanup();
  }
}

async function readRuns(
  pdfjs: PdfjsModule,
  page: PdfPageProxy,
  viewportTransform: number[],
): Promise<TextRun[]> {
  const content = await page.getTextContent();
  const runs: TextRun[] = [];
  for (const item of content.items) {
    if (!('str' in item) || item.str === '') continue;
    // Text space -> top-left page space; the font height is the length of the transformed y axis.
    const tx = pdfjs.Util.transform(viewportTransform, item.transform);
    const fontSize = Math.hypot(tx[2] ?? 0, tx[3] ?? 0);
    const x = tx[4] ?? 0;
    runs.push({ text: item.str, x0: x, x1: x + Math.abs(item.width), baseline: tx[5] ?? 0, fontSize });
  }
  return runs;
}

type DecodedImage = Omit<ExtractedImage, 'index' | 'afterParagraph'>;

async function decodeImages(
  page: PdfPageProxy,
  draws: readonly ImageDraw[],
  maxImagePixels: number,
): Promise<DecodedImage[]> {
  // One object drawn several times (a logo, a repeated pattern) is encoded once.
  const cache = new Map<string, Promise<{ encoded: EncodedImage; width: number; height: number }>>();
  const decodeOne = async (draw: ImageDraw) => {
    const raw = typeof draw.source === 'string' ? await resolveImage(page, draw.source) : draw.source;
    if (raw === null)
      return {
        encoded: { data: undefined, skipReason: 'undecodable' },
        width: draw.width,
        height: draw.height,
      };
    const encoded = await encodeRawImage(raw, draw.mask, maxImagePixels);
    return { encoded, width: raw.width, height: raw.height };
  };
  const out: DecodedImage[] = [];
  for (const draw of draws) {
    let pending = typeof draw.source === 'string' ? cache.get(draw.source) : undefined;
    if (pending === undefined) {
      pending = decodeOne(draw);
      if (typeof draw.source === 'string') cache.set(draw.source, pending);
    }
    const { encoded, width, height } = await pending;
    const bbox: BoundingBox | undefined = draw.bbox;
    out.push({
      bbox,
      width,
      height,
      data: encoded.data,
      mimeType: 'image/png',
      ...(encoded.skipReason === undefined ? {} : { skipReason: encoded.skipReason }),
    });
  }
  return out;
}

async function metadataTitle(doc: PdfDocumentProxy): Promise<string | undefined> {
  try {
    const { info } = await doc.getMetadata();
    const title = (info as { Title?: unknown }).Title;
    return typeof title === 'string' && title.trim() !== '' ? title.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The largest text on page 1, for documents without a metadata title. */
async function firstPageTitle(doc: PdfDocumentProxy): Promise<string | undefined> {
  const pdfjs = await loadPdfjs();
  const page = await doc.getPage(1);
  try {
    const viewport = page.getViewport({ scale: 1 });
    const runs = await readRuns(pdfjs, page, viewport.transform);
    const { paragraphs } = layoutPage(runs, []);
    return largestText({ pageNumber: 1, width: 0, height: 0, paragraphs, images: [] });
  } catch {
    return undefined;
  } finally {
    page.cleanup();
  }
}

function largestText(page: ExtractedPage): string | undefined {
  let best: { size: number; text: string } | undefined;
  for (const p of page.paragraphs) {
    const size = p.fontSize ?? 0;
    if (p.text.length >= 3 && p.text.length <= 300 && (best === undefined || size > best.size)) {
      best = { size, text: p.text };
    }
  }
  return best?.text;
}
