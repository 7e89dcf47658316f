import { tableRowMarkdown, tableToMarkdown } from '../extract/table-markdown.ts';
import type { ChunkInputPage, ChunkInputParagraph } from './chunk.ts';
import { tokenCount, tokenCountWithin } from './tokenizer.ts';

/**
 * Tables over `targetTokens` become several tables of whole rows, each with the header rows repeated, so no
 * chunk holds half a row or rows without the header that names their columns. The parts are ordinary table
 * blocks in the canonical text; paragraphs without cells are left as they are.
 */
export function splitLongTables(pages: ChunkInputPage[], targetTokens: number): ChunkInputPage[] {
  let changed = false;
  const result = pages.map((page) => {
    if (!page.paragraphs.some((p) => p.role === 'table' && p.table !== undefined)) return page;
    const paragraphs: ChunkInputParagraph[] = [];
    // Figures count paragraphs before them: a split table must still count as one for them.
    const shift: number[] = [];
    for (const paragraph of page.paragraphs) {
      const parts = paragraph.role === 'table' ? tableParts(paragraph, targetTokens) : [paragraph];
      shift.push(parts.length - 1);
      paragraphs.push(...parts);
    }
    if (paragraphs.length === page.paragraphs.length) return page;
    changed = true;
    const figures = page.figures.map((figure) => {
      const before = Math.max(0, Math.min(Math.floor(figure.afterParagraph) || 0, shift.length));
      const added = shift.slice(0, before).reduce((n, k) => n + k, 0);
      return { ...figure, afterParagraph: before + added };
    });
    return { ...page, paragraphs, figures };
  });
  return changed ? result : pages;
}

function tableParts(paragraph: ChunkInputParagraph, targetTokens: number): ChunkInputParagraph[] {
  const table = paragraph.table;
  if (table === undefined || table.rows.length <= 1) return [paragraph];
  if (tokenCountWithin(paragraph.text, targetTokens) !== undefined) return [paragraph];
  const headerRows = Math.max(1, Math.min(table.headerRows, table.rows.length - 1));
  const header = table.rows.slice(0, headerRows);
  const body = table.rows.slice(headerRows);
  const parts: ChunkInputParagraph[] = [];
  let group: string[][] = [];
  const emit = (): void => {
    const rows = [...header, ...group];
    parts.push({ ...paragraph, text: tableToMarkdown(rows, headerRows), table: { rows, headerRows } });
    group = [];
  };
  // Rows are costed once each (a line and its newline); re-tokenizing every growing part would be quadratic.
  const width = Math.max(...table.rows.map((r) => r.length));
  const headerTokens = tokenCount(tableToMarkdown(header, headerRows));
  let tokens = headerTokens;
  for (const row of body) {
    const rowTokens = tokenCount(tableRowMarkdown(row, width)) + 1;
    if (group.length > 0 && tokens + rowTokens > targetTokens) {
      emit();
      tokens = headerTokens;
    }
    group.push(row);
    tokens += rowTokens;
  }
  if (group.length > 0) emit();
  // Only the first part keeps a join to what came before it.
  return parts.map((part, i) =>
    i === 0 ? part : { ...part, joinPrevious: undefined, outlineHeadings: undefined },
  );
}
