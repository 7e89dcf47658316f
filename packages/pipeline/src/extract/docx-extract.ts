import { getHeapStatistics } from 'node:v8';
import { AegisError } from '@aegis/core';
import { zipSync } from 'fflate';
import mammoth from 'mammoth';
import type { ExtractedDocument } from './extracted-document.ts';
import { extractHtml } from './html-extract.ts';
import { createBoundedXmlParser } from './xml-bounds.ts';
import { openZipGuarded, type ZipLimits } from './zip-guard.ts';

const MIB = 1024 * 1024;
/**
 * What mammoth holds per XML element while it converts: measured 1.9–2.1 KiB of V8 heap (a 13 MB
 * document.xml of 800,000 elements peaked at 1.5 GB of heap), rounded up to leave room for the HTML it
 * builds. The element budget of a document is the sandbox heap divided by this.
 */
const MAMMOTH_HEAP_BYTES_PER_ELEMENT = 3 * 1024;
/** Characters of text (JS strings, held about twice: document and HTML) per byte of heap. */
const HEAP_BYTES_PER_TEXT_CHAR = 16;

/** The archive bounds of a Word document: its XML parts are read, its media never. */
const DOCX_ZIP_LIMITS: Partial<ZipLimits> = { maxEntryBytes: 64 * MIB, maxTotalBytes: 128 * MIB };

/** Parts mammoth may read: the package's XML and relationships. Pictures and embedded files are never read. */
const TEXT_PARTS = /\.(xml|rels)$/i;

/**
 * DOCX via mammoth's HTML conversion, then the HTML path: mammoth maps Word's Heading 1-6 styles to h1-h6, so
 * headings survive. Mammoth (through JSZip) inflates whole entries and builds a tree of every XML element, so
 * it never sees the upload itself: the archive is read through the zip guard (sizes and ratios checked as it
 * streams), every XML part through the bounded XML parser with an element and text budget derived from this
 * sandbox's heap, and mammoth gets a stored (uncompressed) archive of the checked parts only. A bomb ends as
 * RESOURCE_LIMIT_EXCEEDED before mammoth allocates anything. Embedded pictures are not extracted.
 *
 * @throws AegisError `UNSUPPORTED_TYPE` (not a readable Word file), `RESOURCE_LIMIT_EXCEEDED`.
 */
export async function extractDocx(data: Uint8Array): Promise<ExtractedDocument> {
  const heap = getHeapStatistics().heap_size_limit;
  const maxElements = Math.floor(heap / MAMMOTH_HEAP_BYTES_PER_ELEMENT);
  const maxTextChars = Math.floor(heap / HEAP_BYTES_PER_TEXT_CHAR);
  const zip = await openZipGuarded(data, 'Word document', DOCX_ZIP_LIMITS);
  const parts: Record<string, Uint8Array> = {};
  let elements = 0;
  let chars = 0;
  try {
    if (!zip.has('word/document.xml')) {
      throw new AegisError(
        'UNSUPPORTED_TYPE',
        'The Word document has no word/document.xml. Re-save it as .docx.',
      );
    }
    for (const entry of zip.entries) {
      if (!TEXT_PARTS.test(entry.name)) continue;
      // The budget is the document's, not each part's: the rest of it goes to the next part.
      const xml = createBoundedXmlParser(entry.name, {
        maxElements: maxElements - elements,
        maxTextChars: maxTextChars - chars,
      });
      parts[entry.name] = await zip.read(entry.name, (chunk) => xml.write(chunk));
      xml.end();
      elements += xml.elements;
      chars += xml.textChars;
    }
  } finally {
    zip.close();
  }
  let html: string;
  let messages: { type: string; message: string }[];
  try {
    const stored = zipSync(parts, { level: 0 });
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength) },
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
