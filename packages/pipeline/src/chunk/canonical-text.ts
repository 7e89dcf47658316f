import type { ChunkInputPage, ChunkInputParagraph } from './chunk.ts';

/** Separator between blocks (and between pages) in the canonical text. */
export const BLOCK_SEPARATOR = '\n\n';

/** Deepest heading level kept; deeper levels (hostile or odd extractor output) are treated as this one. */
const MAX_HEADING_LEVEL = 16;

/** One paragraph or figure placed in the canonical text. */
export interface TextBlock {
  /** Offsets in the canonical text, UTF-16 code units, end exclusive. */
  start: number;
  end: number;
  /** Page the block starts on. */
  pageNumber: number;
  /** Page the block ends on: later than `pageNumber` for text that flows over a page break. */
  pageEnd: number;
  /** Headings in force at this block, outermost first; a heading block's own path ends with itself. */
  headingPath: string[];
  /** True for a paragraph with a heading level: chunks prefer to start here. */
  isHeading: boolean;
  /** True for a Markdown table: split only between rows. */
  isTable: boolean;
  /** Set for a figure block (`[Figure: ...]`). */
  imageId?: string | undefined;
}

export interface CanonicalDocument {
  text: string;
  /** In document order, non-overlapping, separated by {@link BLOCK_SEPARATOR}. */
  blocks: TextBlock[];
}

/**
 * The document's canonical text: every page's indexed blocks in page order, joined by "\n\n". A block is a
 * paragraph (trimmed), a table (Markdown), a figure rendered as `[Figure: <description>]` or a page transcribed by
 * the vision model (its text as it is), placed after the
 * first `afterParagraph` paragraphs of its page (clamped to the page; figures at the same spot keep their input
 * order). Page furniture and junk are left out, as are whitespace-only paragraphs and figures without a
 * description, so the text never holds empty blocks. A paragraph marked `joinPrevious` continues the previous
 * paragraph block (a word hyphenated over a page break is whole again). Chunk offsets index into this string.
 */
export function canonicalText(pages: ChunkInputPage[]): string {
  return buildCanonicalDocument(pages).text;
}

interface PendingBlock {
  text: string;
  pageNumber: number;
  pageEnd: number;
  headingPath: string[];
  isHeading: boolean;
  isTable: boolean;
  /** Heading level, for a heading block. */
  level?: number | undefined;
  imageId?: string | undefined;
}

/** {@link canonicalText} with each block's offsets, pages and heading path. */
export function buildCanonicalDocument(pages: ChunkInputPage[]): CanonicalDocument {
  const pending: PendingBlock[] = [];
  // Index = heading level - 1; holes stay undefined when a document skips levels (h1 then h3).
  const headings: Array<string | undefined> = [];
  let path: string[] = [];
  /** Index in `pending` of the last paragraph block, the one a `joinPrevious` paragraph continues. */
  let lastParagraph = -1;

  const heading = (text: string, level: number, pageNumber: number): void => {
    headings.length = level;
    headings[level - 1] = text;
    // A fresh array per heading: blocks share it, so it must never be mutated afterwards.
    path = headings.filter((h): h is string => h !== undefined);
    pending.push({
      text,
      pageNumber,
      pageEnd: pageNumber,
      headingPath: path,
      isHeading: true,
      isTable: false,
      level,
    });
    lastParagraph = pending.length - 1;
  };

  for (const page of pages) {
    const figures = figuresByPosition(page);
    const paragraphs = page.paragraphs;
    for (let p = 0; p <= paragraphs.length; p++) {
      for (const figure of figures.get(p) ?? []) {
        const description = figure.description.trim();
        if (description.length > 0)
          pending.push({
            text: figure.purpose === 'page-text' ? description : `[Figure: ${description}]`,
            pageNumber: page.pageNumber,
            pageEnd: page.pageNumber,
            headingPath: path,
            isHeading: false,
            isTable: false,
            imageId: figure.imageId,
          });
      }
      const paragraph = paragraphs[p];
      if (paragraph === undefined || !indexed(paragraph)) continue;
      for (const outlined of paragraph.outlineHeadings ?? []) {
        const title = outlined.title.trim();
        const level = headingLevelOf(outlined.level);
        if (title !== '' && level !== undefined) heading(title, level, page.pageNumber);
      }
      const text = paragraph.text.trim();
      if (text.length === 0) continue;
      const previous = pending[lastParagraph];
      // Body continues body, a heading part continues its heading; nothing continues a table.
      const joins =
        paragraph.joinPrevious !== undefined &&
        previous !== undefined &&
        !previous.isTable &&
        previous.isHeading === (paragraph.role === 'heading' && paragraph.headingLevel === undefined);
      if (joins && previous !== undefined) {
        previous.text =
          paragraph.joinPrevious === 'hyphen' && /[-‐\u00AD]$/u.test(previous.text)
            ? previous.text.slice(0, -1) + text
            : `${previous.text} ${text}`;
        previous.pageEnd = Math.max(previous.pageEnd, page.pageNumber);
        // A heading continued on the next line is still the heading: the path names it whole.
        if (previous.isHeading && previous.level !== undefined) {
          headings[previous.level - 1] = previous.text;
          path = headings.slice(0, previous.level).filter((h): h is string => h !== undefined);
          previous.headingPath = path;
        }
        continue;
      }
      const level = paragraph.role === 'table' ? undefined : headingLevelOf(paragraph.headingLevel);
      if (level !== undefined) {
        heading(text, level, page.pageNumber);
        continue;
      }
      pending.push({
        text,
        pageNumber: page.pageNumber,
        pageEnd: page.pageNumber,
        headingPath: path,
        isHeading: false,
        isTable: paragraph.role === 'table',
      });
      lastParagraph = pending.length - 1;
    }
  }

  const parts: string[] = [];
  const blocks: TextBlock[] = [];
  let length = 0;
  for (const block of pending) {
    if (parts.length > 0) {
      parts.push(BLOCK_SEPARATOR);
      length += BLOCK_SEPARATOR.length;
    }
    parts.push(block.text);
    const placed: TextBlock = {
      start: length,
      end: length + block.text.length,
      pageNumber: block.pageNumber,
      pageEnd: block.pageEnd,
      headingPath: block.headingPath,
      isHeading: block.isHeading,
      isTable: block.isTable,
    };
    if (block.imageId !== undefined) placed.imageId = block.imageId;
    blocks.push(placed);
    length += block.text.length;
  }
  return { text: parts.join(''), blocks };
}

function indexed(paragraph: ChunkInputParagraph): boolean {
  return paragraph.role !== 'furniture' && paragraph.role !== 'junk';
}

function headingLevelOf(level: number | undefined): number | undefined {
  if (level === undefined || !Number.isFinite(level) || level < 1) return undefined;
  return Math.min(Math.floor(level), MAX_HEADING_LEVEL);
}

function figuresByPosition(page: ChunkInputPage): Map<number, ChunkInputPage['figures']> {
  const byPosition = new Map<number, ChunkInputPage['figures']>();
  for (const figure of page.figures) {
    const raw = Number.isFinite(figure.afterParagraph) ? Math.floor(figure.afterParagraph) : 0;
    const at = Math.min(Math.max(raw, 0), page.paragraphs.length);
    const list = byPosition.get(at);
    if (list === undefined) byPosition.set(at, [figure]);
    else list.push(figure);
  }
  return byPosition;
}
