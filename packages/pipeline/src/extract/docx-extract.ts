import { AegisError } from '@aegis/core';
import mammoth from 'mammoth';
import type { ExtractedDocument } from './extracted-document.ts';
import { extractHtml } from './html-extract.ts';

/**
 * DOCX via mammoth's HTML conversion, then the HTML path: mammoth maps Word's Heading 1-6 styles to h1-h6, so
 * headings survive. Embedded pictures are not extracted (mammoth would inline them as data URIs; they are
 * dropped here to keep memory bounded).
 */
export async function extractDocx(data: Uint8Array): Promise<ExtractedDocument> {
  let html: string;
  let messages: { type: string; message: string }[];
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(data.buffer, data.byteOffset, data.byteLength) },
      { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
    );
    html = result.value;
    messages = result.messages;
  } catch (error) {
    throw new AegisError(
      'UNSUPPORTED_TYPE',
      `The Word document could not be read (${(error as Error).message}). Re-save it as .docx and upload again.`,
      { cause: error },
    );
  }
  const doc = extractHtml(html, 'docx');
  doc.warnings.push(...messages.filter((m) => m.type === 'error').map((m) => `DOCX: ${m.message}`));
  return doc;
}
