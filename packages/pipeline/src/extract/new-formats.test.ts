import { isAegisError } from '@aegis/core';
import {
  ARCHIVE_FORMATS,
  archiveDocument,
  buildZip,
  deepXmlBomb,
  lyingSizeBomb,
  manyEntriesDocument,
  paragraphBomb,
} from '@aegis/testkit';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDefaultSandbox } from '../sandbox/default-sandbox.ts';
import { extractDocument } from './extract-document.ts';
import type { ExtractedDocument } from './extracted-document.ts';

afterAll(() => closeDefaultSandbox());

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG = 'http://schemas.openxmlformats.org/package/2006/relationships';
const rels = (items: Array<[string, string, string]>): string =>
  `${XML}<Relationships xmlns="${PKG}">${items.map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL}/${type}" Target="${target}"/>`).join('')}</Relationships>`;

const blocks = (doc: ExtractedDocument) =>
  doc.pages.map((p) =>
    p.paragraphs.map((q) => (q.table !== undefined ? q.table.rows : [q.text, q.headingLevel ?? null])),
  );

const codeOf = async (data: Uint8Array, filename: string): Promise<string | undefined> => {
  const error = await extractDocument({ data, filename }).catch((e: unknown) => e);
  return isAegisError(error) ? error.code : `no error: ${String(error)}`;
};

describe('CSV', () => {
  it('sniffs the delimiter, keeps quoted fields whole, and repeats the header in every table block', async () => {
    const rows = Array.from({ length: 450 }, (_, i) => `item ${i};"a; quoted, ""value"" ${i}";${i * 2}`);
    const csv = `name;note;count\n${rows.join('\n')}\n`;
    const doc = await extractDocument({ data: new TextEncoder().encode(csv), filename: 'items.csv' });
    expect(doc.kind).toBe('csv');
    const tables = doc.pages[0]?.paragraphs ?? [];
    expect(tables.map((t) => t.table?.rows.length)).toEqual([201, 201, 51]);
    for (const t of tables) expect(t.table?.rows[0]).toEqual(['name', 'note', 'count']);
    expect(tables[0]?.table?.rows[1]).toEqual(['item 0', 'a; quoted, "value" 0', '0']);
  });

  it('reads any table it is given back cell for cell (property)', async () => {
    const cell = fc
      .string({ maxLength: 12 })
      .map((s) => s.replace(/\r/g, '').split(String.fromCharCode(0)).join(''));
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 5 })
          .chain((width) =>
            fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 2, maxLength: 30 }),
          ),
        async (table) => {
          const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
          const header = table[0]?.map((_, i) => `col${i}`) ?? [];
          const csv = [header, ...table].map((r) => r.map(quote).join(',')).join('\n');
          const doc = await extractDocument({ data: new TextEncoder().encode(csv), filename: 't.csv' });
          const got = (doc.pages[0]?.paragraphs ?? []).flatMap((p) => p.table?.rows.slice(1) ?? []);
          const nonEmpty = table.filter((r) => r.some((c) => c.trim() !== ''));
          expect(got.map((r) => r.map((c) => c.trim()))).toEqual(
            nonEmpty.map((r) => Array.from({ length: header.length }, (_, i) => (r[i] ?? '').trim())),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it('fails cleanly on text that is not UTF-8', async () => {
    expect(await codeOf(new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x2c]), 'bad.csv')).toBe('UNSUPPORTED_TYPE');
  });
});

describe('XLSX', () => {
  it('reads every sheet in order as a page headed by its name, shared and inline strings, numbers, booleans', async () => {
    const sheet = (rows: string) =>
      `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`;
    const data = buildZip([
      {
        name: '[Content_Types].xml',
        data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
      },
      { name: '_rels/.rels', data: rels([['rId1', 'officeDocument', 'xl/workbook.xml']]) },
      {
        name: 'xl/workbook.xml',
        data: `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${REL}"><sheets><sheet name="Sales" sheetId="1" r:id="rId2"/><sheet name="Notes" sheetId="2" r:id="rId1"/></sheets></workbook>`,
      },
      {
        name: 'xl/_rels/workbook.xml.rels',
        data: rels([
          ['rId1', 'worksheet', 'worksheets/sheet2.xml'],
          ['rId2', 'worksheet', 'worksheets/sheet1.xml'],
        ]),
      },
      {
        name: 'xl/sharedStrings.xml',
        data: `${XML}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Region</t></si><si><t>Revenue</t></si><si><r><t>No</t></r><r><t>rth</t></r></si></sst>`,
      },
      {
        name: 'xl/worksheets/sheet1.xml',
        data: sheet(
          '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>Active</t></is></c></row>' +
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2" t="b"><v>1</v></c></row>' +
            '<row r="3"><c r="A3" t="inlineStr"><is><t>South</t></is></c><c r="B3"><v>1250.5</v></c><c r="C3" t="b"><v>0</v></c></row>',
        ),
      },
      {
        name: 'xl/worksheets/sheet2.xml',
        data: sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>Checked by Ada</t></is></c></row>'),
      },
    ]);
    const doc = await extractDocument({ data, filename: 'book.xlsx' });
    expect(doc.kind).toBe('xlsx');
    expect(blocks(doc)).toEqual([
      [
        ['Sales', 1],
        [
          ['Region', 'Revenue', 'Active'],
          ['North', '', 'TRUE'],
          ['South', '1250.5', 'FALSE'],
        ],
      ],
      [['Notes', 1], [['Checked by Ada']]],
    ]);
  });
});

