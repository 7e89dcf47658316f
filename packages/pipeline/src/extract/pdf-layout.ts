import type { BoundingBox, Paragraph } from './extracted-document.ts';

/** One text item from pdf.js, already in top-left page coordinates (points). */
export interface TextRun {
  text: string;
  /** Left and right edge of the run, in points from the page's left edge. */
  x0: number;
  x1: number;
  /** Baseline, in points from the page's top edge. */
  baseline: number;
  /** Font height in points. */
  fontSize: number;
}

/** An image's box, laid out with the text so its place in reading order is known. */
export interface LayoutImage {
  bbox: BoundingBox;
}

/** Paragraphs in reading order, and for each input image how many paragraphs precede it. */
export interface PageLayout {
  paragraphs: Paragraph[];
  imageAfterParagraph: number[];
}

interface Fragment {
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

interface ImageElement {
  kind: 'image';
  index: number;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
}

type Element = Fragment | ImageElement;

interface Line {
  text: string;
  x0: number;
  x1: number;
  top: number;
  bottom: number;
  baseline: number;
  fontSize: number;
  /** Identifies the column the line was read from; lines of one column share it. */
  column: string;
}

// Ratios of the font size; chosen on the pdf.js test corpus (tracemonkey, TAMReview, two_paragraphs).
const SAME_BASELINE = 0.5;
const WORD_GAP = 0.25;
const FRAGMENT_GAP = 1.0;
const ASCENT = 0.8;
const DESCENT = 0.2;
const PARAGRAPH_GAP = 1.2;
const FALLBACK_LINE_SPACING = 1.25;
const INDENT = 0.8;
const FONT_CHANGE = 0.15;
const MAX_COLUMN_DEPTH = 4;
/** A blank strip across the whole text width this tall (in body font sizes) separates bands. */
const BAND_GAP = 1.5;

/**
 * Rebuilds lines, columns and paragraphs from positioned text runs.
 *
 * Reading order: runs are grouped into line fragments by baseline and split at wide horizontal gaps; a page
 * (or a column, recursively) is multi-column when a vertical gutter crosses few fragments while both sides
 * hold text over a good part of the height. Fragments crossing the gutter (titles, wide captions, wide
 * figures) cut the page into bands; each band is read left column first, then right.
 */
export function layoutPage(runs: readonly TextRun[], images: readonly LayoutImage[]): PageLayout {
  const fragments = buildFragments(runs);
  const elements: Element[] = [...fragments];
  images.forEach((image, index) => {
    const [x0, top, x1, bottom] = image.bbox;
    elements.push({ kind: 'image', index, x0, x1, top, bottom });
  });
  const ordered = orderElements(elements, '', 0);
  const lines: Line[] = [];
  const imageAfterLine = new Array<number>(images.length).fill(0);
  for (const { element, column } of ordered) {
    if (element.kind === 'image') {
      imageAfterLine[element.index] = lines.length;
      continue;
    }
    const last = lines.at(-1);
    if (last !== undefined && last.column === column && sameLine(last, element)) {
      last.text = `${last.text} ${element.text}`;
      last.x1 = Math.max(last.x1, element.x1);
      last.top = Math.min(last.top, element.top);
      last.bottom = Math.max(last.bottom, element.bottom);
    } else {
      lines.push({ ...element, column });
    }
  }
  const { paragraphs, firstLine } = buildParagraphs(lines);
  // An image stands after every paragraph that started before it in reading order.
  const imageAfterParagraph = imageAfterLine.map(
    (lineIndex) => firstLine.filter((f) => f < lineIndex).length,
  );
  return { paragraphs, imageAfterParagraph };
}

function sameLine(line: Line, fragment: Fragment): boolean {
  return (
    Math.abs(line.baseline - fragment.baseline) <= SAME_BASELINE * Math.max(line.fontSize, fragment.fontSize)
  );
}

export function buildFragments(runs: readonly TextRun[]): Fragment[] {
  // Whitespace-only runs are kept: some producers mark word gaps only with them.
  const usable = runs.filter((r) => r.text !== '' && Number.isFinite(r.baseline) && r.fontSize > 0);
  usable.sort((a, b) => a.baseline - b.baseline || a.x0 - b.x0);
  const clusters: TextRun[][] = [];
  let anchor: TextRun | undefined;
  for (const run of usable) {
    const current = clusters.at(-1);
    // Compare with the cluster's first (anchor) run so that a long chain of small offsets cannot merge lines.
    if (
      current !== undefined &&
      anchor !== undefined &&
      Math.abs(run.baseline - anchor.baseline) <= SAME_BASELINE * Math.max(run.fontSize, anchor.fontSize)
    ) {
      current.push(run);
      if (run.fontSize > anchor.fontSize) anchor = run;
    } else {
      clusters.push([run]);
      anchor = run;
    }
  }
  const fragments: Fragment[] = [];
  clusters.forEach((cluster, lineId) => {
    cluster.sort((a, b) => a.x0 - b.x0);
    let group: TextRun[] = [];
    for (const run of cluster) {
      const prev = group.at(-1);
      if (prev !== undefined && run.x0 - prev.x1 > FRAGMENT_GAP * Math.max(prev.fontSize, run.fontSize)) {
        fragments.push(toFragment(group, lineId));
        group = [];
      }
      group.push(run);
    }
    if (group.length > 0) fragments.push(toFragment(group, lineId));
  });
  return fragments.filter((f) => f.text !== '');
}

function toFragment(allRuns: TextRun[], lineId: number): Fragment {
  let text = '';
  let prev: TextRun | undefined;
  const runs = allRuns.filter((r) => r.text.trim() !== '');
  for (const run of allRuns) {
    if (run.text.trim() === '') {
      if (text !== '' && !text.endsWith(' ')) text += ' ';
      continue;
    }
    // Fake bold is drawn as the same run twice, a hair apart.
    if (prev !== undefined && prev.text === run.text && Math.abs(prev.x0 - run.x0) < 0.5 * run.fontSize)
      continue;
    if (prev !== undefined) {
      const gap = run.x0 - prev.x1;
      const needsSpace = gap > WORD_GAP * Math.min(prev.fontSize, run.fontSize);
      if (needsSpace && !text.endsWith(' ') && !run.text.startsWith(' ')) text += ' ';
    }
    text += run.text;
    prev = run;
  }
  const fontSize = dominantFontSize(runs);
  const main = runs.find((r) => r.fontSize === fontSize) ?? runs[0];
  const baseline = main?.baseline ?? 0;
  if (runs.length === 0) {
    return {
      kind: 'text',
      runs,
      text: '',
      x0: 0,
      x1: 0,
      top: 0,
      bottom: 0,
      baseline: 0,
      fontSize: 0,
      lineId,
    };
  }
  return {
    kind: 'text',
    runs,
    text: text.replace(/\s+/g, ' ').trim(),
    x0: Math.min(...runs.map((r) => r.x0)),
    x1: Math.max(...runs.map((r) => r.x1)),
    top: Math.min(...runs.map((r) => r.baseline - ASCENT * r.fontSize)),
    bottom: Math.max(...runs.map((r) => r.baseline + DESCENT * r.fontSize)),
    baseline,
    fontSize,
    lineId,
  };
}

/** The font size carrying most characters, so a superscript does not change a line's size. */
function dominantFontSize(runs: readonly TextRun[]): number {
  const weight = new Map<number, number>();
  for (const run of runs) {
    const size = Math.round(run.fontSize * 2) / 2;
    weight.set(size, (weight.get(size) ?? 0) + run.text.length);
  }
  let best = 0;
  let bestWeight = -1;
  for (const [size, w] of weight) {
    if (w > bestWeight || (w === bestWeight && size > best)) {
      best = size;
      bestWeight = w;
    }
  }
  return best;
}

interface Gutter {
  x0: number;
  x1: number;
}

interface Ordered {
  element: Element;
  column: string;
}

function orderElements(elements: readonly Element[], column: string, depth: number): Ordered[] {
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

const SENTENCE_END = /[.!?:;]["')\]]*$/;
const LIST_START = /^(?:[•◦▪‣∙·●○■□–—-]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s)/;

function buildParagraphs(lines: readonly Line[]): { paragraphs: Paragraph[]; firstLine: number[] } {
  const spacing = lineSpacing(lines);
  const columnEdges = new Map<string, { left: number; right: number; count: number }>();
  for (const line of lines) {
    const edges = columnEdges.get(line.column) ?? { left: Infinity, right: -Infinity, count: 0 };
    edges.left = Math.min(edges.left, line.x0);
    edges.right = Math.max(edges.right, line.x1);
    edges.count++;
    columnEdges.set(line.column, edges);
  }
  const body = bodyLineSize(lines);
  const groups: Line[][] = [];
  const firstLine: number[] = [];
  lines.forEach((line, i) => {
    const prev = lines[i - 1];
    const current = groups.at(-1);
    if (
      prev === undefined ||
      current === undefined ||
      startsParagraph(prev, line, spacing, columnEdges, body)
    ) {
      groups.push([line]);
      firstLine.push(i);
    } else {
      current.push(line);
    }
  });
  return { paragraphs: groups.map(toParagraph), firstLine };
}

/** Font size carrying most characters among the lines. */
function bodyLineSize(lines: readonly Line[]): number {
  const weight = new Map<number, number>();
  for (const line of lines) weight.set(line.fontSize, (weight.get(line.fontSize) ?? 0) + line.text.length);
  let best = 0;
  let bestWeight = -1;
  for (const [size, w] of weight) {
    if (w > bestWeight) {
      best = size;
      bestWeight = w;
    }
  }
  return best;
}

function lineSpacing(lines: readonly Line[]): number | undefined {
  const deltas: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1];
    const line = lines[i];
    if (prev === undefined || line === undefined || prev.column !== line.column) continue;
    const delta = line.baseline - prev.baseline;
    if (delta > 0 && delta < 4 * line.fontSize && Math.abs(prev.fontSize - line.fontSize) < 0.5)
      deltas.push(delta);
  }
  // Too few samples say nothing about the document's leading; fall back to a font-size ratio.
  if (deltas.length < 3) return undefined;
  deltas.sort((a, b) => a - b);
  return deltas[Math.floor(deltas.length / 2)];
}

function startsParagraph(
  prev: Line,
  line: Line,
  spacing: number | undefined,
  columns: Map<string, { left: number; right: number; count: number }>,
  body: number,
): boolean {
  const size = Math.max(prev.fontSize, line.fontSize);
  if (Math.abs(prev.fontSize - line.fontSize) > FONT_CHANGE * size) return true;
  if (LIST_START.test(line.text)) return true;
  if (prev.column !== line.column) {
    // A paragraph may continue at the top of the next column: keep it when the sentence is clearly unfinished.
    return SENTENCE_END.test(prev.text) || !/^[\p{Ll}(]/u.test(line.text);
  }
  const delta = line.baseline - prev.baseline;
  if (delta <= 0) return true;
  // Leading grows with the font: scale the body's line spacing for larger (heading, title) lines.
  const expected =
    spacing !== undefined && spacing < 2.5 * line.fontSize
      ? spacing * Math.max(1, line.fontSize / body)
      : FALLBACK_LINE_SPACING * line.fontSize;
  if (delta > PARAGRAPH_GAP * expected) return true;
  const edges = columns.get(line.column);
  // Larger text (titles, headings) is often centred, so its lines start at different x: no indent rule there.
  if (edges !== undefined && edges.count >= 3 && line.fontSize <= body * 1.1) {
    const indented =
      line.x0 - prev.x0 > INDENT * line.fontSize && line.x0 - edges.left > INDENT * line.fontSize;
    if (indented) return true;
    const shortPrev = edges.right - prev.x1 > 3 * prev.fontSize;
    if (shortPrev && SENTENCE_END.test(prev.text)) return true;
  }
  return false;
}

function toParagraph(lines: Line[]): Paragraph {
  let text = '';
  for (const line of lines) {
    if (text === '') text = line.text;
    else if (/\p{L}-$/u.test(text) && /^\p{Ll}/u.test(line.text)) text = text.slice(0, -1) + line.text;
    else text = `${text} ${line.text}`;
  }
  const sizes = lines.map((l) => l.fontSize).sort((a, b) => a - b);
  return {
    text,
    bbox: [
      Math.min(...lines.map((l) => l.x0)),
      Math.min(...lines.map((l) => l.top)),
      Math.max(...lines.map((l) => l.x1)),
      Math.max(...lines.map((l) => l.bottom)),
    ],
    fontSize: sizes[Math.floor(sizes.length / 2)],
  };
}
