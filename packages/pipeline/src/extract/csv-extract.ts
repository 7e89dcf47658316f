import { AegisError } from '@aegis/core';
import { parse } from 'csv-parse/sync';
import type { ExtractedDocument } from './extracted-document.ts';
import { sheetParagraphs } from './sheet-tables.ts';
import { decodeText, textDocument } from './text-extract.ts';

/** Delimiters tried, in order of preference on a tie. */
const DELIMITERS = [',', ';', '\t', '|'];
/** Cells kept at most: a CSV is loaded whole (it is one page), so its size is bounded by its cells. */
const MAX_CELLS = 4_000_000;

/** The delimiter that splits the first lines into the most, and the same number of, fields. */
function sniffDelimiter(text: string): string {
  const lines = text.split('\n', 20).filter((l) => l.trim() !== '');
  let best = ',';
  let bestScore = 0;
  for (const delimiter of DELIMITERS) {
    const counts = lines.map((l) => l.split(delimiter).length - 1);
    const first = counts[0] ?? 0;
    const consistent = counts.filter((c) => c === first).length;
    const score = first === 0 ? 0 : first * consistent;
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

/**
 * CSV / TSV (RFC 4180 via csv-parse: quoted fields, embedded delimiters and line breaks): the delimiter is sniffed
 * from the first lines, the first non-empty row is the header, and rows become table blocks with the header
 * repeated in each.
 *
 * @throws AegisError `UNSUPPORTED_TYPE` (not parseable as CSV), `RESOURCE_LIMIT_EXCEEDED` (too many cells).
 */
export function extractCsv(data: Uint8Array, tabSeparated = false): ExtractedDocument {
  const text = decodeText(data).replace(/^\uFEFF/, '');
  const delimiter = tabSeparated ? '\t' : sniffDelimiter(text);
  let cells = 0;
  let rows: string[][];
  try {
    rows = parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      on_record: (record: string[]) => {
        cells += record.length;
        if (cells > MAX_CELLS) {
          throw new AegisError('RESOURCE_LIMIT_EXCEEDED', `The CSV file has more than ${MAX_CELLS} cells.`, {
            details: { maxCells: MAX_CELLS },
          });
        }
        return record;
      },
    }) as string[][];
  } catch (error) {
    if (error instanceof AegisError) throw error;
    throw new AegisError(
      'UNSUPPORTED_TYPE',
      `The CSV file could not be read (${(error as Error).message}).`,
      {
        cause: error,
      },
    );
  }
  return textDocument('csv', sheetParagraphs(rows), undefined);
}
