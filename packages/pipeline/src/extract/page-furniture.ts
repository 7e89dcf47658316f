import type { BoundingBox, ExtractedPage, Paragraph } from './extracted-document.ts';

// Page furniture: running heads, running feet, page numbers, and watermarks or URLs stamped on every page. It
// is found across pages, never on one page alone: a block is furniture when the same text (with its page
// number removed) stands at about the same height on several pages, or when it is only a page number in the
// top or bottom margin. Furniture stays on the page (as metadata) but is never indexed.

/** Share of the page height at the top and at the bottom where running heads and feet stand. */
const MARGIN_ZONE = 0.14;
/** Repeated text this far apart vertically (share of page height) is still "at the same place". */
const SAME_PLACE = 0.03;
/** A repeated block anywhere on the page (watermark, download stamp) needs this share of the pages. */
const WATERMARK_SHARE = 0.5;
/** Longer blocks are body text however often they repeat (a boilerplate paragraph is still content). */
const MAX_FURNITURE_CHARS = 160;

const PAGE_NUMBER =
  /^[\s\-–—|([]*(?:(?:page|p\.|pg\.?|seite|página|pagina)\s*)?(?:\d{1,5}|[ivxlcdm]{1,8})(?:\s*(?:of|\/|von|de)\s*\d{1,5})?[\s\-–—|)\]]*$/iu;

