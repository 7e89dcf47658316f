import type { ExtractedPage, OutlineEntry, Paragraph } from './extracted-document.ts';
import { numberingDepth, titleMatchScore } from './heading-match.ts';

/** A paragraph this much larger than the document's body font is a heading candidate. */
const HEADING_RATIO = 1.15;
/** Headings are short; a long large-font block is a pull quote or a title page, not a heading. */
const MAX_HEADING_CHARS = 200;
const MAX_HEADING_WORDS = 24;
/** A font size carrying more than this share of the text is a body style (a large-print section), not headings. */
const MAX_HEADING_STYLE_SHARE = 0.15;
/** Outline titles split over up to this many consecutive blocks ("CHAPTER ONE" / "Creators") are re-joined. */
const MAX_TITLE_PARTS = 3;
/** The least score for an outline title found on its own page (see `titleMatchScore`). */
const MIN_OUTLINE_SCORE = 0.7;
/** On a neighbouring page (a destination one page off), only a near-exact match counts. */
const MIN_NEIGHBOUR_SCORE = 0.95;

/** What the heading pass found, for the fidelity benchmark and warnings. */
export interface HeadingReport {
  /** Outline entries with a target page. */
  outlineEntries: number;
  /** ... whose title was found in the page text and marked as a heading. */
  outlineMatched: number;
  /** ... that were not printed on the page and were added as headings before the destination's first block. */
  outlineInserted: number;
  /** Headings found from font size (and numbering) alone. */
  styleHeadings: number;
}

function sizeKey(size: number | undefined): number {
  return Math.round((size ?? 0) * 2) / 2;
}

const indexable = (p: Paragraph): boolean =>
  p.role !== 'furniture' && p.role !== 'junk' && p.role !== 'table' && p.source !== 'outline';

/** Font size (half-point buckets) carrying most characters of the given blocks. */
export function bodyFontSize(paragraphs: Iterable<Paragraph>): number | undefined {
  const weight = new Map<number, number>();
  for (const p of paragraphs) {
    if (p.fontSize === undefined || !indexable(p)) continue;
    const size = sizeKey(p.fontSize);
    weight.set(size, (weight.get(size) ?? 0) + p.text.length);
  }
  let best: number | undefined;
  let bestWeight = -1;
  for (const [size, w] of weight) {
    if (w > bestWeight) {
      best = size;
      bestWeight = w;
    }
  }
  return best;
}

/** Clears what an earlier run of the pass derived, so it can run again on stored pages with the same result. */
function reset(pages: readonly ExtractedPage[]): void {
  for (const page of pages) {
    page.paragraphs = page.paragraphs.filter((p) => p.source !== 'outline');
    for (const p of page.paragraphs) {
      p.outlineHeadings = undefined;
      if (p.role === 'heading' || p.headingLevel !== undefined) {
        p.role = p.role === 'furniture' || p.role === 'junk' || p.role === 'table' ? p.role : undefined;
        p.headingLevel = undefined;
      }
    }
  }
}

interface Match {
  parts: Paragraph[];
  score: number;
}

function bestMatch(
  page: ExtractedPage,
  entry: OutlineEntry,
  taken: Set<Paragraph>,
  body: number,
): Match | undefined {
  const blocks = page.paragraphs.filter((p) => indexable(p) && !taken.has(p));
  let best: Match | undefined;
  for (let i = 0; i < blocks.length; i++) {
    let text = '';
    for (let n = 1; n <= MAX_TITLE_PARTS && i + n <= blocks.length; n++) {
      const part = blocks[i + n - 1] as Paragraph;
      if (part.text.length > MAX_HEADING_CHARS) break;
      text = text === '' ? part.text : `${text} ${part.text}`;
      let score = titleMatchScore(entry.title, text);
      if (score === 0) continue;
      // Between equal matches, the one set in a heading-sized font and the one nearest the destination win.
      const first = blocks[i] as Paragraph;
      if ((first.fontSize ?? 0) >= body * HEADING_RATIO) score += 0.02;
      if (entry.top !== undefined && first.bbox !== undefined) {
        score -= Math.min(0.02, Math.abs(first.bbox[1] - entry.top) / 10_000);
      }
      if (best === undefined || score > best.score) best = { parts: blocks.slice(i, i + n), score };
    }
  }
  return best;
}

