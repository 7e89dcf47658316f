import {
  deepXmlBomb,
  lyingSizeBomb,
  manyElementsDocument,
  manyEntriesDocument,
  paragraphBomb,
  plainZipBomb,
  spacesBomb,
} from './archive-bombs.ts';
import { jpegDeclaring, largeImage, pngDeclaring } from './hostile-images.ts';
import { flateBombPdf, imagePdf } from './hostile-pdfs.ts';
import { type ArchiveFormat, archiveDocument } from './office-packages.ts';

/** How a hostile input must end. */
export type HostileOutcome =
  /** The document completes (what was dangerous in it was skipped safely, with a warning). */
  | 'completed'
  /** The document fails with this error code. */
  | 'RESOURCE_LIMIT_EXCEEDED';

/** One hostile input the suite and the benchmark both build and run. */
export interface HostileInput {
  name: string;
  displayName: string;
  build(): Buffer | Promise<Buffer>;
  /** How it must end once the system accepts its format. */
  expected: HostileOutcome;
  /**
   * For an archive format the system may not read yet: a benign document of the same format. When the system
   * refuses that one at ingestion (UNSUPPORTED_TYPE), the bomb must be refused the same way; once it accepts
   * it, the bomb must end with `expected`.
   */
  benign?: () => Buffer;
}

const benignArchive = (format: ArchiveFormat) => () =>
  archiveDocument(format, { kind: 'text', paragraphs: ['A benign document of this format.'] });

/**
 * Every hostile input, built on the fly (nothing is shipped): the cases of the security review (a 295 KB
 * .docx of 100 MB paragraph XML, a 2 MB .docx of 2.1 GB spaces, a 1 MB PDF with a 1 GB FlateDecode stream)
 * and their relatives in every archive format, deep and huge XML, lying archive headers, and giant images
 * declared or real, standalone and inside PDFs.
 */
export const HOSTILE_INPUTS: readonly HostileInput[] = [
  ...(['docx', 'xlsx', 'pptx', 'epub'] as const).map(
    (format): HostileInput => ({
      name: `${format}: 100 MB of paragraph XML (zip bomb)`,
      displayName: `paragraph-bomb.${format}`,
      build: () => paragraphBomb(format, 100),
      expected: 'RESOURCE_LIMIT_EXCEEDED',
      benign: benignArchive(format),
    }),
  ),
  {
    name: 'docx: 2.1 GB of spaces in one text run',
    displayName: 'spaces-bomb.docx',
    build: () => spacesBomb('docx', 2150),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'docx: headers declare 4 KiB, the part inflates to 512 MiB',
    displayName: 'lying-sizes.docx',
    build: () => lyingSizeBomb('docx', 512, 4096),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'docx: XML nested 100,000 deep',
    displayName: 'deep-xml.docx',
    build: () => deepXmlBomb('docx', 100_000),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'docx: 300,000 paragraphs of random words (normal ratio, over the element budget)',
    displayName: 'many-elements.docx',
    build: () => manyElementsDocument('docx', 300_000),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'docx: 20,000 entries',
    displayName: 'many-entries.docx',
    build: () => manyEntriesDocument('docx', 20_000),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'pdf: page content of a 1 GB FlateDecode stream',
    displayName: 'flate-bomb.pdf',
    build: () => flateBombPdf(1024),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'pdf: image XObject declaring 100,000 x 100,000',
    displayName: 'declared-giant-image.pdf',
    build: () => imagePdf(100_000, 100_000, false),
    expected: 'completed',
  },
  {
    name: 'pdf: real 12,000 x 12,000 image (432 MB of pixels, over the pixel limit)',
    displayName: 'giant-image.pdf',
    build: () => imagePdf(12_000, 12_000, true),
    expected: 'completed',
  },
  {
    name: 'pdf: real 6,000 x 6,000 image (108 MB of pixels, decoded)',
    displayName: 'large-image.pdf',
    build: () => imagePdf(6_000, 6_000, true),
    expected: 'completed',
  },
  {
    name: 'png: header declaring 100,000 x 100,000',
    displayName: 'declared-giant.png',
    build: () => pngDeclaring(100_000, 100_000),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'jpeg: header declaring 65,000 x 65,000',
    displayName: 'declared-giant.jpg',
    build: () => jpegDeclaring(65_000, 65_000),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'png: real 9,000 x 9,000 (81 Mpx, over the pixel limit)',
    displayName: 'giant.png',
    build: () => largeImage(9_000, 9_000, 'png'),
    expected: 'RESOURCE_LIMIT_EXCEEDED',
  },
  {
    name: 'jpeg: real 6,000 x 6,000 (decoded, described)',
    displayName: 'large.jpg',
    build: () => largeImage(6_000, 6_000, 'jpeg'),
    expected: 'completed',
  },
];

/** A ZIP that is no document at all: refused at ingestion, never unpacked. */
export const PLAIN_ZIP_BOMB = (): Buffer => plainZipBomb(10, 1024);
