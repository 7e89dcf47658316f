import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DocumentView } from './document-data.ts';
import {
  chunksSection,
  costSection,
  figuresSection,
  graphSection,
  metadataSection,
  pagesSection,
  stagesSection,
  versionsSection,
} from './document-sections.ts';
import { html, raw } from './html.ts';

const decode = (text: string) =>
  text.replace(
    /&(amp|lt|gt|quot|#39|#96);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[name] ?? '',
  );

/** Strings made to break out of element content or attribute values, mixed with arbitrary text. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<x-evil>',
        '</td><x-evil>',
        '" onx="1',
        "' onx='1",
        '&amp;',
        '&#60;',
        '`',
        '<!--',
        ']]>',
      ),
      fc.string({ unit: 'grapheme' }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

function viewWith(text: string): DocumentView {
  return {
    status: {
      documentId: text,
      displayName: text,
      sourceKey: text,
      activeVersion: 1,
      latestVersion: 1,
      costUsd: '0.000001000000',
      versions: [
        {
          version: 1,
          status: 'completed_with_warnings',
          progress: 1,
          errorCode: text,
          errorMessage: text,
          warnings: [text],
          missing: { imagesNotDescribed: 1, chunksWithoutGraph: 0 },
          pageCount: 1,
          stages: [
            {
              stage: 'extract',
              status: 'failed',
              itemsDone: 1,
              itemsTotal: 2,
              attempts: 2,
              durationMs: 1500,
              errorCode: text,
              errorMessage: text,
            },
          ],
        },
      ],
    },
    version: 1,
    record: {
      documentId: text,
      version: 1,
      sourceKey: text,
      displayName: text,
      sha256: 'a'.repeat(64),
      byteSize: 10,
      kind: 'image',
      mimeType: text,
      blobPath: text,
      pageCount: 1,
      status: 'completed',
      errorCode: null,
      errorMessage: null,
      warnings: [],
      plan: null,
      knowledgeBase: text,
      metadata: { [text || 'k']: text },
      createdAt: new Date(0),
    },
    pages: [{ pageNumber: 1, width: 1, height: 1, paragraphs: [{ text, bbox: undefined }] }],
    pageCount: 1,
    pageOffset: 0,
    chunks: [
      {
        index: 0,
        text,
        tokenCount: 1,
        pageStart: 1,
        pageEnd: 1,
        charStart: 0,
        charEnd: 1,
        headingPath: [text],
        imageIds: [],
        pointId: text,
      },
    ],
    chunkCount: 1,
    chunkOffset: 0,
    images: [
      {
        id: text,
        pageNumber: 1,
        imageIndex: 0,
        bbox: undefined,
        width: 1,
        height: 1,
        mimeType: 'image/png',
        blobPath: text,
        afterParagraph: 0,
        status: 'described',
        errorCode: null,
        skipReason: null,
        duplicateOf: null,
        description: text,
      },
    ],
    entities: [{ name: text, type: text, description: text, mentions: 1 }],
    relations: [{ source: text, target: text, type: text, description: text }],
    costs: [{ stage: text, provider: text, model: text, requests: 1, costUsd: '0.000001000000' }],
  };
}

describe('HTML escaping', () => {
  it('round-trips any text through element content and attribute values, with nothing left to break out', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = html`<td title="${text}">${text}</td>`.toString();
        const match = /^<td title="([^"]*)">([^<>]*)<\/td>$/.exec(out);
        expect(match, out).not.toBeNull();
        expect(decode(match?.[1] ?? '')).toBe(text);
        expect(decode(match?.[2] ?? '')).toBe(text);
        expect(match?.[1]).not.toMatch(/['`]/);
      }),
      { numRuns: 500 },
    );
  });

  it('escapes nested values, arrays and numbers, and passes only SafeHtml through', () => {
    const items = ['<a>', 'b&c'];
    expect(html`<ul>${items.map((item) => html`<li>${item}</li>`)}</ul>`.toString()).toBe(
      '<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>',
    );
    expect(html`${null}${undefined}${false}${0}${raw('<br>')}`.toString()).toBe('0<br>');
  });

  it('never lets a hostile file name, metadata, text, heading, warning or entity into the document page as markup', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const view = viewWith(text);
        const out = [
          metadataSection(view),
          versionsSection(view),
          stagesSection(view, true),
          costSection(view),
          pagesSection(view, 20),
          chunksSection(view, 50),
          figuresSection(view),
          graphSection(view),
        ].join('');
        expect(out).not.toContain('<x-evil');
        expect(out).not.toContain('<!--');
        // Inside every tag, outside its double-quoted values, no injected attribute.
        for (const tag of out.match(/<[^>]*>/g) ?? [])
          expect(tag.replace(/"[^"]*"/g, '""'), tag).not.toMatch(/onx|'/);
      }),
      { numRuns: 200 },
    );
  });
});