/**
 * Marks headings in place, over the whole document at once (never per page range, so levels agree everywhere):
 *
 * 1. Outline entries first: the entry's title is looked for on its destination page, robust to case, numbering
 *    style (arabic, roman, spelled out), punctuation and line breaks, with a fuzzy match within the page, and on
 *    the neighbouring pages when only a near-exact match will do. A title split over up to three blocks is
 *    joined. An entry whose title is not printed at all is added as a heading before the first block at its
 *    destination (`outlineHeadings`), so the chunks under it still carry it in their heading path.
 * 2. Then font size: short blocks clearly larger than the document's body font, ranked over the whole document
 *    (largest = 1). Sizes that matched outline entries take the outline's level; sizes between them nest under
 *    the next larger one.
 * 3. Numbered headings ("2", "2.1", "A.", "IV.") nest by their numbers under the level of their top-level siblings.
 */
export function assignHeadings(
  pages: readonly ExtractedPage[],
  outline: readonly OutlineEntry[],
): HeadingReport {
  reset(pages);
  const report: HeadingReport = {
    outlineEntries: 0,
    outlineMatched: 0,
    outlineInserted: 0,
    styleHeadings: 0,
  };
  const all = pages.flatMap((p) => p.paragraphs);
  const body = bodyFontSize(all) ?? 0;
  const byNumber = new Map(pages.map((p) => [p.pageNumber, p]));
  const taken = new Set<Paragraph>();
  const outlineLevel = new Map<Paragraph, number>();
  // A label printed beside a form field ("Full name:") is set large on many forms, and is no heading.
  const labelsAField = new Set<Paragraph>();
  for (const page of pages) {
    const fields = page.paragraphs.filter((p) => p.source === 'form' && p.bbox !== undefined);
    for (const p of page.paragraphs) {
      if (p.source === 'form' || p.bbox === undefined) continue;
      const [, y0, , y1] = p.bbox;
      if (fields.some((f) => f.bbox !== undefined && f.bbox[1] < y1 + 2 && f.bbox[3] > y0 - 2))
        labelsAField.add(p);
    }
  }

  for (const entry of outline) {
    if (entry.pageNumber === undefined || entry.title.trim() === '') continue;
    const page = byNumber.get(entry.pageNumber);
    if (page === undefined) continue;
    report.outlineEntries++;
    let match = bestMatch(page, entry, taken, body);
    if (match === undefined || match.score < MIN_OUTLINE_SCORE) {
      match = undefined;
      for (const neighbour of [entry.pageNumber + 1, entry.pageNumber - 1]) {
        const other = byNumber.get(neighbour);
        const found =
          other === undefined ? undefined : bestMatch(other, { ...entry, top: undefined }, taken, body);
        if (found !== undefined && found.score >= MIN_NEIGHBOUR_SCORE) {
          match = found;
          break;
        }
      }
    }
    if (match !== undefined) {
      report.outlineMatched++;
      match.parts.forEach((part, k) => {
        taken.add(part);
        part.role = 'heading';
        if (k === 0) {
          part.headingLevel = entry.level;
          outlineLevel.set(part, entry.level);
        } else {
          part.joinPrevious = 'space';
        }
      });
      continue;
    }
    report.outlineInserted++;
    insertOutlineHeading(page, entry);
  }

  const candidates = styleCandidates(all, body, taken).filter((p) => !labelsAField.has(p));
  const sizes = [...new Set([...candidates, ...outlineLevel.keys()].map((p) => sizeKey(p.fontSize)))].sort(
    (a, b) => b - a,
  );
  const levelOfSize = new Map<number, number>();
  let previous = 0;
  for (const size of sizes) {
    const levels = [...outlineLevel].filter(([p]) => sizeKey(p.fontSize) === size).map(([, level]) => level);
    const level = levels.length > 0 ? mode(levels) : previous + 1;
    levelOfSize.set(size, level);
    previous = level;
  }
  for (const p of candidates) {
    p.role = 'heading';
    p.headingLevel = Math.min(6, levelOfSize.get(sizeKey(p.fontSize)) ?? 1);
    report.styleHeadings++;
  }
  // Sub-sections set in the body font ("3.1 Traces" in bold 9 pt) are headings when the document numbers its
  // larger headings too: a short line of its own with a dotted number.
  const numberedSections = candidates.some((p) => numberingDepth(p.text) === 1);
  const subsections = numberedSections ? bodySizeSubsections(all, body, taken, candidates) : [];
  for (const p of subsections) {
    p.role = 'heading';
    p.headingLevel = 6;
    report.styleHeadings++;
  }
  nestNumbered([...candidates, ...subsections]);
  return report;
}

