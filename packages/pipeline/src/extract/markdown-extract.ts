import type { Nodes, Parents, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toString as inlineText } from 'mdast-util-to-string';
import { gfm } from 'micromark-extension-gfm';
import type { ExtractedDocument, Paragraph } from './extracted-document.ts';
import { tableParagraph } from './table-markdown.ts';
import { decodeText, textDocument } from './text-extract.ts';

/** Nesting deeper than this (lists in quotes in lists...) is read flat: a hostile file can nest thousands deep. */
const MAX_DEPTH = 64;

/** Text of inline content with whitespace collapsed: emphasis, code spans, link text and image alt kept. */
function plain(node: Nodes): string {
  return inlineText(node, { includeImageAlt: true, includeHtml: false }).replace(/\s+/g, ' ').trim();
}

/**
 * Markdown through a CommonMark + GFM parser (micromark / mdast): headings (ATX and setext) with their depth,
 * paragraphs, list items one block each (nested items prefixed by their depth so the nesting reads), code blocks
 * verbatim, block quotes, and GFM tables as table blocks (cells and Markdown). Raw HTML contributes its text only.
 * The first level-1 heading is the title.
 */
export function extractMarkdown(data: Uint8Array): ExtractedDocument {
  const tree = fromMarkdown(decodeText(data), { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const paragraphs: Paragraph[] = [];
  const push = (text: string, extra: Partial<Paragraph> = {}): void => {
    if (text.trim() !== '') paragraphs.push({ text, bbox: undefined, ...extra });
  };
  const visit = (nodes: readonly RootContent[], listDepth: number, depth: number): void => {
    for (const node of nodes) {
      switch (node.type) {
        case 'heading':
          push(plain(node), { headingLevel: node.depth });
          break;
        case 'paragraph':
          push(plain(node));
          break;
        case 'code':
          push(node.value.replace(/\s+$/, ''));
          break;
        case 'html':
          push(
            node.value
              .replace(/<[^>]*>/g, ' ')
              .replace(/\s+/g, ' ')
              .trim(),
          );
          break;
        case 'table': {
          const rows = node.children.map((row) => row.children.map((cell) => plain(cell)));
          if (rows.length > 0) paragraphs.push(tableParagraph(rows, 1));
          break;
        }
        case 'list':
          for (const item of node.children) {
            const [first, ...rest] = item.children;
            const prefix = listDepth > 0 ? `${'  '.repeat(listDepth)}- ` : '';
            const check = item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '';
            if (first !== undefined && first.type === 'paragraph') push(`${prefix}${check}${plain(first)}`);
            else if (first !== undefined) visitDeeper([first], listDepth + 1, depth);
            visitDeeper(rest, listDepth + 1, depth);
          }
          break;
        default:
          if ('children' in node) visitDeeper((node as Parents).children as RootContent[], listDepth, depth);
          break;
      }
    }
  };
  const visitDeeper = (nodes: readonly RootContent[], listDepth: number, depth: number): void => {
    if (depth >= MAX_DEPTH) {
      for (const node of nodes) push(plain(node));
      return;
    }
    visit(nodes, listDepth, depth + 1);
  };
  visit(tree.children, 0, 0);
  const title = paragraphs.find((p) => p.headingLevel === 1)?.text;
  return textDocument('markdown', paragraphs, title);
}
