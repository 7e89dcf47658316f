import type { ExtractedDocument, Paragraph } from './extracted-document.ts';

/** One page for a text format: pageNumber 1, no size, no images. */
export function textDocument(
  kind: ExtractedDocument['kind'],
  paragraphs: Paragraph[],
  title: string | undefined,
  warnings: string[] = [],
): ExtractedDocument {
  return {
    kind,
    title,
    pageCount: 1,
    pages: [{ pageNumber: 1, width: 0, height: 0, paragraphs, images: [] }],
    outline: paragraphs.flatMap((p) =>
      p.headingLevel === undefined ? [] : [{ title: p.text, level: p.headingLevel, pageNumber: 1 }],
    ),
    warnings,
  };
}

/** Decodes UTF-8 (already validated by detectKind), dropping a byte-order mark and normalising line ends. */
export function decodeText(data: Uint8Array): string {
  return new TextDecoder('utf-8').decode(data).replace(/\r\n?/g, '\n');
}

/** Plain text: paragraphs are separated by blank lines; lines inside a paragraph are joined with spaces. */
export function extractPlainText(data: Uint8Array): ExtractedDocument {
  const paragraphs = decodeText(data)
    .split(/\n[ \t]*\n/)
    .map((block) => block.replace(/\s*\n\s*/g, ' ').trim())
    .filter((text) => text !== '')
    .map((text): Paragraph => ({ text, bbox: undefined }));
  return textDocument('text', paragraphs, undefined);
}