const SUBSECTION = /^\d{1,3}(?:\.\d{1,3}){1,4}\.?\s+\p{Lu}/u;

function bodySizeSubsections(
  all: readonly Paragraph[],
  body: number,
  taken: Set<Paragraph>,
  candidates: readonly Paragraph[],
): Paragraph[] {
  const chosen = new Set(candidates);
  return all.filter((p) => {
    if (!indexable(p) || taken.has(p) || chosen.has(p) || p.fontSize === undefined || p.bbox === undefined)
      return false;
    const text = p.text.trim();
    const singleLine = p.bbox[3] - p.bbox[1] < 2 * p.fontSize;
    return (
      singleLine &&
      Math.abs(p.fontSize - body) <= 0.15 * body &&
      SUBSECTION.test(text) &&
      text.length <= 80 &&
      text.split(/\s+/).length <= 10 &&
      !/[.:;,]$/.test(text)
    );
  });
}

function styleCandidates(all: readonly Paragraph[], body: number, taken: Set<Paragraph>): Paragraph[] {
  if (body <= 0) return [];
  const totalChars = all.reduce((n, p) => n + (indexable(p) ? p.text.length : 0), 0);
  const charsBySize = new Map<number, number>();
  for (const p of all) {
    if (!indexable(p)) continue;
    const size = sizeKey(p.fontSize);
    charsBySize.set(size, (charsBySize.get(size) ?? 0) + p.text.length);
  }
  return all.filter((p) => {
    if (!indexable(p) || taken.has(p) || p.fontSize === undefined || p.joinPrevious !== undefined)
      return false;
    if (p.fontSize < body * HEADING_RATIO) return false;
    const text = p.text.trim();
    if (text.length > MAX_HEADING_CHARS || text.split(/\s+/).length > MAX_HEADING_WORDS) return false;
    // A line ending in a colon introduces what follows (a label, a list): not a heading unless the outline says.
    if (!/\p{L}/u.test(text) || /[:：]$/u.test(text)) return false;
    return (charsBySize.get(sizeKey(p.fontSize)) ?? 0) <= MAX_HEADING_STYLE_SHARE * totalChars;
  });
}

/** Style headings with a numbering nest by it: "2.1" one level under the level of the "1", "2", ... headings. */
function nestNumbered(headings: readonly Paragraph[]): void {
  const numbered = headings.flatMap((p) => {
    const depth = numberingDepth(p.text);
    return depth === undefined ? [] : [{ p, depth }];
  });
  if (numbered.length < 2) return;
  const minDepth = Math.min(...numbered.map((n) => n.depth));
  const topLevels = numbered.filter((n) => n.depth === minDepth).map((n) => n.p.headingLevel ?? 1);
  const base = mode(topLevels);
  for (const { p, depth } of numbered) p.headingLevel = Math.min(6, base + depth - minDepth);
}

function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0] ?? 1;
  let bestCount = 0;
  for (const [v, c] of counts) {
    if (c > bestCount || (c === bestCount && v < best)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * An outline title that is not printed (a chapter opener drawn as art, a bookmark-only section): it is attached
 * to the first block at or below the destination, or added as the page's only block when the page has none.
 */
function insertOutlineHeading(page: ExtractedPage, entry: OutlineEntry): void {
  const heading = { title: entry.title.trim(), level: entry.level };
  const blocks = page.paragraphs.filter(indexable);
  const top = entry.top;
  const target =
    (top === undefined ? undefined : blocks.find((p) => p.bbox !== undefined && p.bbox[3] >= top - 1)) ??
    blocks[0];
  if (target !== undefined) {
    target.outlineHeadings = [...(target.outlineHeadings ?? []), heading];
    return;
  }
  page.paragraphs.push({
    text: heading.title,
    bbox: undefined,
    role: 'heading',
    headingLevel: heading.level,
    source: 'outline',
  });
}
