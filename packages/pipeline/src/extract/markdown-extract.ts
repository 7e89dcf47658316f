import type { ExtractedDocument, Paragraph } from './extracted-document.ts';
import { decodeText, textDocument } from './text-extract.ts';

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+/;

/**
 * Removes inline markup that would only add noise to chunks and embeddings: emphasis, inline code ticks,
 * images and links (their text stays), HTML tags. Deliberately light: a full CommonMark renderer is not needed
 * to recover readable text.
 */
export function stripInlineMarkdown(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])/g, '$2')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Markdown: ATX (`# Title`) and setext (underlined) headings become headings; fenced code blocks are kept
 * verbatim as one paragraph each; list items and blank-line separated blocks become paragraphs. The first
 * level-1 heading is the title.
 */
export function extractMarkdown(data: Uint8Array): ExtractedDocument {
  const lines = decodeText(data).split('\n');
  const paragraphs: Paragraph[] = [];
  let block: string[] = [];
  const flush = (): void => {
    const text = stripInlineMarkdown(block.join(' '));
    if (text !== '') paragraphs.push({ text, bbox: undefined });
    block = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = line.match(FENCE);
    if (fence !== null) {
      flush();
      const marker = fence[1] ?? '```';
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i] ?? '').trimStart().startsWith(marker); i++)
        code.push(lines[i] ?? '');
      const text = code.join('\n').trimEnd();
      if (text.trim() !== '') paragraphs.push({ text, bbox: undefined });
      continue;
    }
    const atx = line.match(ATX);
    if (atx !== null) {
      flush();
      const text = stripInlineMarkdown(atx[2] ?? '');
      if (text !== '') paragraphs.push({ text, bbox: undefined, headingLevel: atx[1]?.length });
      continue;
    }
    const underline = line.match(SETEXT);
    if (underline !== null && block.length > 0) {
      const text = stripInlineMarkdown(block.join(' '));
      block = [];
      if (text !== '')
        paragraphs.push({ text, bbox: undefined, headingLevel: underline[1]?.startsWith('=') ? 1 : 2 });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (LIST_ITEM.test(line)) {
      flush();
      block.push(line.replace(LIST_ITEM, ''));
      continue;
    }
    block.push(line.replace(/^ {0,3}>\s?/, ''));
  }
  flush();
  const title = paragraphs.find((p) => p.headingLevel === 1)?.text;
  return textDocument('markdown', paragraphs, title);
}
