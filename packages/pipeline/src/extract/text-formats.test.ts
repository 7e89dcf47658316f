import { isAegisError } from '@aegis/core';
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { extractDocument } from './extract-document.ts';

const utf8 = (value: string): Uint8Array => new TextEncoder().encode(value);
const texts = (doc: { pages: { paragraphs: { text: string }[] }[] }): string[] =>
  doc.pages.flatMap((p) => p.paragraphs.map((q) => q.text));

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isAegisError(error) ? error.code : `not an AegisError: ${String(error)}`;
  }
  return undefined;
}

describe('extractDocument: text formats', () => {
  it('plain text: paragraphs by blank lines, one page without size', async () => {
    const doc = await extractDocument({
      data: utf8('First line\nstill first.\r\n\r\nSecond.\n\n\n'),
      filename: 'a.txt',
    });
    expect(doc.kind).toBe('text');
    expect(texts(doc)).toEqual(['First line still first.', 'Second.']);
    expect(doc.pages[0]).toMatchObject({ pageNumber: 1, width: 0, height: 0, images: [] });
  });

  it('markdown: ATX and setext headings, code fences kept, emphasis stripped', async () => {
    const md = [
      '# Guide',
      '',
      'Some **bold** and _italic_ text with a [link](http://x).',
      '',
      'Install',
      '-------',
      '',
      '```sh',
      'npm install  # keep spacing',
      '```',
      '',
      '- item one',
      '- item two',
      '### Deep ###',
    ].join('\n');
    const doc = await extractDocument({ data: utf8(md), filename: 'guide.md' });
    expect(doc.title).toBe('Guide');
    const ps = doc.pages[0]?.paragraphs ?? [];
    expect(ps.map((p) => [p.text, p.headingLevel])).toEqual([
      ['Guide', 1],
      ['Some bold and italic text with a link.', undefined],
      ['Install', 2],
      ['npm install  # keep spacing', undefined],
      ['item one', undefined],
      ['item two', undefined],
      ['Deep', 3],
    ]);
    expect(doc.outline).toEqual([
      { title: 'Guide', level: 1, pageNumber: 1 },
      { title: 'Install', level: 2, pageNumber: 1 },
      { title: 'Deep', level: 3, pageNumber: 1 },
    ]);
  });

  it('html: headings, blocks, title; script and style dropped', async () => {
    const html = `<!doctype html><html><head><title> My  Page </title><style>p{}</style></head>
      <body><script>alert("x")</script><h1>Top</h1><p>Hello &amp; <b>welcome</b>.</p>
      <ul><li>one</li><li>two</li></ul><table><tr><td>cell</td></tr></table><pre>a\n  b</pre><h2>Sub</h2></body></html>`;
    const doc = await extractDocument({ data: utf8(html), filename: 'p.html' });
    expect(doc.title).toBe('My Page');
    expect(doc.pages[0]?.paragraphs.map((p) => [p.text, p.headingLevel])).toEqual([
      ['Top', 1],
      ['Hello & welcome.', undefined],
      ['one', undefined],
      ['two', undefined],
      ['| cell |\n| --- |', undefined],
      ['a\n  b', undefined],
      ['Sub', 2],
    ]);
  });

  // The .docx is generated with the `docx` package (devDependency), so Word's real heading styles are used.
  it('docx: Word headings become heading levels', async () => {
    const file = new Document({
      sections: [
        {
          children: [
            new Paragraph({ text: 'Report', heading: HeadingLevel.HEADING_1 }),
            new Paragraph({
              children: [new TextRun('Body text '), new TextRun({ text: 'in bold', bold: true })],
            }),
            new Paragraph({ text: 'Details', heading: HeadingLevel.HEADING_2 }),
            new Paragraph('More.'),
          ],
        },
      ],
    });
    const data = new Uint8Array(await Packer.toBuffer(file));
    const doc = await extractDocument({ data, filename: 'r.docx' });
    expect(doc.kind).toBe('docx');
    expect(doc.pages[0]?.paragraphs.map((p) => [p.text, p.headingLevel])).toEqual([
      ['Report', 1],
      ['Body text in bold', undefined],
      ['Details', 2],
      ['More.', undefined],
    ]);
  });

  it('refuses empty text documents and unknown types with their codes', async () => {
    expect(await codeOf(extractDocument({ data: utf8(' \n\n '), filename: 'e.txt' }))).toBe('EMPTY_DOCUMENT');
    expect(await codeOf(extractDocument({ data: utf8('x'), filename: 'x.rtf' }))).toBe('UNSUPPORTED_TYPE');
  });
});

