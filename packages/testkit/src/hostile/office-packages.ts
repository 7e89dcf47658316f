import type { DeflatedData } from './deflate-repeat.ts';
import { buildZip, type ZipEntrySpec } from './zip-writer.ts';

/** ZIP-based document formats the builders below can make. */
export type ArchiveFormat = 'docx' | 'xlsx' | 'pptx' | 'epub';
export const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['docx', 'xlsx', 'pptx', 'epub'];

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const CT = 'http://schemas.openxmlformats.org/package/2006/content-types';

/** The XML around a format's main content part, and where that part lives. */
interface Layout {
  /** Path of the part a bomb replaces. */
  part: string;
  head: string;
  /** One repeatable unit of content (a paragraph, a row, a text run). */
  unit: (text: string) => string;
  tail: string;
  /** Every other part of a minimal valid package. */
  rest: ZipEntrySpec[];
}

const relationships = (rels: Array<[string, string, string]>): string =>
  `${XML}<Relationships xmlns="${PKG_REL}">${rels
    .map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL}/${type}" Target="${target}"/>`)
    .join('')}</Relationships>`;

const contentTypes = (overrides: Array<[string, string]>): string =>
  `${XML}<Types xmlns="${CT}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>${overrides
    .map(([part, type]) => `<Override PartName="/${part}" ContentType="${type}"/>`)
    .join('')}</Types>`;

const LAYOUTS: Record<ArchiveFormat, Layout> = {
  docx: {
    part: 'word/document.xml',
    head: `${XML}<w:document xmlns:w="${W}"><w:body>`,
    unit: (text) => `<w:p><w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`,
    tail: '</w:body></w:document>',
    rest: [
      {
        name: '[Content_Types].xml',
        data: contentTypes([
          [
            'word/document.xml',
            'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml',
          ],
        ]),
      },
      { name: '_rels/.rels', data: relationships([['rId1', 'officeDocument', 'word/document.xml']]) },
    ],
  },
  xlsx: {
    part: 'xl/worksheets/sheet1.xml',
    head: `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`,
    unit: (text) => `<row><c t="inlineStr"><is><t>${text}</t></is></c></row>`,
    tail: '</sheetData></worksheet>',
    rest: [
      {
        name: '[Content_Types].xml',
        data: contentTypes([
          ['xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'],
          [
            'xl/worksheets/sheet1.xml',
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml',
          ],
        ]),
      },
      { name: '_rels/.rels', data: relationships([['rId1', 'officeDocument', 'xl/workbook.xml']]) },
      {
        name: 'xl/workbook.xml',
        data: `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      },
      {
        name: 'xl/_rels/workbook.xml.rels',
        data: relationships([['rId1', 'worksheet', 'worksheets/sheet1.xml']]),
      },
    ],
  },
  pptx: {
    part: 'ppt/slides/slide1.xml',
    head: `${XML}<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>`,
    unit: (text) => `<a:p><a:r><a:t>${text}</a:t></a:r></a:p>`,
    tail: '</p:txBody></p:sp></p:spTree></p:cSld></p:sld>',
    rest: [
      {
        name: '[Content_Types].xml',
        data: contentTypes([
          [
            'ppt/presentation.xml',
            'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml',
          ],
          ['ppt/slides/slide1.xml', 'application/vnd.openxmlformats-officedocument.presentationml.slide+xml'],
        ]),
      },
      { name: '_rels/.rels', data: relationships([['rId1', 'officeDocument', 'ppt/presentation.xml']]) },
      {
        name: 'ppt/presentation.xml',
        data: `${XML}<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="${REL}"><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst></p:presentation>`,
      },
      {
        name: 'ppt/_rels/presentation.xml.rels',
        data: relationships([['rId1', 'slide', 'slides/slide1.xml']]),
      },
    ],
  },
  epub: {
    part: 'OEBPS/chapter1.xhtml',
    head: `${XML}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Chapter</title></head><body>`,
    unit: (text) => `<p>${text}</p>`,
    tail: '</body></html>',
    rest: [
      // The EPUB container requires `mimetype` first and stored.
      { name: 'mimetype', data: 'application/epub+zip', stored: true },
      {
        name: 'META-INF/container.xml',
        data: `${XML}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
      },
      {
        name: 'OEBPS/content.opf',
        data: `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">hostile</dc:identifier><dc:title>Hostile</dc:title><dc:language>en</dc:language></metadata><manifest><item id="c1" href="chapter1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine></package>`,
      },
    ],
  },
};

/** How the main part of {@link archiveDocument} is made. */
export type MainPart =
  | { kind: 'text'; paragraphs: readonly string[] }
  /** Already deflated content (a bomb from {@link contentBomb} or {@link deepBomb}). */
  | { kind: 'deflated'; data: DeflatedData; declaredBytes?: number };

/** A minimal valid package of `format` whose main part (document, sheet, slide, chapter) is `main`. */
export function archiveDocument(
  format: ArchiveFormat,
  main: MainPart,
  extra: readonly ZipEntrySpec[] = [],
): Buffer {
  const layout = LAYOUTS[format];
  const [first, ...rest] = layout.rest;
  const part: ZipEntrySpec =
    main.kind === 'text'
      ? { name: layout.part, data: layout.head + main.paragraphs.map(layout.unit).join('') + layout.tail }
      : {
          name: layout.part,
          data: main.data,
          ...(main.declaredBytes === undefined ? {} : { declaredBytes: main.declaredBytes }),
        };
  // epub's `mimetype` must stay first; for Office the order does not matter.
  return buildZip([...(first ? [first] : []), part, ...rest, ...extra]);
}

/** The XML around `format`'s content, to build bombs from. */
export function archiveLayout(format: ArchiveFormat): Pick<Layout, 'head' | 'unit' | 'tail' | 'part'> {
  return LAYOUTS[format];
}
