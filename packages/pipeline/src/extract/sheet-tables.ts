import type { Paragraph } from './extracted-document.ts';
import { tableParagraph } from './table-markdown.ts';

/** Rows per table block: a long sheet is several tables, each under the sheet's header row. */
const ROWS_PER_BLOCK = 200;

/**
 * A sheet's (or a CSV file's) rows as table blocks: empty rows and trailing empty columns dropped, the first
 * non-empty row as the header of every block, so each block (and each chunk cut from it) names its columns.
 */
export function sheetParagraphs(rows: readonly string[][]): Paragraph[] {
  const kept = rows.filter((row) => row.some((cell) => cell.trim() !== ''));
  if (kept.length === 0) return [];
  let width = 0;
  for (const row of kept) {
    let last = row.length;
    while (last > 0 && (row[last - 1] ?? '').trim() === '') last--;
    width = Math.max(width, last);
  }
  const trimmed = kept.map((row) => Array.from({ length: width }, (_, i) => row[i] ?? ''));
  const [header, ...body] = trimmed as [string[], ...string[][]];
  if (body.length === 0) return [tableParagraph([header], 1)];
  const blocks: Paragraph[] = [];
  for (let i = 0; i < body.length; i += ROWS_PER_BLOCK) {
    blocks.push(tableParagraph([header, ...body.slice(i, i + ROWS_PER_BLOCK)], 1));
  }
  return blocks;
}