describe('extractDocument: standalone images', () => {
  const raw = { raw: { width: 40, height: 30, channels: 3 as const } };
  const pixels = Buffer.alloc(40 * 30 * 3, 128);

  it.each(['png', 'jpeg', 'webp'] as const)(
    '%s: one page of the pixel size, original bytes kept',
    async (format) => {
      const data = new Uint8Array(await sharp(pixels, raw).toFormat(format).toBuffer());
      const doc = await extractDocument({ data });
      expect(doc).toMatchObject({ kind: 'image', pageCount: 1 });
      const page = doc.pages[0];
      expect(page).toMatchObject({ width: 40, height: 30, paragraphs: [] });
      expect(page?.images).toHaveLength(1);
      expect(page?.images[0]).toMatchObject({
        width: 40,
        height: 30,
        mimeType: `image/${format}`,
        bbox: [0, 0, 40, 30],
      });
      expect(page?.images[0]?.data).toEqual(data);
    },
  );

  it('tiff is converted to PNG', async () => {
    const data = new Uint8Array(await sharp(pixels, raw).tiff().toBuffer());
    const image = (await extractDocument({ data })).pages[0]?.images[0];
    expect(image?.mimeType).toBe('image/png');
    expect((await sharp(image?.data).metadata()).format).toBe('png');
  });

  it('invalid images fail with IMAGE_INVALID, over-limit ones with RESOURCE_LIMIT_EXCEEDED', async () => {
    const png = new Uint8Array(await sharp(pixels, raw).png().toBuffer());
    expect(await codeOf(extractDocument({ data: png.subarray(0, 60) }))).toBe('IMAGE_INVALID');
    expect(await codeOf(extractDocument({ data: png }, { limits: { maxImagePixels: 100 } }))).toBe(
      'RESOURCE_LIMIT_EXCEEDED',
    );
  });

  it('markdown: GFM tables stay tables, nested lists keep their nesting, raw HTML gives its text', async () => {
    const md = [
      '# Results',
      '',
      '| Stage | Seconds |',
      '| --- | ---: |',
      '| extract | 1.5 |',
      '| `chunk` \\| split | 0.2 |',
      '',
      '1. first',
      '   - nested *one*',
      '     - deeper',
      '2. second',
      '',
      '- [x] done',
      '',
      '> quoted **text**',
      '',
      '<div>raw <b>html</b></div>',
    ].join('\n');
    const doc = await extractDocument({ data: utf8(md), filename: 'r.md' });
    const ps = doc.pages[0]?.paragraphs ?? [];
    const table = ps.find((p) => p.role === 'table');
    expect(table?.table?.rows).toEqual([
      ['Stage', 'Seconds'],
      ['extract', '1.5'],
      ['chunk | split', '0.2'],
    ]);
    expect(table?.text).toBe(
      '| Stage | Seconds |\n| --- | --- |\n| extract | 1.5 |\n| chunk \\| split | 0.2 |',
    );
    expect(ps.filter((p) => p.role !== 'table').map((p) => p.text)).toEqual([
      'Results',
      'first',
      '  - nested one',
      '    - deeper',
      'second',
      '[x] done',
      'quoted text',
      'raw html',
    ]);
  });

  it('html and docx: tables are kept as tables', async () => {
    const html =
      '<table><tr><th>Name</th><th>Qty</th></tr><tr><td>apple <i>red</i></td><td>3</td></tr></table><p>after</p>';
    const doc = await extractDocument({ data: utf8(html), filename: 't.html' });
    expect(doc.pages[0]?.paragraphs.map((p) => [p.role, p.table?.rows ?? p.text])).toEqual([
      [
        'table',
        [
          ['Name', 'Qty'],
          ['apple red', '3'],
        ],
      ],
      [undefined, 'after'],
    ]);
    const cell = (text: string) => new TableCell({ children: [new Paragraph(text)] });
    const file = new Document({
      sections: [
        {
          children: [
            new Paragraph('Before.'),
            new Table({
              rows: [
                new TableRow({ children: [cell('City'), cell('Population')] }),
                new TableRow({ children: [cell('Oslo'), cell('709000')] }),
              ],
            }),
          ],
        },
      ],
    });
    const docx = await extractDocument({
      data: new Uint8Array(await Packer.toBuffer(file)),
      filename: 't.docx',
    });
    expect(docx.pages[0]?.paragraphs.find((p) => p.role === 'table')?.table?.rows).toEqual([
      ['City', 'Population'],
      ['Oslo', '709000'],
    ]);
  });
});
