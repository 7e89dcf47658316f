import type { BoundingBox, Paragraph } from './extracted-document.ts';
import { type Element, type Fragment, orderElements } from './pdf-columns.ts';
import { detectTables, type Rule } from './pdf-tables.ts';
import { tableParagraph } from './table-markdown.ts';

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

/**
 * Rebuilds lines, columns and paragraphs from positioned text runs.
 *
 * Reading order: runs are grouped into line fragments by baseline and split at wide horizontal gaps, then
 * read column by column and band by band (see `orderElements` in pdf-columns.ts).
 */
export function layoutPage(
  runs: readonly TextRun[],
  images: readonly LayoutImage[],
  rules: readonly Rule[] = [],
): PageLayout {
  const fragments = buildFragments(runs);
  const tables = detectTables(fragments, rules);
  const inTable = new Set(tables.flatMap((t) => [...t.fragments]));
  const elements: Element[] = fragments.filter((f) => !inTable.has(f));
  images.forEach((image, index) => {
    const [x0, top, x1, bottom] = image.bbox;
    elements.push({ kind: 'image', index, x0, x1, top, bottom });
  });
  tables.forEach((table, index) => {
    const [x0, top, x1, bottom] = table.bbox;
    elements.push({ kind: 'table', index, x0, x1, top, bottom });
  });
  const ordered = orderElements(elements, '', 0);
  const lines: Line[] = [];
  const imageAfterLine = new Array<number>(images.length).fill(0);
  const tableAfterLine = new Array<number>(tables.length).fill(0);
  for (const { element, column } of ordered) {
    if (element.kind === 'image') {
      imageAfterLine[element.index] = lines.length;
      continue;
    }
    if (element.kind === 'table') {
      tableAfterLine[element.index] = lines.length;
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
  const built = buildParagraphs(lines);
  // Tables go between the paragraphs by the line they stand before (ahead of a paragraph starting there).
  const placed = [
    ...built.paragraphs.map((paragraph, i) => ({ paragraph, at: built.firstLine[i] ?? 0 })),
    ...tables.map((table, i) => ({
      paragraph: tableParagraph(table.rows, 1, { bbox: table.bbox, fontSize: undefined }),
      at: (tableAfterLine[i] ?? 0) - 0.5,
    })),
  ].sort((a, b) => a.at - b.at);
  const paragraphs = placed.map((p) => p.paragraph);
  // An image stands after every block that started before it in reading order.
  const imageAfterParagraph = imageAfterLine.map(
    (lineIndex) => placed.filter((p) => p.at < lineIndex).length,
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
    // The gap is measured from the last visible run: pdf.js fills wide gaps with whitespace items whose width
    // spans the gap, which would otherwise glue table cells and columns together.
    let prev: TextRun | undefined;
    for (const run of cluster) {
      const blank = run.text.trim() === '';
      if (
        !blank &&
        prev !== undefined &&
        run.x0 - prev.x1 > FRAGMENT_GAP * Math.max(prev.fontSize, run.fontSize)
      ) {
        fragments.push(toFragment(group, lineId));
        group = [];
      }
      group.push(run);
      if (!blank) prev = run;
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
    if (prev !== undefined && isOverdraw(prev, run)) continue;
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

/**
 * Fake bold draws the same run twice (or more), a hair apart, so the copies cover almost the same span. Two
 * equal glyphs side by side ("１１", "ll") only touch: they are distinct text and both are kept.
 */
export function isOverdraw(prev: TextRun, run: TextRun): boolean {
  if (prev.text !== run.text) return false;
  const width = Math.min(prev.x1 - prev.x0, run.x1 - run.x0);
  if (width <= 0) return Math.abs(prev.x0 - run.x0) < 0.05 * run.fontSize;
  const overlap = Math.min(prev.x1, run.x1) - Math.max(prev.x0, run.x0);
  return overlap >= 0.7 * width && Math.abs(prev.x0 - run.x0) < 0.25 * run.fontSize;
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
