import { AegisError } from '@aegis/core';
import type { SourceKind } from './extracted-document.ts';

/** What {@link detectKind} and `extractDocument` receive: the bytes plus the caller's hints. */
export interface ExtractInput {
  data: Uint8Array;
  /** Original file name; only its extension is used, and only for text formats. */
  filename?: string | undefined;
  /** Declared media type, e.g. `text/markdown`; only used for text formats. */
  mimeType?: string | undefined;
}

/** Image container detected from magic bytes. */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'tiff';

/** Kind plus the finer format where one kind covers several. */
export interface DetectedKind {
  kind: SourceKind;
  imageFormat?: ImageFormat | undefined;
}

const SUPPORTED =
  'PDF, DOCX, XLSX, PPTX, EPUB, plain text (.txt), Markdown (.md, .markdown), HTML (.html, .htm), CSV (.csv, .tsv) and images (PNG, JPEG, WebP, TIFF)';

const TEXT_EXTENSIONS: Record<string, SourceKind> = {
  txt: 'text',
  text: 'text',
  md: 'markdown',
  markdown: 'markdown',
  html: 'html',
  htm: 'html',
  csv: 'csv',
  tsv: 'csv',
};

const TEXT_MIME_TYPES: Record<string, SourceKind> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
};

function startsWith(data: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (data.length < offset + bytes.length) return false;
  return bytes.every((b, i) => data[offset + i] === b);
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * Sniffs the document kind. Binary formats are recognised by their magic bytes alone (a PDF named `.txt` is a
 * PDF); text formats have no magic, so they need a known extension or media type AND valid UTF-8 without NUL
 * bytes, which keeps binary junk out of the text path.
 *
 * @throws AegisError `UNSUPPORTED_TYPE` naming what was seen and what is supported.
 */
export function detectKind(input: ExtractInput): SourceKind {
  return detectKindDetailed(input).kind;
}

/** The entry every Word document has; a ZIP without it is not a document we read. */
export const DOCX_ENTRY = 'word/document.xml';

/** The main entry of each other archive format, by which a ZIP is recognised (Word: {@link DOCX_ENTRY}). */
export const ARCHIVE_ENTRIES: ReadonlyArray<readonly [string, SourceKind]> = [
  ['xl/workbook.xml', 'xlsx'],
  ['ppt/presentation.xml', 'pptx'],
  ['META-INF/container.xml', 'epub'],
];

/** How many leading bytes kind detection looks at (PDF headers may sit anywhere in the first KiB). */
export const SNIFF_HEAD_BYTES = 1024;

/**
 * What kind detection needs to know about a file, gathered from its bytes in one pass: the first KiB, whether
 * any byte is NUL, whether the whole is valid UTF-8, and whether the Word entry name occurs (in a ZIP's
 * central directory or local headers). `createKindSniffer` gathers it from a stream.
 */
export interface KindSample {
  /** The first `SNIFF_HEAD_BYTES` bytes (fewer for a shorter file). */
  head: Uint8Array;
  size: number;
  hasNul: boolean;
  validUtf8: boolean;
  /** The bytes contain `word/document.xml`. */
  hasDocxEntry: boolean;
  /** The {@link ARCHIVE_ENTRIES} names the bytes contain. */
  archiveEntries?: ReadonlySet<string> | undefined;
}

/** {@link detectKind} plus the image format for images. */
export function detectKindDetailed(input: ExtractInput): DetectedKind {
  const { data } = input;
  let validUtf8 = true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    validUtf8 = false;
  }
  const sample: KindSample = {
    head: data.subarray(0, SNIFF_HEAD_BYTES),
    size: data.length,
    hasNul: data.includes(0),
    validUtf8,
    hasDocxEntry: zipHasEntry(data, DOCX_ENTRY),
    archiveEntries: new Set(ARCHIVE_ENTRIES.flatMap(([entry]) => (zipHasEntry(data, entry) ? [entry] : []))),
  };
  return detectKindOfSample(sample, input);
}

