import type { ChunkInputPage } from './chunk.ts';

/** Separator between blocks (and between pages) in the canonical text. */
export const BLOCK_SEPARATOR = '\n\n';

/** Deepest heading level kept; deeper levels (hostile or odd extractor output) are treated as this one. */
const MAX_HEADING_LEVEL = 16;

/** One paragraph or figure placed in the canonical text. */
export interface TextBlock {
  /** Offsets in the canonical text, UTF-16 code units, end exclusive. */
  start: number;
  end: number;
  pageNumber: number;
  /** Headings in force at this block, outermost first; a heading block's own path ends with itself. */
  headingPath: string[];
  /** True for a paragraph with a heading level: chunks prefer to start here. */
  isHeading: boolean;
  /** Set for a figure block (`[Figure: ...]`). */
  imageId?: string | undefined;
}

export interface CanonicalDocument {
  text: string;
  /** In document order, non-overlapping, separated by {@link BLOCK_SEPARATOR}. */
  blocks: TextBlock[];
}

/**
 * The document's canonical text: every page's blocks in page order, joined by "\n\n". A block is a paragraph
 * (trimmed) or a figure rendered as `[Figure: <description>]`, placed after the first `afterParagraph`
 * paragraphs of its page (clamped to the page; figures at the same spot keep their input order).
 * Whitespace-only paragraphs and figures without a description are left out, so the text never holds empty
 * blocks. Chunk offsets (`charStart`, `charEnd`) index into this string.
 */
export function canonicalText(pages: ChunkInputPage[]): string {
  return buildCanonicalDocument(pages).text;
}

/** {@link canonicalText} with each block's offsets, page and heading path. */
export function buildCanonicalDocument(pages: ChunkInputPage[]): CanonicalDocument {
  const parts: string[] = [];
  const blocks: TextBlock[] = [];
  // Index = heading level - 1; holes stay undefined when a document skips levels (h1 then h3).
  const headings: Array<string | undefined> = [];
  let length = 0;
  let path: string[] = [];

  const push = (text: string, pageNumber: number, isHeading: boolean, imageId?: string): void => {
    if (parts.length > 0) {
      parts.push(BLOCK_SEPARATOR);
      length += BLOCK_SEPARATOR.length;
    }
    parts.push(text);
    const block: TextBlock = {
      start: length,
      end: length + text.length,
      pageNumber,
      headingPath: path,
      isHeading,
    };
    if (imageId !== undefined) block.imageId = imageId;
    blocks.push(block);
    length += text.length;
  };

  for (const page of pages) {
    const figures = figuresByPosition(page);
    const paragraphs = page.paragraphs;
    for (let p = 0; p <= paragraphs.length; p++) {
      for (const figure of figures.get(p) ?? []) {
        const description = figure.description.trim();
        if (description.length > 0) push(`[Figure: ${description}]`, page.pageNumber, false, figure.imageId);
      }
      const paragraph = paragraphs[p];
      if (paragraph === undefined) continue;
      const text = paragraph.text.trim();
      if (text.length === 0) continue;
      const level = headingLevelOf(paragraph.headingLevel);
      if (level !== undefined) {
        headings.length = level;
        headings[level - 1] = text;
        // A fresh array per heading: blocks share it, so it must never be mutated afterwards.
        path = headings.filter((h): h is string => h !== undefined);
      }
      push(text, page.pageNumber, level !== undefined);
    }
  }
  return { text: parts.join(''), blocks };
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