describe('PPTX', () => {
  it('reads slides in presentation order, titles as headings, tables as tables, speaker notes after', async () => {
    const ns =
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
    const shape = (type: string | undefined, texts: string[]) =>
      `<p:sp><p:nvSpPr><p:cNvPr id="1" name="s"/><p:cNvSpPr/><p:nvPr>${type === undefined ? '' : `<p:ph type="${type}"/>`}</p:nvPr></p:nvSpPr><p:txBody>${texts.map((t) => `<a:p><a:r><a:t>${t}</a:t></a:r></a:p>`).join('')}</p:txBody></p:sp>`;
    const slide = (body: string) =>
      `${XML}<p:sld ${ns}><p:cSld><p:spTree>${body}</p:spTree></p:cSld></p:sld>`;
    const table =
      '<p:graphicFrame><a:graphic><a:graphicData><a:tbl><a:tr><a:tc><a:txBody><a:p><a:r><a:t>Q1</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>Q2</a:t></a:r></a:p></a:txBody></a:tc></a:tr><a:tr><a:tc><a:txBody><a:p><a:r><a:t>10</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>12</a:t></a:r></a:p></a:txBody></a:tc></a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>';
    const data = buildZip([
      { name: '_rels/.rels', data: rels([['rId1', 'officeDocument', 'ppt/presentation.xml']]) },
      {
        name: 'ppt/presentation.xml',
        data: `${XML}<p:presentation ${ns} xmlns:r="${REL}"><p:sldIdLst><p:sldId id="256" r:id="rId7"/><p:sldId id="257" r:id="rId3"/></p:sldIdLst></p:presentation>`,
      },
      {
        name: 'ppt/_rels/presentation.xml.rels',
        data: rels([
          ['rId3', 'slide', 'slides/slide1.xml'],
          ['rId7', 'slide', 'slides/slide2.xml'],
        ]),
      },
      {
        name: 'ppt/slides/slide2.xml',
        data: slide(
          shape('ctrTitle', ['Quarterly Review']) + shape(undefined, ['Revenue grew', 'Costs fell']),
        ),
      },
      {
        name: 'ppt/slides/_rels/slide2.xml.rels',
        data: rels([['rId1', 'notesSlide', '../notesSlides/notesSlide1.xml']]),
      },
      {
        name: 'ppt/notesSlides/notesSlide1.xml',
        data: slide(shape('sldImg', []) + shape('body', ['Mention the new office']) + shape('sldNum', ['1'])),
      },
      { name: 'ppt/slides/slide1.xml', data: slide(shape('title', ['Numbers']) + table) },
    ]);
    const doc = await extractDocument({ data, filename: 'deck.pptx' });
    expect(doc.kind).toBe('pptx');
    expect(doc.title).toBe('Quarterly Review');
    expect(blocks(doc)).toEqual([
      [
        ['Quarterly Review', 1],
        ['Revenue grew', null],
        ['Costs fell', null],
        ['Notes: Mention the new office', null],
      ],
      [
        ['Numbers', 1],
        [
          ['Q1', 'Q2'],
          ['10', '12'],
        ],
      ],
    ]);
  });
});

