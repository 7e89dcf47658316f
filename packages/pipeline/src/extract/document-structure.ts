import { type ExtractedPage, isIndexed, type OutlineEntry, type Paragraph } from './extracted-document.ts';
import { assignHeadings, type HeadingReport } from './headings.ts';
import { markFurniture } from './page-furniture.ts';

/** What the document-wide pass found. */
export interface StructureReport extends HeadingReport {
  /** Blocks marked as page furniture. */
  furniture: number;
  /** Blocks joined to the previous page's last block (a hyphenated word or a sentence over the page break). */
  pageJoins: number;
}

const SENTENCE_END = /[.!?:;…]["'”’»)\]]*$/u;
const HYPHENATED = /\p{L}[-‐\u00AD]$/u;
const CONTINUES = /^[\p{Ll}(]/u;

const flows = (p: Paragraph): boolean => isIndexed(p) && p.role !== 'heading' && p.role !== 'table';

/**
 * The document-wide pass over pages extracted one page range at a time: page furniture (needs every page to see
 * what repeats), headings (outline and font sizes ranked over the whole document) and text flowing over a page
 * break. Pure and idempotent: it only sets `role`, `headingLevel`, `joinPrevious` and `outlineHeadings`, and
 * running it again on its own output (as stored pages) gives the same result.
 */
export function structureDocument(
  pages: readonly ExtractedPage[],
  outline: readonly OutlineEntry[],
): StructureReport {
  const sorted = [...pages].sort((a, b) => a.pageNumber - b.pageNumber);
  // Joins are only ever set by this pass (heading parts, page breaks): start from none.
  for (const page of sorted) for (const p of page.paragraphs) p.joinPrevious = undefined;
  const furniture = markFurniture(sorted);
  const headings = assignHeadings(sorted, outline);
  const pageJoins = joinAcrossPages(sorted);
  return { ...headings, furniture, pageJoins };
}

/**
 * Re-joins what a page break split: the last flowing block of a page and the first of the next, when the first
 * ends in a hyphenated word or an unfinished sentence and the second goes on in lower case. Furniture between
 * them ("cre-" / "8 FREE CULTURE" / "ativity") is skipped, since it is not indexed.
 */
function joinAcrossPages(pages: readonly ExtractedPage[]): number {
  let joins = 0;
  for (let i = 1; i < pages.length; i++) {
    const before = pages[i - 1] as ExtractedPage;
    const after = pages[i] as ExtractedPage;
    if (after.pageNumber !== before.pageNumber + 1) continue;
    const last = before.paragraphs.filter(isIndexed).at(-1);
    const first = after.paragraphs.find(isIndexed);
    if (last === undefined || first === undefined || !flows(last) || !flows(first)) continue;
    if (first.outlineHeadings !== undefined) continue;
    const prev = last.text.trimEnd();
    const next = first.text.trimStart();
    if (!CONTINUES.test(next)) continue;
    if (HYPHENATED.test(prev)) first.joinPrevious = 'hyphen';
    else if (!SENTENCE_END.test(prev)) first.joinPrevious = 'space';
    else continue;
    joins++;
  }
  return joins;
}