/** The text a running head keeps from page to page: digits and roman page numbers removed, case folded. */
export function furnitureKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\b[ivxlcdm]{1,8}\b(?=\s*$)|^\s*[ivxlcdm]{1,8}\b/giu, ' ')
    .replace(/\d+/g, ' ')
    .replace(/[^\p{L}\p{N}@:/.]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True for a block that is only a page number ("12", "- 12 -", "Page 3 of 10", "xiv"). */
export function isPageNumber(text: string): boolean {
  return PAGE_NUMBER.test(text.trim());
}

type Zone = 'top' | 'bottom' | 'body';

/** Text set smaller than this (points) is no text a reader sees: a producer's stamp ("Powered by …" at 1 pt). */
const MICROSCOPIC_PT = 3;

/**
 * Numbers at the start or the end of a line: where running heads and feet put the page number. In "page 3 / 14"
 * or "3 of 14" the page number is the first of the pair.
 */
function edgeNumbers(text: string): number[] {
  const trimmed = text.trim();
  const numbers: number[] = [];
  const first = trimmed.match(/^(\d{1,5})\b/);
  const last = trimmed.match(/\b(\d{1,5})$/);
  const ofTotal = trimmed.match(/\b(\d{1,5})\s*(?:of|\/|von|de)\s*\d{1,5}$/iu);
  if (first !== null) numbers.push(Number(first[1]));
  if (last !== null) numbers.push(Number(last[1]));
  if (ofTotal !== null) numbers.push(Number(ofTotal[1]));
  return numbers;
}

/** printed number − physical page number seen on most margin lines (at least 2 and a third of them). */
function printedNumberOffset(candidates: readonly Candidate[]): number | undefined {
  const counts = new Map<number, number>();
  let lines = 0;
  for (const c of candidates) {
    if (c.zone === 'body') continue;
    const offsets = new Set(edgeNumbers(c.paragraph.text).map((n) => n - c.page.pageNumber));
    if (offsets.size > 0) lines++;
    for (const o of offsets) counts.set(o, (counts.get(o) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [o, n] of counts) {
    if (n > bestCount) {
      best = o;
      bestCount = n;
    }
  }
  return bestCount >= 2 && bestCount >= lines / 3 ? best : undefined;
}

const box = (p: Paragraph): BoundingBox => p.bbox ?? [0, 0, 0, 0];

interface Candidate {
  page: ExtractedPage;
  paragraph: Paragraph;
  key: string;
  zone: Zone;
  /** Vertical centre as a share of the page height. */
  y: number;
  /** True when no other block of the page lies above it (top zone) or below it (bottom zone). */
  outermost: boolean;
}

function normalised(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The members whose edge number is their page number plus the offset most of them share (two at least). */
function pageTracking(group: readonly Candidate[]): Set<Candidate> {
  const byOffset = new Map<number, Candidate[]>();
  for (const c of group) {
    for (const o of new Set(edgeNumbers(c.paragraph.text).map((n) => n - c.page.pageNumber))) {
      byOffset.set(o, [...(byOffset.get(o) ?? []), c]);
    }
  }
  let best: Candidate[] = [];
  for (const members of byOffset.values()) if (members.length > best.length) best = members;
  return new Set(best.length >= 2 ? best : []);
}

function sameSize(a: Paragraph, b: Paragraph): boolean {
  if (a.fontSize === undefined || b.fontSize === undefined) return true;
  return Math.abs(a.fontSize - b.fontSize) <= 0.1 * Math.max(a.fontSize, b.fontSize);
}

/** True when a is set clearly larger than b. */
function setLarger(a: Paragraph, b: Paragraph): boolean {
  if (a.fontSize === undefined || b.fontSize === undefined) return false;
  return a.fontSize > b.fontSize && !sameSize(a, b);
}

function zoneOf(y0: number, y1: number, height: number): Zone {
  if (y1 <= height * MARGIN_ZONE * 1.5 && y0 <= height * MARGIN_ZONE) return 'top';
  if (y0 >= height * (1 - MARGIN_ZONE * 1.5) && y1 >= height * (1 - MARGIN_ZONE)) return 'bottom';
  return 'body';
}

/**
 * Marks running heads and feet, page numbers and repeated stamps with `role: 'furniture'`, in place. Blocks
 * already marked as furniture are judged again, so the pass can be re-run on stored pages.
 *
 * @returns how many blocks are furniture.
 */
export function markFurniture(pages: readonly ExtractedPage[]): number {
  const candidates: Candidate[] = [];
  for (const page of pages) {
    if (page.height <= 0) continue;
    const placed = page.paragraphs.filter(
      (p) => p.bbox !== undefined && p.role !== 'junk' && p.source !== 'outline',
    );
    for (const paragraph of placed) {
      if (paragraph.role === 'furniture') paragraph.role = undefined;
      const [, y0, , y1] = box(paragraph);
      const text = paragraph.text.trim();
      if (text === '' || text.length > MAX_FURNITURE_CHARS || paragraph.role === 'table') continue;
      const zone = zoneOf(y0, y1, page.height);
      const outermost =
        zone === 'top'
          ? placed.every((o) => o === paragraph || box(o)[1] >= y0 - 1)
          : zone === 'bottom'
            ? placed.every((o) => o === paragraph || box(o)[3] <= y1 + 1)
            : false;
      candidates.push({
        page,
        paragraph,
        key: furnitureKey(text),
        zone,
        y: (y0 + y1) / 2 / page.height,
        outermost,
      });
    }
  }

  const byKey = new Map<string, Candidate[]>();
  for (const c of candidates) {
    if (c.key === '') continue;
    const group = byKey.get(c.key);
    if (group === undefined) byKey.set(c.key, [c]);
    else group.push(c);
  }
  const furniture = new Set<Paragraph>();
  const pagesWithText = pages.filter((p) => p.paragraphs.length > 0).length;
  for (const group of byKey.values()) {
    for (const c of group) {
      // Same text at about the same height on other pages: a running head or foot in the margins, a stamp
      // anywhere when it is on most pages. The same style too: a running head with the title of the paper is
      // not the title on page 1.
      const nearby = group.filter((o) => Math.abs(o.y - c.y) <= SAME_PLACE);
      const samePlace = nearby.filter((o) => sameSize(o.paragraph, c.paragraph));
      // Where the texts differ only in their numbers, those numbers must be page numbers: "4.3 The Public
      // Domain" and "5.2 The Public Domain" at the top of two pages are section headings, not a running head.
      const exact = samePlace.filter((o) => normalised(o.paragraph.text) === normalised(c.paragraph.text));
      const tracking = pageTracking(samePlace);
      // The same line without any number, where the others carry their page's number: the page number sits
      // elsewhere on this page (a running foot "12 http://…" on odd pages, bare "http://…" on even ones). The
      // numbered block may be set larger (its number is), but a bigger one is a title, not the running line.
      const numberedAround =
        edgeNumbers(c.paragraph.text).length === 0
          ? pageTracking(nearby.filter((o) => !setLarger(c.paragraph, o.paragraph)))
          : new Set<Candidate>();
      const along = tracking.has(c) ? [...tracking] : numberedAround.size >= 2 ? [...numberedAround, c] : [];
      const repeats = new Set((exact.length >= 2 ? exact : along).map((o) => o.page.pageNumber));
      const inMargin = c.zone !== 'body' && repeats.size >= 2;
      const stamped = repeats.size >= 3 && repeats.size >= WATERMARK_SHARE * pagesWithText;
      if (inMargin || stamped) furniture.add(c.paragraph);
    }
  }
  for (const c of candidates) {
    if (c.outermost && isPageNumber(c.paragraph.text)) furniture.add(c.paragraph);
    // A microscopic line in a margin is a stamp, wherever it repeats or not.
    const size = c.paragraph.fontSize;
    if (c.zone !== 'body' && size !== undefined && size > 0 && size < MICROSCOPIC_PT)
      furniture.add(c.paragraph);
  }
  // A margin line that carries the page's own printed number ("CHAPTER ONE: CREATORS 89") is a running head even
  // where its text appears once (a short chapter). Printed numbers may be offset from the physical page (front
  // matter), so the offset seen most often across the document is used.
  const offset = printedNumberOffset(candidates);
  if (offset !== undefined) {
    for (const c of candidates) {
      if (c.zone !== 'body' && edgeNumbers(c.paragraph.text).includes(c.page.pageNumber + offset))
        furniture.add(c.paragraph);
    }
  }
  // A page number next to furniture that repeats (the "88" of "88 FREE CULTURE" set as its own block) is too.
  for (const c of candidates) {
    if (c.zone === 'body' || furniture.has(c.paragraph) || !isPageNumber(c.paragraph.text)) continue;
    const [, y0, , y1] = box(c.paragraph);
    const beside = c.page.paragraphs.some(
      (n) => furniture.has(n) && Math.abs((box(n)[1] + box(n)[3]) / 2 - (y0 + y1) / 2) < (y1 - y0) * 1.5,
    );
    if (beside) furniture.add(c.paragraph);
  }
  for (const paragraph of furniture) {
    paragraph.role = 'furniture';
    paragraph.headingLevel = undefined;
    paragraph.joinPrevious = undefined;
  }
  return furniture.size;
}