/** {@link detectKindDetailed} over a sample, for files read as streams (never whole in memory). */
export function detectKindOfSample(
  sample: KindSample,
  hints: Pick<ExtractInput, 'filename' | 'mimeType'>,
): DetectedKind {
  const data = sample.head;
  const input = { data, ...hints };
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, SNIFF_HEAD_BYTES));
  if (head.indexOf('%PDF-') !== -1) return { kind: 'pdf' };
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { kind: 'image', imageFormat: 'png' };
  if (startsWith(data, [0xff, 0xd8, 0xff])) return { kind: 'image', imageFormat: 'jpeg' };
  if (startsWith(data, ascii('RIFF')) && startsWith(data, ascii('WEBP'), 8)) {
    return { kind: 'image', imageFormat: 'webp' };
  }
  if (startsWith(data, [0x49, 0x49, 0x2a, 0x00]) || startsWith(data, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { kind: 'image', imageFormat: 'tiff' };
  }
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04])) {
    if (sample.hasDocxEntry) return { kind: 'docx' };
    for (const [entry, kind] of ARCHIVE_ENTRIES) if (sample.archiveEntries?.has(entry)) return { kind };
    throw unsupported(
      'a ZIP archive that is not a Word, Excel, PowerPoint or EPUB document (no word/document.xml, xl/workbook.xml, ppt/presentation.xml or META-INF/container.xml)',
      input,
    );
  }

  const declared = declaredTextKind(input);
  if (declared === undefined) throw unsupported(describeUnknown(data, sample.size), input);
  if (sample.hasNul) throw unsupported('binary data (NUL bytes) declared as text', input);
  if (!sample.validUtf8) throw unsupported('text that is not valid UTF-8', input);
  return { kind: declared };
}

function declaredTextKind(input: ExtractInput): SourceKind | undefined {
  const ext = input.filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (ext !== undefined && TEXT_EXTENSIONS[ext] !== undefined) return TEXT_EXTENSIONS[ext];
  const mime = input.mimeType?.toLowerCase().split(';')[0]?.trim();
  if (mime !== undefined && TEXT_MIME_TYPES[mime] !== undefined) return TEXT_MIME_TYPES[mime];
  return undefined;
}

function describeUnknown(data: Uint8Array, size: number): string {
  if (size === 0) return 'an empty file';
  const hex = Array.from(data.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `unknown content (first bytes ${hex}) without a supported text extension or media type`;
}

function unsupported(what: string, input: ExtractInput): AegisError {
  const name = input.filename === undefined ? '' : ` "${input.filename}"`;
  return new AegisError(
    'UNSUPPORTED_TYPE',
    `Unsupported document${name}: detected ${what}. Supported: ${SUPPORTED}.`,
    {
      details: { filename: input.filename, mimeType: input.mimeType },
    },
  );
}

/**
 * Looks for an entry name in the ZIP central directory (end-of-central-directory record, then the entries).
 * Falls back to scanning local headers when the directory is unreadable, as a truncated upload may be.
 */
function zipHasEntry(data: Uint8Array, name: string): boolean {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  // The EOCD is 22 bytes plus a comment of at most 65,535 bytes.
  const searchFrom = Math.max(0, buf.length - 22 - 0xffff);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd >= searchFrom && eocd + 22 <= buf.length) {
    const entries = buf.readUInt16LE(eocd + 10);
    let offset = buf.readUInt32LE(eocd + 16);
    for (let i = 0; i < entries && offset + 46 <= buf.length; i++) {
      if (buf.readUInt32LE(offset) !== 0x02014b50) break;
      const nameLength = buf.readUInt16LE(offset + 28);
      const extraLength = buf.readUInt16LE(offset + 30);
      const commentLength = buf.readUInt16LE(offset + 32);
      if (buf.toString('utf8', offset + 46, offset + 46 + nameLength) === name) return true;
      offset += 46 + nameLength + extraLength + commentLength;
    }
  }
  return buf.indexOf(name) !== -1;
}
