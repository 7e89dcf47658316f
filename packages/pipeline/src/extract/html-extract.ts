import { Parser } from 'htmlparser2';
import type { ExtractedDocument, Paragraph } from './extracted-document.ts';
import { tableParagraph } from './table-markdown.ts';
import { textDocument } from './text-extract.ts';

/** Elements whose text becomes its own paragraph. */
const BLOCKS = new Set([
  'p',
  'li',
  'td',
  'th',
  'pre',
  'blockquote',
  'dt',
  'dd',
  'figcaption',
  'caption',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'aside',
  'nav',
  'tr',
  'table',
  'ul',
  'ol',
  'dl',
  'form',
  'br',
  'hr',
]);
const HEADINGS: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };
/** Contents that are code, styling or metadata, never document text. */
const DROPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'iframe', 'object']);

/**
 * HTML via htmlparser2 (streaming, tolerant of broken markup): h1-h6 become headings, block elements
 * (p, li, td, pre, ...) paragraphs, script/style and similar are dropped, `<title>` is the title. Whitespace is
 * collapsed except inside `<pre>`.
 */
export function extractHtml(html: string, kind: ExtractedDocument['kind'] = 'html'): ExtractedDocument {
  const paragraphs: Paragraph[] = [];
  let buffer = '';
  // Tables are kept as tables: cells collected row by row (text of a nested table goes into its cell).
  let table:
    | { rows: string[][]; row: string[] | undefined; cell: string | undefined; header: boolean }
    | undefined;
  let tableDepth = 0;
  let headingLevel: number | undefined;
  let dropped = 0;
  let pre = 0;
  let inTitle = false;
  let title = '';
  const flush = (): void => {
    const text = pre > 0 ? buffer.replace(/^\n+|\s+$/g, '') : buffer.replace(/\s+/g, ' ').trim();
    if (text !== '')
      paragraphs.push({ text, bbox: undefined, ...(headingLevel === undefined ? {} : { headingLevel }) });
    buffer = '';
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        if (DROPPED.has(name)) dropped++;
        if (dropped > 0) return;
        if (name === 'table') {
          tableDepth++;
          if (tableDepth === 1) {
            flush();
            table = { rows: [], row: undefined, cell: undefined, header: false };
            return;
          }
        }
        if (table !== undefined) {
          if (tableDepth === 1 && name === 'tr') table.row = [];
          else if (tableDepth === 1 && (name === 'td' || name === 'th')) {
            table.cell = '';
            if (name === 'th' && table.rows.length === 0) table.header = true;
          } else if (table.cell !== undefined && (BLOCKS.has(name) || HEADINGS[name] !== undefined))
            table.cell += ' ';
          return;
        }
        const level = HEADINGS[name];
        if (level !== undefined || BLOCKS.has(name)) {
          flush();
          if (level !== undefined) headingLevel = level;
        }
        if (name === 'pre') pre++;
      },
      ontext(text) {
        if (inTitle) title += text;
        else if (dropped === 0 && table !== undefined) {
          if (table.cell !== undefined) table.cell += text;
        } else if (dropped === 0) buffer += text;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        if (DROPPED.has(name)) {
          dropped = Math.max(0, dropped - 1);
          return;
        }
        if (dropped > 0) return;
        if (table !== undefined) {
          if (name === 'table') tableDepth = Math.max(0, tableDepth - 1);
          if (tableDepth === 0) {
            const rows = table.rows.filter((r) => r.some((c) => c !== ''));
            if (rows.length > 0) paragraphs.push(tableParagraph(rows, 1));
            table = undefined;
          } else if (tableDepth === 1 && (name === 'td' || name === 'th') && table.cell !== undefined) {
            table.row ??= [];
            table.row.push(table.cell.replace(/\s+/g, ' ').trim());
            table.cell = undefined;
          } else if (tableDepth === 1 && name === 'tr' && table.row !== undefined) {
            table.rows.push(table.row);
            table.row = undefined;
          }
          return;
        }
        if (HEADINGS[name] !== undefined || BLOCKS.has(name)) {
          flush();
          headingLevel = undefined;
        }
        if (name === 'pre') pre = Math.max(0, pre - 1);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  flush();
  // An unclosed table at the end of a truncated file still counts.
  if (table !== undefined && table.rows.length > 0) paragraphs.push(tableParagraph(table.rows, 1));
  const cleanTitle = title.replace(/\s+/g, ' ').trim();
  return textDocument(
    kind,
    paragraphs,
    cleanTitle === '' ? paragraphs.find((p) => p.headingLevel === 1)?.text : cleanTitle,
  );
}
