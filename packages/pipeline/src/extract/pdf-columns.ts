import type { TextRun } from './pdf-layout.ts';

// Column and band detection: the reading order of a page's text fragments and images.

/** Runs on one visual line with no wide gap between them. */
export interface Fragment {
  kind: 'text';
  runs: TextRun[];
  text: string;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
  baseline: number;
  fontSize: number;
  /** Index of the baseline cluster; fragments with the same id share a visual line. */
  lineId: number;
}

/** An image placed among the text, by its box. */
export interface ImageElement {
  kind: 'image';
  index: number;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
}

/** A detected table, placed in reading order as one block by its box. */
export interface TableElement {
  kind: 'table';
  index: number;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
}

export type Element = Fragment | ImageElement | TableElement;

const MAX_COLUMN_DEPTH = 4;
/** A blank strip across the whole text width this tall (in body font sizes) separates bands. */
const BAND_GAP = 1.5;

export interface Gutter {
  x0: number;
  x1: number;
}

/** An element and the column (a path such as `/0L/B1`) it was read from. */
export interface Ordered {
  element: Element;
  column: string;
}

/**
 * Reading order: a page (or a column, recursively) is multi-column when a vertical gutter crosses few
 * fragments while both sides hold text over a good part of the height. Fragments crossing the gutter (titles,
 * wide captions, wide figures) cut the page into bands; each band is read left column first, then right.
 * Without a gutter, full-width blank strips cut the page into bands searched again.
 */
export function orderElements(elements: readonly Element[], column: string, depth: number): Ordered[] {
  const text = elements.filter((e): e is Fragment => e.kind === 'text');
  const gutter = depth < MAX_COLUMN_DEPTH ? findGutter(text) : undefined;
  if (gutter === undefined) {
    // Columns may exist only in part of the page (below a full-width figure): cut the page at full-width
    // blank strips and look for columns in each band.
    const bands = depth < MAX_COLUMN_DEPTH ? splitBands(elements) : [];
    if (bands.length > 1)
      return bands.flatMap((band, i) => orderElements(band, `${column}/B${i}`, depth + 1));
    return [...elements].sort(compareTopDown).map((element) => ({ element, column }));
  }
  const crosses = (e: Element): boolean => e.x0 < gutter.x0 - 1 && e.x1 > gutter.x1 + 1;
  const spanning = elements.filter(crosses).sort(compareTopDown);
  const bands: Element[][] = spanning.map(() => []);
  bands.push([]);
  for (const element of elements) {
    if (crosses(element)) continue;
    const centre = (element.top + element.bottom) / 2;
    const band = spanning.filter((s) => (s.top + s.bottom) / 2 < centre).length;
    bands[band]?.push(element);
  }
  const result: Ordered[] = [];
  bands.forEach((band, i) => {
    const left = band.filter((e) => (e.x0 + e.x1) / 2 < (gutter.x0 + gutter.x1) / 2);
    const right = band.filter((e) => (e.x0 + e.x1) / 2 >= (gutter.x0 + gutter.x1) / 2);
    result.push(...orderElements(left, `${column}/${i}L`, depth + 1));
    result.push(...orderElements(right, `${column}/${i}R`, depth + 1));
    const cut = spanning[i];
    if (cut !== undefined) result.push({ element: cut, column: `${column}/S` });
  });
  return result;
}

/** Splits elements at horizontal blank strips taller than {@link BAND_GAP} font sizes, top to bottom. */
function splitBands(elements: readonly Element[]): Element[][] {
  const sizes = elements.flatMap((e) => (e.kind === 'text' ? [e.fontSize] : [])).sort((a, b) => a - b);
  const gap = BAND_GAP * (sizes[Math.floor(sizes.length / 2)] ?? 10);
  const sorted = [...elements].sort((a, b) => a.top - b.top);
  const bands: Element[][] = [];
  let bottom = -Infinity;
  for (const element of sorted) {
    const current = bands.at(-1);
    if (current === undefined || element.top - bottom > gap) bands.push([element]);
    else current.push(element);
    bottom = Math.max(bottom, element.bottom);
  }
  return bands;
}

