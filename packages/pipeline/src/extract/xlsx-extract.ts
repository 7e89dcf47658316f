import { AegisError } from '@aegis/core';
import type { ExtractedDocument, ExtractedPage, Paragraph } from './extracted-document.ts';
import { local, missingPart, parsePart, readRelationships, type XmlBudget } from './ooxml-parts.ts';
import { sheetParagraphs } from './sheet-tables.ts';
import { openZipGuarded } from './zip-guard.ts';

const MIB = 1024 * 1024;
/** A workbook's cells and shared strings may be large; media are never read. */
const XLSX_ZIP_LIMITS = { maxEntryBytes: 128 * MIB, maxTotalBytes: 256 * MIB };
/** Elements and characters one workbook may hold (cells are about three elements each). */
const BUDGET: XmlBudget = { elements: 6_000_000, textChars: 128 * MIB };

/** Excel's own limit: columns A..XFD. */
const MAX_COLUMNS = 16_384;
/** Cells (empty ones padded in included) kept per sheet. */
const MAX_CELLS = 4_000_000;

function tooManyCells(part: string): AegisError {
  return new AegisError(
    'RESOURCE_LIMIT_EXCEEDED',
    `The worksheet ${part} spreads over more than ${MAX_CELLS} cells (a crafted or far too large workbook).`,
    { details: { part, maxCells: MAX_CELLS } },
  );
}

/** Column letters of a cell reference ("AB12" -> 27, 0-based). */
function columnIndex(reference: string | undefined): number | undefined {
  const letters = reference?.match(/^[A-Z]+/i)?.[0];
  if (letters === undefined) return undefined;
  let index = 0;
  for (const c of letters.toUpperCase()) index = index * 26 + (c.charCodeAt(0) - 64);
  return index - 1;
}

/**
 * XLSX: every worksheet in workbook order is one page, headed by its name; its rows become table blocks whose
 * first non-empty row is the header, repeated when a long sheet is split. Cell values are what Excel stored:
 * shared and inline strings, numbers, booleans and cached formula results (formulas are not evaluated).
 *
 * @throws AegisError `UNSUPPORTED_TYPE` (not a workbook), `RESOURCE_LIMIT_EXCEEDED` (a bomb in any part).
 */
export async function extractXlsx(
  data: Uint8Array,
  onSheet?: (name: string) => void,
): Promise<ExtractedDocument> {
  const budget: XmlBudget = { ...BUDGET };
  const zip = await openZipGuarded(data, 'Excel workbook', XLSX_ZIP_LIMITS);
  try {
    if (!zip.has('xl/workbook.xml')) throw missingPart('Excel workbook', 'xl/workbook.xml');
    const sheets: Array<{ name: string; id: string }> = [];
    await parsePart(zip, 'xl/workbook.xml', budget, {
      onopentag(name, attributes) {
        if (local(name) !== 'sheet') return;
        const id =
          attributes['r:id'] ??
          Object.entries(attributes).find(([k]) => local(k) === 'id' && k !== 'sheetId')?.[1];
        if (id !== undefined) sheets.push({ name: attributes.name ?? `Sheet ${sheets.length + 1}`, id });
      },
    });
    const targets = await readRelationships(zip, 'xl/workbook.xml', budget);
    const shared: string[] = [];
    if (zip.has('xl/sharedStrings.xml')) {
      let current: string | undefined;
      let inText = false;
      let phonetic = 0;
      await parsePart(zip, 'xl/sharedStrings.xml', budget, {
        onopentag(name) {
          const tag = local(name);
          if (tag === 'si') current = '';
          else if (tag === 'rPh') phonetic++;
          else if (tag === 't' && phonetic === 0) inText = true;
        },
        ontext(text) {
          if (inText && current !== undefined) current += text;
        },
        onclosetag(name) {
          const tag = local(name);
          if (tag === 't') inText = false;
          else if (tag === 'rPh') phonetic--;
          else if (tag === 'si') {
            shared.push(current ?? '');
            current = undefined;
          }
        },
      });
    }
    const pages: ExtractedPage[] = [];
    for (const [index, sheet] of sheets.entries()) {
      const part = targets.get(sheet.id);
      if (part === undefined || !zip.has(part)) continue;
      onSheet?.(sheet.name);
      const rows = await readSheet(zip, part, budget, shared);
      const paragraphs: Paragraph[] = [
        { text: sheet.name, bbox: undefined, headingLevel: 1 },
        ...sheetParagraphs(rows),
      ];
      pages.push({ pageNumber: index + 1, width: 0, height: 0, paragraphs, images: [] });
    }
    return {
      kind: 'xlsx',
      title: undefined,
      pageCount: Math.max(1, pages.length),
      pages,
      outline: pages.map((p) => ({ title: p.paragraphs[0]?.text ?? '', level: 1, pageNumber: p.pageNumber })),
      warnings: [],
    };
  } finally {
    zip.close();
  }
}

async function readSheet(
  zip: Awaited<ReturnType<typeof openZipGuarded>>,
  part: string,
  budget: XmlBudget,
  shared: readonly string[],
): Promise<string[][]> {
  const rows: string[][] = [];
  let cells = 0;
  let row: string[] | undefined;
  let cell: { column: number; type: string; value: string } | undefined;
  let capture = false;
  let nextColumn = 0;
  await parsePart(zip, part, budget, {
    onopentag(name, attributes) {
      const tag = local(name);
      if (tag === 'row') {
        row = [];
        nextColumn = 0;
      } else if (tag === 'c') {
        const column = columnIndex(attributes.r) ?? nextColumn;
        cell = { column, type: attributes.t ?? 'n', value: '' };
        nextColumn = column + 1;
      } else if ((tag === 'v' || tag === 't') && cell !== undefined) capture = true;
    },
    ontext(text) {
      if (capture && cell !== undefined) cell.value += text;
    },
    onclosetag(name) {
      const tag = local(name);
      if (tag === 'v' || tag === 't') capture = false;
      else if (tag === 'c' && cell !== undefined && row !== undefined) {
        const value =
          cell.type === 's'
            ? (shared[Number(cell.value)] ?? '')
            : cell.type === 'b'
              ? cell.value === '1'
                ? 'TRUE'
                : 'FALSE'
              : cell.value;
        // A sheet may skip empty cells; the reference says where this one stands. Padding is counted: cells
        // placed far to the right on every row would otherwise build rows of 16,384 empty strings each.
        if (cell.column < MAX_COLUMNS) {
          cells += Math.max(1, cell.column - row.length + 1);
          if (cells > MAX_CELLS) throw tooManyCells(part);
          while (row.length < cell.column) row.push('');
          row[cell.column] = value.trim();
        }
        cell = undefined;
      } else if (tag === 'row' && row !== undefined) {
        rows.push(row);
        row = undefined;
      }
    },
  });
  return rows;
}