describe('EPUB', () => {
  it('reads the spine in order, one page per chapter, with headings, tables and the title', async () => {
    const chapter = (body: string) =>
      `${XML}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head><body>${body}</body></html>`;
    const data = buildZip([
      { name: 'mimetype', data: 'application/epub+zip', stored: true },
      {
        name: 'META-INF/container.xml',
        data: `${XML}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
      },
      {
        name: 'OPS/book.opf',
        data: `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A Small Book</dc:title></metadata><manifest><item id="b" href="text/two.xhtml" media-type="application/xhtml+xml"/><item id="a" href="text/one.xhtml" media-type="application/xhtml+xml"/><item id="css" href="s.css" media-type="text/css"/></manifest><spine><itemref idref="a"/><itemref idref="b"/></spine></package>`,
      },
      { name: 'OPS/text/one.xhtml', data: chapter('<h1>Chapter One</h1><p>It began.</p>') },
      {
        name: 'OPS/text/two.xhtml',
        data: chapter(
          '<h1>Chapter Two</h1><table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>',
        ),
      },
    ]);
    const doc = await extractDocument({ data, filename: 'book.epub' });
    expect(doc.kind).toBe('epub');
    expect(doc.title).toBe('A Small Book');
    expect(blocks(doc)).toEqual([
      [
        ['Chapter One', 1],
        ['It began.', null],
      ],
      [
        ['Chapter Two', 1],
        [
          ['k', 'v'],
          ['a', '1'],
        ],
      ],
    ]);
  });
});

describe('hostile archives of the new formats fail cleanly with a code', () => {
  const formats = ARCHIVE_FORMATS.filter((f) => f !== 'docx');
  it.each(formats)(
    '%s: zip bomb, lying sizes, deep XML, too many entries',
    async (format) => {
      const name = `hostile.${format}`;
      expect(await codeOf(paragraphBomb(format, 300), name)).toBe('RESOURCE_LIMIT_EXCEEDED');
      expect(await codeOf(lyingSizeBomb(format), name)).toBe('RESOURCE_LIMIT_EXCEEDED');
      expect(await codeOf(deepXmlBomb(format), name)).toBe('RESOURCE_LIMIT_EXCEEDED');
      expect(await codeOf(manyEntriesDocument(format), name)).toBe('RESOURCE_LIMIT_EXCEEDED');
    },
    120_000,
  );

  it.each(formats)('%s: malformed and truncated packages end with a code, never a crash', async (format) => {
    const valid = archiveDocument(format, { kind: 'text', paragraphs: ['Plain words here.'] });
    const ok = await extractDocument({ data: valid, filename: `ok.${format}` });
    expect(ok.pages.flatMap((p) => p.paragraphs.map((q) => q.text)).join('\n')).toContain(
      'Plain words here.',
    );
    for (const data of [
      valid.subarray(0, Math.floor(valid.length / 2)),
      Buffer.concat([valid.subarray(0, 40), Buffer.alloc(200, 7)]),
    ]) {
      const code = await codeOf(data, `broken.${format}`);
      expect(['UNSUPPORTED_TYPE', 'EMPTY_DOCUMENT', 'RESOURCE_LIMIT_EXCEEDED']).toContain(code);
    }
  });
});
