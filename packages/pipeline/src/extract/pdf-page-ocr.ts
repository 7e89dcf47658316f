import type { ExtractedPage, Paragraph } from './extracted-document.ts';
import { type OcrSettings, recognisePage, renderPage } from './pdf-ocr.ts';
import type { PdfDocumentProxy } from './pdfjs.ts';
import { isJunk } from './text-quality.ts';

/** Fewer readable characters than this and a page counts as having no usable text. */
const MIN_TEXT_CHARS = 40;
/** Images covering this share of the page (a scan), or this many drawn paths (text as vector art), need OCR. */
const IMAGE_COVER = 0.1;
const VECTOR_PATHS = 40;
/** A page whose junk is this much of its text is read by OCR where the junk stands. */
const JUNK_SHARE = 0.25;
const MIN_JUNK_CHARS = 60;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control codes are what undecodable fonts produce.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

function unreadable(text: string): boolean {
  const controls = text.match(CONTROL)?.length ?? 0;
  return controls > 0.3 * text.length || isJunk(text.replace(CONTROL, ' '));
}

/**
 * Whether a page needs OCR: `page` when it has no usable text but shows something (a scan, text drawn as vector
 * art, junk only; in text-only mode, where images are not looked at, any page without text), `junk` when part
 * of its text is junk (OCR fills the junk's place, the good text layer stays), undefined otherwise.
 */
export function ocrNeed(page: ExtractedPage, drawnPaths: number | undefined): 'page' | 'junk' | undefined {
  let text = 0;
  let junk = 0;
  for (const p of page.paragraphs) {
    if (p.source === 'form') continue;
    if (unreadable(p.text)) junk += p.text.length;
    else text += p.text.replace(/\s+/g, '').length;
  }
  if (text < MIN_TEXT_CHARS) {
    const area = Math.max(1, page.width * page.height);
    const covered = page.images.reduce(
      (n, i) => n + (i.bbox === undefined ? 0 : (i.bbox[2] - i.bbox[0]) * (i.bbox[3] - i.bbox[1])),
      0,
    );
    const looked = drawnPaths !== undefined;
    if (!looked || junk > 0 || covered >= IMAGE_COVER * area || (drawnPaths ?? 0) >= VECTOR_PATHS)
      return 'page';
    return undefined;
  }
  return junk >= MIN_JUNK_CHARS && junk >= JUNK_SHARE * (junk + text) ? 'junk' : undefined;
}

/**
 * Reads a page without usable text: Tesseract's blocks are added with `source: 'ocr'` (all of them for a page
 * without text; for a page with junk, those not lying on its good text), or, with the `vision` engine, the page
 * is rendered and added as a full-page image for the vision model. Failures and timeouts leave the page as it
 * was, with a warning.
 */
export async function readPageByOcr(
  doc: PdfDocumentProxy,
  page: ExtractedPage,
  need: 'page' | 'junk',
  settings: OcrSettings,
  warnings: string[],
): Promise<void> {
  const proxy = await doc.getPage(page.pageNumber);
  try {
    const { png, scale } = await renderPage(proxy, settings.dpi);
    if (settings.engine === 'vision') {
      page.images.push({
        index: page.images.length,
        bbox: [0, 0, page.width, page.height],
        width: Math.round(page.width * scale),
        height: Math.round(page.height * scale),
        data: new Uint8Array(png),
        mimeType: 'image/png',
        afterParagraph: page.paragraphs.length,
        purpose: 'page-text',
      });
      return;
    }
    const found = await recognisePage(png, scale, settings);
    const good =
      need === 'junk' ? page.paragraphs.filter((p) => p.bbox !== undefined && !unreadable(p.text)) : [];
    const inside = (q: Paragraph): boolean => {
      const [x0, y0, x1, y1] = q.bbox ?? [0, 0, 0, 0];
      const cx = (x0 + x1) / 2;
      const cy = (y0 + y1) / 2;
      return good.some(
        (g) =>
          g.bbox !== undefined && cx >= g.bbox[0] && cx <= g.bbox[2] && cy >= g.bbox[1] && cy <= g.bbox[3],
      );
    };
    page.paragraphs.push(...found.filter((q) => !inside(q)));
  } catch (error) {
    warnings.push(
      `Page ${page.pageNumber}: OCR failed (${(error as Error).message}); the page keeps only its text layer.`,
    );
  } finally {
    proxy.cleanup();
  }
}
