import type { BoundingBox } from './extracted-document.ts';
import type { Fragment } from './pdf-columns.ts';

// Tables in born-digital PDFs, from positioned text and ruling lines. Rows are lines of text that break into
// two or more fragments at wide gaps; a run of such rows whose fragments line up in columns (a vertical strip
// that no fragment of the run crosses separates two columns) is a table. Ruling lines, when the page has
// them, decide the rows: text between two horizontal rules is one row, so cells that wrap onto several lines
// stay one cell. Prose in two or three columns also lines up, so runs whose cells read like prose (long
// fragments, many words) are not tables.

/** A horizontal or vertical ruling line, in top-left page coordinates (points). */
export interface Rule {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A detected table: its cells row by row and the fragments it consumed. */
export interface DetectedTable {
  rows: string[][];
  bbox: BoundingBox;
  fragments: Set<Fragment>;
}

/** Rows a table needs at least (two when ruling lines frame it). */
const MIN_ROWS = 3;
/** Consecutive rows further apart than this many font sizes belong to different tables. */
const MAX_ROW_GAP = 3;
/** Cells with more words than this on average read as prose lines, not table cells (ruled tables: 12). */
const MAX_WORDS_PER_CELL = 4.5;
const MAX_WORDS_PER_RULED_CELL = 12;
/** Unruled cells longer than this on average (characters) are lines of prose. */
const MAX_CHARS_PER_CELL = 40;
/** Any table: a column whose printed lines average more characters than this is running text. */
const MAX_CHARS_PER_CELL_LINE = 50;
/** An unruled grid with fewer filled cells than this share is labels of a diagram, not a table. */
const MIN_FILLED = 0.6;
/** A two-column "table" whose cells are this wide (share of its width) is two columns of text. */
const MAX_TWO_COLUMN_CELL_SHARE = 0.35;

interface Row {
  lineId: number;
  fragments: Fragment[];
  top: number;
  bottom: number;
  fontSize: number;
}

/** Horizontal rules of a page, longest-first not needed: sorted top to bottom. */
function horizontal(rules: readonly Rule[]): Rule[] {
  return rules.filter((r) => r.y1 - r.y0 <= 2 && r.x1 - r.x0 >= 10).sort((a, b) => a.y0 - b.y0);
}

/**
 * Finds the tables among a page's fragments. Fragments of a table are returned in its `fragments` set so the
 * layout reads them as one block (a Markdown table) instead of as text lines or as columns of the page.
 */
export function detectTables(fragments: readonly Fragment[], rules: readonly Rule[] = []): DetectedTable[] {
  const byLine = new Map<number, Fragment[]>();
  for (const f of fragments) {
    // Control codes (undecodable fonts) are nothing visible: they make no cell.
    if (!/[^\s\p{Cc}]/u.test(f.text)) continue;
    const list = byLine.get(f.lineId);
    if (list === undefined) byLine.set(f.lineId, [f]);
    else list.push(f);
  }
  const rows: Row[] = [...byLine]
    .map(([lineId, list]) => ({
      lineId,
      fragments: list.sort((a, b) => a.x0 - b.x0),
      top: Math.min(...list.map((f) => f.top)),
      bottom: Math.max(...list.map((f) => f.bottom)),
      fontSize: Math.max(...list.map((f) => f.fontSize)),
    }))
    .sort((a, b) => a.top - b.top);
  const hRules = horizontal(rules);

  const tables: DetectedTable[] = [];
  let run: Row[] = [];
  const close = (): void => {
    const table = tableOf(run, hRules);
    if (table !== undefined) tables.push(table);
    run = [];
  };
  for (const row of rows) {
    const previous = run.at(-1);
    // Rows of one table are close and set in one size: a heading below a figure's labels starts something new.
    const near =
      previous !== undefined &&
      row.top - previous.bottom <= MAX_ROW_GAP * row.fontSize &&
      Math.abs(row.fontSize - previous.fontSize) <= 0.15 * Math.max(row.fontSize, previous.fontSize);
    // A line of one fragment ends a table: a wrapped cell splits it (a loss), but a full line never joins one,
    // nor a heading of the neighbouring page column (a gain that matters more).
    if (row.fragments.length >= 2) {
      if (previous !== undefined && !near) close();
      run.push(row);
    } else {
      close();
    }
  }
  close();
  return tables;
}

/** Column separators: x positions between the covered strips of all rows' fragments. */
function columnsOf(rows: readonly Row[]): Array<[number, number]> {
  const spans = rows
    .flatMap((r) => r.fragments.map((f): [number, number] => [f.x0, f.x1]))
    .sort((a, b) => a[0] - b[0]);
  const columns: Array<[number, number]> = [];
  for (const [x0, x1] of spans) {
    const last = columns.at(-1);
    if (last !== undefined && x0 <= last[1] + 1) last[1] = Math.max(last[1], x1);
    else columns.push([x0, x1]);
  }
  return columns;
}

function tableOf(run: readonly Row[], rules: readonly Rule[]): DetectedTable | undefined {
  if (run.length < 2) return undefined;
  const top = Math.min(...run.map((r) => r.top));
  const bottom = Math.max(...run.map((r) => r.bottom));
  const x0 = Math.min(...run.flatMap((r) => r.fragments.map((f) => f.x0)));
  const x1 = Math.max(...run.flatMap((r) => r.fragments.map((f) => f.x1)));
  const width = x1 - x0;
  const inside = rules.filter((r) => r.y0 >= top - 20 && r.y0 <= bottom + 20 && r.x1 - r.x0 >= 0.6 * width);
  const ruled = inside.length >= 2;
  // Only a grid rules every row; booktabs-style tables (a rule above, below the header and at the end) do not,
  // and a figure's frame is no evidence at all: only a grid relaxes the tests for prose below.
  const gridded = ruled && inside.length - 1 >= 0.5 * run.length;
  const multi = run.filter((r) => r.fragments.length >= 2);
  if (multi.length < (ruled ? 2 : MIN_ROWS)) return undefined;
  const columns = columnsOf(run);
  if (columns.length < 2) return undefined;
  const cells = run.flatMap((r) => r.fragments);
  // Per printed line, a cell of a grid is as short as its column; a line of prose beside a grid is not.
  for (const [c0, c1] of columnsOf(run)) {
    const lines = cells.filter((f) => (f.x0 + f.x1) / 2 >= c0 && (f.x0 + f.x1) / 2 <= c1);
    const chars = lines.reduce((n, f) => n + f.text.length, 0) / Math.max(1, lines.length);
    if (chars > MAX_CHARS_PER_CELL_LINE) return undefined;
  }
  const words = cells.reduce((n, f) => n + f.text.trim().split(/\s+/).length, 0) / cells.length;
  if (words > (gridded ? MAX_WORDS_PER_RULED_CELL : MAX_WORDS_PER_CELL)) return undefined;
  if (columns.length === 2 && !gridded) {
    const widths = cells.map((f) => f.x1 - f.x0).sort((a, b) => a - b);
    if ((widths[Math.floor(widths.length / 2)] ?? 0) > MAX_TWO_COLUMN_CELL_SHARE * width) return undefined;
  }
  // Rows: between horizontal rules when ruled (a wrapped cell stays one cell), else one per text line.
  const groups: Row[][] = [];
  if (gridded) {
    const cuts = inside.map((r) => (r.y0 + r.y1) / 2).sort((a, b) => a - b);
    const band = (row: Row): number => cuts.filter((y) => y < (row.top + row.bottom) / 2).length;
    for (const row of run) {
      const last = groups.at(-1);
      if (last !== undefined && band(last[0] as Row) === band(row)) last.push(row);
      else groups.push([row]);
    }
  } else {
    for (const row of run) groups.push([row]);
  }
  const rows = groups.map((group) =>
    columns.map(([c0, c1]) =>
      group
        .flatMap((row) => row.fragments.filter((f) => (f.x0 + f.x1) / 2 >= c0 && (f.x0 + f.x1) / 2 <= c1))
        .map((f) => f.text.trim())
        .join(' '),
    ),
  );
  const filled = rows.reduce((n, row) => n + row.filter((c) => c !== '').length, 0);
  if (!gridded && filled < MIN_FILLED * rows.length * columns.length) return undefined;
  // A column of prose beside a figure or a sidebar lines up too: no column may read like running text.
  const limit = gridded ? MAX_WORDS_PER_RULED_CELL : MAX_WORDS_PER_CELL + 1.5;
  for (let c = 0; c < columns.length; c++) {
    const texts = rows.map((row) => row[c] ?? '').filter((t) => t !== '');
    const mean = texts.reduce((n, t) => n + t.split(/\s+/).length, 0) / Math.max(1, texts.length);
    const chars = texts.reduce((n, t) => n + t.length, 0) / Math.max(1, texts.length);
    if (mean > limit || (!gridded && chars > MAX_CHARS_PER_CELL)) return undefined;
    // Text that runs on from row to row ("... previewing PDF" / "documents.") is a paragraph, not cells.
    if (!gridded && texts.length >= 2) {
      let flows = 0;
      for (let r = 1; r < texts.length; r++) {
        const before = texts[r - 1] as string;
        const long = before.split(/\s+/).length >= 3;
        if (long && /[\p{Ll},-]$/u.test(before) && /^\p{Ll}/u.test(texts[r] as string)) flows++;
      }
      if (flows >= Math.max(1, (texts.length - 1) / 3)) return undefined;
    }
  }
  return { rows, bbox: [x0, top, x1, bottom], fragments: new Set(cells) };
}
