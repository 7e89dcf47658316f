import type { Paragraph, TableData } from './extracted-document.ts';

/** A cell as one Markdown table cell: whitespace collapsed, pipes escaped, empty cells kept empty. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

/** One Markdown table line, `| a | b |`, padded with empty cells to `width`. */
export function tableRowMarkdown(row: readonly string[], width: number): string {
  return `| ${Array.from({ length: Math.max(1, width) }, (_, i) => cell(row[i] ?? '')).join(' | ')} |`;
}

/**
 * GitHub-flavoured Markdown for a table: one line per row, `| a | b |`, with the separator line after the
 * header (the first row when `headerRows` is 0, since Markdown tables always have one). Rows are padded to the
 * widest row. Header rows after the first are written as body rows under it (Markdown has one header line).
 */
export function tableToMarkdown(rows: readonly (readonly string[])[], headerRows: number): string {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const line = (row: readonly string[]): string => tableRowMarkdown(row, width);
  const [first, ...rest] = rows;
  const header = first === undefined ? line([]) : line(first);
  const separator = `| ${Array.from({ length: width }, () => '---').join(' | ')} |`;
  void headerRows;
  return [header, separator, ...rest.map(line)].join('\n');
}

/** A `table` paragraph: Markdown text plus its cells. */
export function tableParagraph(
  rows: string[][],
  headerRows: number,
  extra: Omit<Paragraph, 'text' | 'role' | 'table'> = { bbox: undefined },
): Paragraph {
  const table: TableData = { rows, headerRows: Math.max(1, Math.min(headerRows, rows.length)) };
  return { ...extra, text: tableToMarkdown(rows, table.headerRows), role: 'table', table };
}
