import type { ExtractedDocument, ExtractedPage, Paragraph } from './extracted-document.ts';
import { local, missingPart, parsePart, readRelationships, type XmlBudget } from './ooxml-parts.ts';
import { tableParagraph } from './table-markdown.ts';
import { openZipGuarded } from './zip-guard.ts';

const MIB = 1024 * 1024;
/** Slides' XML is small; media (often most of a deck) are never read. */
const PPTX_ZIP_LIMITS = { maxEntryBytes: 64 * MIB, maxTotalBytes: 256 * MIB };
const BUDGET: XmlBudget = { elements: 4_000_000, textChars: 64 * MIB };

interface SlideText {
  title: string | undefined;
  paragraphs: Paragraph[];
}

/**
 * PPTX: slides in presentation order, one page each. The title placeholder's text is the slide's heading
 * (level 1), other shapes' paragraphs follow in drawing order, tables become table blocks, and the speaker notes
 * come last as "Notes: ..." blocks (slide-number and slide-image placeholders of the notes page left out).
 *
 * @throws AegisError `UNSUPPORTED_TYPE` (not a presentation), `RESOURCE_LIMIT_EXCEEDED` (a bomb in any part).
 */
export async function extractPptx(
  data: Uint8Array,
  onSlide?: (index: number) => void,
): Promise<ExtractedDocument> {
  const budget: XmlBudget = { ...BUDGET };
  const zip = await openZipGuarded(data, 'PowerPoint presentation', PPTX_ZIP_LIMITS);
  try {
    const root = 'ppt/presentation.xml';
    if (!zip.has(root)) throw missingPart('PowerPoint presentation', root);
    const order: string[] = [];
    await parsePart(zip, root, budget, {
      onopentag(name, attributes) {
        if (local(name) !== 'sldId') return;
        const id = Object.entries(attributes).find(([k]) => local(k) === 'id' && k !== 'id')?.[1];
        if (id !== undefined) order.push(id);
      },
    });
    const targets = await readRelationships(zip, root, budget);
    const pages: ExtractedPage[] = [];
    let title: string | undefined;
    for (const [index, id] of order.entries()) {
      const part = targets.get(id);
      if (part === undefined || !zip.has(part)) continue;
      onSlide?.(index + 1);
      const slide = await readShapes(zip, part, budget, false);
      const paragraphs: Paragraph[] = [];
      if (slide.title !== undefined) paragraphs.push({ text: slide.title, bbox: undefined, headingLevel: 1 });
      paragraphs.push(...slide.paragraphs);
      const rels = await readRelationships(zip, part, budget);
      const notes = [...rels.values()].find((t) => /notesSlides\/[^/]+\.xml$/.test(t));
      if (notes !== undefined && zip.has(notes)) {
        const text = await readShapes(zip, notes, budget, true);
        for (const p of text.paragraphs) paragraphs.push({ ...p, text: `Notes: ${p.text}` });
      }
      title ??= slide.title;
      pages.push({ pageNumber: index + 1, width: 0, height: 0, paragraphs, images: [] });
    }
    return {
      kind: 'pptx',
      title,
      pageCount: Math.max(1, pages.length),
      pages,
      outline: pages.flatMap((p) => {
        const heading = p.paragraphs.find((q) => q.headingLevel === 1);
        return heading === undefined ? [] : [{ title: heading.text, level: 1, pageNumber: p.pageNumber }];
      }),
      warnings: [],
    };
  } finally {
    zip.close();
  }
}

/** Text of a slide (or notes page): shapes' paragraphs, the title placeholder apart, tables as tables. */
async function readShapes(
  zip: Awaited<ReturnType<typeof openZipGuarded>>,
  part: string,
  budget: XmlBudget,
  notes: boolean,
): Promise<SlideText> {
  const result: SlideText = { title: undefined, paragraphs: [] };
  let shapeKind: string | undefined;
  let shapeText: string[] = [];
  let paragraph: string | undefined;
  let inText = false;
  let table: string[][] | undefined;
  let row: string[] | undefined;
  let cell: string[] | undefined;
  await parsePart(zip, part, budget, {
    onopentag(name, attributes) {
      const tag = local(name);
      if (tag === 'sp') {
        shapeKind = 'body';
        shapeText = [];
      } else if (tag === 'ph') shapeKind = attributes.type ?? 'body';
      else if (tag === 'tbl') table = [];
      else if (tag === 'tr' && table !== undefined) row = [];
      else if (tag === 'tc' && row !== undefined) cell = [];
      else if (tag === 'p') paragraph = '';
      else if (tag === 't') inText = true;
      else if (tag === 'br' && paragraph !== undefined) paragraph += ' ';
    },
    ontext(text) {
      if (inText && paragraph !== undefined) paragraph += text;
    },
    onclosetag(name) {
      const tag = local(name);
      if (tag === 't') inText = false;
      else if (tag === 'p' && paragraph !== undefined) {
        const text = paragraph.replace(/\s+/g, ' ').trim();
        paragraph = undefined;
        if (text === '') return;
        if (cell !== undefined) cell.push(text);
        else shapeText.push(text);
      } else if (tag === 'tc' && cell !== undefined && row !== undefined) {
        row.push(cell.join(' '));
        cell = undefined;
      } else if (tag === 'tr' && row !== undefined && table !== undefined) {
        table.push(row);
        row = undefined;
      } else if (tag === 'tbl' && table !== undefined) {
        if (table.length > 0) result.paragraphs.push(tableParagraph(table, 1));
        table = undefined;
      } else if (tag === 'sp') {
        const kind = shapeKind ?? 'body';
        if (!notes && (kind === 'title' || kind === 'ctrTitle') && result.title === undefined) {
          result.title = shapeText.join(' ');
        } else if (
          !(
            notes &&
            (kind === 'sldNum' || kind === 'sldImg' || kind === 'hdr' || kind === 'ftr' || kind === 'dt')
          )
        ) {
          for (const text of shapeText) result.paragraphs.push({ text, bbox: undefined });
        }
        shapeKind = undefined;
        shapeText = [];
      }
    },
  });
  return result;
}
