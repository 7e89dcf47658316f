import { posix } from 'node:path';
import { AegisError } from '@aegis/core';
import type { ExtractedDocument, ExtractedPage } from './extracted-document.ts';
import { extractHtml } from './html-extract.ts';
import { local, missingPart, parsePart, type XmlBudget } from './ooxml-parts.ts';
import { createBoundedXmlParser } from './xml-bounds.ts';
import { openZipGuarded } from './zip-guard.ts';

const MIB = 1024 * 1024;
/** Chapters are XHTML; images and fonts are never read. */
const EPUB_ZIP_LIMITS = { maxEntryBytes: 32 * MIB, maxTotalBytes: 256 * MIB };
const BUDGET: XmlBudget = { elements: 4_000_000, textChars: 64 * MIB };
const DOCUMENT_TYPES = new Set(['application/xhtml+xml', 'text/html', 'application/x-dtbook+xml']);

/**
 * EPUB: the package document named by META-INF/container.xml gives the title and the reading order (spine);
 * each XHTML document of the spine is one page, read by the HTML extractor (headings, paragraphs, tables) after
 * the bounded XML parser checked it. Navigation-only and non-linear items are read too, in spine order.
 *
 * @throws AegisError `UNSUPPORTED_TYPE` (not an EPUB), `RESOURCE_LIMIT_EXCEEDED` (a bomb in any part).
 */
export async function extractEpub(
  data: Uint8Array,
  onChapter?: (index: number) => void,
): Promise<ExtractedDocument> {
  const budget: XmlBudget = { ...BUDGET };
  const zip = await openZipGuarded(data, 'EPUB book', EPUB_ZIP_LIMITS);
  try {
    const container = 'META-INF/container.xml';
    if (!zip.has(container)) throw missingPart('EPUB book', container);
    let opf: string | undefined;
    await parsePart(zip, container, budget, {
      onopentag(name, attributes) {
        if (local(name) === 'rootfile' && opf === undefined) opf = attributes['full-path'];
      },
    });
    if (opf === undefined || !zip.has(opf)) throw missingPart('EPUB book', opf ?? 'package document');
    const base = posix.dirname(opf);
    const manifest = new Map<string, { href: string; type: string }>();
    const spine: string[] = [];
    let title = '';
    let inTitle = false;
    await parsePart(zip, opf, budget, {
      onopentag(name, attributes) {
        const tag = local(name);
        if (tag === 'item' && attributes.id !== undefined && attributes.href !== undefined) {
          manifest.set(attributes.id, { href: attributes.href, type: attributes['media-type'] ?? '' });
        } else if (tag === 'itemref' && attributes.idref !== undefined) spine.push(attributes.idref);
        else if (tag === 'title' && title === '') inTitle = true;
      },
      ontext(text) {
        if (inTitle) title += text;
      },
      onclosetag(name) {
        if (local(name) === 'title') inTitle = false;
      },
    });
    const pages: ExtractedPage[] = [];
    const warnings: string[] = [];
    for (const [index, idref] of spine.entries()) {
      const item = manifest.get(idref);
      if (item === undefined || !DOCUMENT_TYPES.has(item.type)) continue;
      const part = posix.normalize(posix.join(base, decodeURIComponent(item.href)));
      if (!zip.has(part)) {
        warnings.push(`EPUB: the spine names ${part}, which the book does not contain.`);
        continue;
      }
      onChapter?.(index + 1);
      // The bounded parser checks the chapter as it streams; the HTML extractor then reads the checked text.
      const xml = createBoundedXmlParser(part, {
        maxElements: budget.elements,
        maxTextChars: budget.textChars,
      });
      const bytes = await zip.read(part, (chunk) => xml.write(chunk));
      xml.end();
      budget.elements -= xml.elements;
      budget.textChars -= xml.textChars;
      const chapter = extractHtml(new TextDecoder('utf-8').decode(bytes), 'epub');
      const paragraphs = chapter.pages[0]?.paragraphs ?? [];
      if (paragraphs.length > 0)
        pages.push({ pageNumber: pages.length + 1, width: 0, height: 0, paragraphs, images: [] });
    }
    if (spine.length === 0) {
      throw new AegisError('UNSUPPORTED_TYPE', 'The EPUB book has no reading order (empty spine).', {});
    }
    return {
      kind: 'epub',
      title: title.replace(/\s+/g, ' ').trim() || undefined,
      pageCount: Math.max(1, pages.length),
      pages,
      outline: pages.flatMap((p) =>
        p.paragraphs.flatMap((q) =>
          q.headingLevel === undefined
            ? []
            : [{ title: q.text, level: q.headingLevel, pageNumber: p.pageNumber }],
        ),
      ),
      warnings,
    };
  } finally {
    zip.close();
  }
}
