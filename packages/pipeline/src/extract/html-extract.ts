import { Parser } from 'htmlparser2';
import type { ExtractedDocument, Paragraph } from './extracted-document.ts';
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
        const level = HEADINGS[name];
        if (level !== undefined || BLOCKS.has(name)) {
          flush();
          if (level !== undefined) headingLevel = level;
        }
        if (name === 'pre') pre++;
      },
      ontext(text) {
        if (inTitle) title += text;
        else if (dropped === 0) buffer += text;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        if (DROPPED.has(name)) {
          dropped = Math.max(0, dropped - 1);
          return;
        }
        if (dropped > 0) return;
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
  const cleanTitle = title.replace(/\s+/g, ' ').trim();
  return textDocument(
    kind,
    paragraphs,
    cleanTitle === '' ? paragraphs.find((p) => p.headingLevel === 1)?.text : cleanTitle,
  );
}
