import { describe, expect, it } from 'vitest';
import { buildCanonicalDocument, canonicalText } from './canonical-text.ts';
import type { ChunkInputPage } from './chunk.ts';

const pages: ChunkInputPage[] = [
  {
    pageNumber: 1,
    paragraphs: [
      { text: 'Title', headingLevel: 1 },
      { text: '  Intro text.  ' },
      { text: 'Background', headingLevel: 2 },
      { text: 'Body one.' },
    ],
    figures: [
      { imageId: 'a', afterParagraph: 2, description: 'A plot.' },
      { imageId: 'b', afterParagraph: 99, description: 'Clamped to the end.' },
      { imageId: 'c', afterParagraph: 0, description: '   ' },
    ],
  },
  { pageNumber: 2, paragraphs: [], figures: [] },
  {
    pageNumber: 3,
    paragraphs: [
      { text: 'Details', headingLevel: 3 },
      { text: '' },
      { text: 'Body two.' },
      { text: 'Method', headingLevel: 2 },
      { text: 'Body three.' },
    ],
    figures: [{ imageId: 'd', afterParagraph: -3, description: 'First on the page.' }],
  },
];

describe('canonicalText', () => {
  it('joins trimmed blocks with blank lines and places figures after the given paragraph count', () => {
    expect(canonicalText(pages)).toBe(
      [
        'Title',
        'Intro text.',
        '[Figure: A plot.]',
        'Background',
        'Body one.',
        '[Figure: Clamped to the end.]',
        '[Figure: First on the page.]',
        'Details',
        'Body two.',
        'Method',
        'Body three.',
      ].join('\n\n'),
    );
  });

  it('records offsets, pages, figures and heading paths per block', () => {
    const doc = buildCanonicalDocument(pages);
    for (const block of doc.blocks) {
      expect(doc.text.slice(block.start, block.end)).toBe(doc.text.slice(block.start, block.end).trim());
    }
    const summary = doc.blocks.map((b) => ({
      text: doc.text.slice(b.start, b.end),
      page: b.pageNumber,
      path: b.headingPath,
      heading: b.isHeading,
      image: b.imageId,
    }));
    expect(summary).toEqual([
      { text: 'Title', page: 1, path: ['Title'], heading: true, image: undefined },
      { text: 'Intro text.', page: 1, path: ['Title'], heading: false, image: undefined },
      { text: '[Figure: A plot.]', page: 1, path: ['Title'], heading: false, image: 'a' },
      { text: 'Background', page: 1, path: ['Title', 'Background'], heading: true, image: undefined },
      { text: 'Body one.', page: 1, path: ['Title', 'Background'], heading: false, image: undefined },
      {
        text: '[Figure: Clamped to the end.]',
        page: 1,
        path: ['Title', 'Background'],
        heading: false,
        image: 'b',
      },
      {
        text: '[Figure: First on the page.]',
        page: 3,
        path: ['Title', 'Background'],
        heading: false,
        image: 'd',
      },
      // A level-3 heading under a level-2 one keeps both parents.
      { text: 'Details', page: 3, path: ['Title', 'Background', 'Details'], heading: true, image: undefined },
      {
        text: 'Body two.',
        page: 3,
        path: ['Title', 'Background', 'Details'],
        heading: false,
        image: undefined,
      },
      // A level-2 heading replaces level 2 and clears level 3.
      { text: 'Method', page: 3, path: ['Title', 'Method'], heading: true, image: undefined },
      { text: 'Body three.', page: 3, path: ['Title', 'Method'], heading: false, image: undefined },
    ]);
  });

  it('skips missing levels instead of leaving holes, and ignores nonsense levels', () => {
    const doc = buildCanonicalDocument([
      {
        pageNumber: 1,
        paragraphs: [
          { text: 'Deep', headingLevel: 3 },
          { text: 'Zero', headingLevel: 0 },
          { text: 'NaN', headingLevel: Number.NaN },
        ],
        figures: [],
      },
    ]);
    expect(doc.blocks.map((b) => [b.isHeading, b.headingPath])).toEqual([
      [true, ['Deep']],
      [false, ['Deep']],
      [false, ['Deep']],
    ]);
  });

  it('is empty for empty pages', () => {
    expect(canonicalText([])).toBe('');
    expect(canonicalText([{ pageNumber: 1, paragraphs: [{ text: ' \n ' }], figures: [] }])).toBe('');
  });
});