function sortKey(e: Element): number {
  return e.kind === 'text' ? e.baseline : e.top;
}

function compareTopDown(a: Element, b: Element): number {
  if (a.kind === 'text' && b.kind === 'text' && a.lineId === b.lineId) return a.x0 - b.x0;
  return sortKey(a) - sortKey(b) || a.x0 - b.x0;
}

/**
 * Finds a column gutter: the widest vertical strip in the middle 70% of the text that the fragments beside it
 * do not cross over most of the text's height. Fragments that do cross (a title, an author block, a wide
 * caption) may cover up to half the height, so a two-column page under a full-width header still counts.
 * Returns undefined for single-column text, and when either side has too little text to be a column.
 */
export function findGutter(fragments: readonly Fragment[]): Gutter | undefined {
  if (fragments.length < 8) return undefined;
  const minX = Math.min(...fragments.map((f) => f.x0));
  const maxX = Math.max(...fragments.map((f) => f.x1));
  const span = maxX - minX;
  if (span < 100) return undefined;
  const top = Math.min(...fragments.map((f) => f.top));
  const height = Math.max(...fragments.map((f) => f.bottom)) - top;
  const binWidth = Math.max(1, span / 2000);
  const bins = Math.ceil(span / binWidth);
  // Height of text crossing each x: a column is mostly covered, a gutter only by what spans the columns.
  const coverage = new Array<number>(bins).fill(0);
  for (const f of fragments) {
    const from = Math.max(0, Math.floor((f.x0 - minX) / binWidth));
    const to = Math.min(bins - 1, Math.ceil((f.x1 - minX) / binWidth));
    const h = f.bottom - f.top + 0.6 * f.fontSize;
    for (let b = from; b <= to; b++) coverage[b] = (coverage[b] ?? 0) + h;
  }
  const allowed = 0.4 * height;
  const sizes = fragments.map((f) => f.fontSize).sort((a, b) => a - b);
  const medianSize = sizes[Math.floor(sizes.length / 2)] ?? 10;
  const minWidth = Math.max(6, 0.6 * medianSize);
  const zoneFrom = Math.floor((0.15 * span) / binWidth);
  const zoneTo = Math.ceil((0.85 * span) / binWidth);
  let best: Gutter | undefined;
  let runStart = -1;
  for (let b = zoneFrom; b <= zoneTo + 1; b++) {
    const open = b <= zoneTo && (coverage[b] ?? Infinity) <= allowed;
    if (open && runStart < 0) runStart = b;
    if (!open && runStart >= 0) {
      const candidate = { x0: minX + runStart * binWidth, x1: minX + b * binWidth };
      runStart = -1;
      if (candidate.x1 - candidate.x0 < minWidth) continue;
      if (best !== undefined && width(candidate) <= width(best)) continue;
      if (isGutter(fragments, candidate, height)) best = candidate;
    }
  }
  return best;
}

function isGutter(fragments: readonly Fragment[], gutter: Gutter, textHeight: number): boolean {
  const centre = (gutter.x0 + gutter.x1) / 2;
  const crossing = fragments.filter((f) => f.x0 < centre && f.x1 > centre);
  // Each crossing line also blocks the leading around it, hence the padding.
  const covered = unionLength(crossing.map((f) => [f.top - 0.3 * f.fontSize, f.bottom + 0.3 * f.fontSize]));
  if (covered > 0.5 * textHeight) return false;
  const left = fragments.filter((f) => f.x1 <= gutter.x0 + 1);
  const right = fragments.filter((f) => f.x0 >= gutter.x1 - 1);
  const minSide = Math.max(3, 0.1 * fragments.length);
  if (left.length < minSide || right.length < minSide) return false;
  const extent = (side: Fragment[]): number =>
    Math.max(...side.map((f) => f.bottom)) - Math.min(...side.map((f) => f.top));
  return extent(left) >= 0.25 * textHeight && extent(right) >= 0.25 * textHeight;
}

function unionLength(intervals: Array<[number, number]>): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of intervals) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

function width(g: Gutter): number {
  return g.x1 - g.x0;
}
