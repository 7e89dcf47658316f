import { AegisError } from '@aegis/core';
import type { ExtractionLimits } from './extracted-document.ts';
import { renderPage } from './pdf-ocr.ts';
import { loadPdfjs, openPdf, toPdfError } from './pdfjs.ts';

/** `render-page`: one PDF page as a PNG whose longer side is `maxSide` pixels, for people to look at. */
export interface RenderPageRequest {
  data: Uint8Array;
  /** 1-based. */
  pageNumber: number;
  maxSide: number;
  limits: Pick<ExtractionLimits, 'maxImagePixels' | 'pageTimeoutMs'>;
}

export interface RenderedPage {
  png: Uint8Array;
  width: number;
  height: number;
}

/**
 * Renders one page with the hardened pdf.js options extraction uses (runs in the sandbox like every parser).
 *
 * @throws AegisError `NOT_FOUND` (no such page), `PDF_ENCRYPTED`, `PDF_INVALID`, `EXTRACTION_TIMEOUT`.
 */
export async function renderPdfPage(request: RenderPageRequest): Promise<RenderedPage> {
  const pdfjs = await loadPdfjs();
  const doc = await openPdf(pdfjs, request.data, {
    maxImagePixels: request.limits.maxImagePixels,
    timeoutMs: request.limits.pageTimeoutMs,
  });
  try {
    if (!Number.isInteger(request.pageNumber) || request.pageNumber < 1 || request.pageNumber > doc.numPages)
      throw new AegisError('NOT_FOUND', `The document has no page ${request.pageNumber}.`);
    const page = await doc.getPage(request.pageNumber);
    try {
      const base = page.getViewport({ scale: 1 });
      const dpi = (72 * request.maxSide) / Math.max(base.width, base.height, 1);
      const { png, scale } = await renderPage(page, dpi);
      return {
        png: new Uint8Array(png),
        width: Math.ceil(base.width * scale),
        height: Math.ceil(base.height * scale),
      };
    } finally {
      page.cleanup();
    }
  } catch (error) {
    throw toPdfError(error);
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}
