import { describe, expect, it } from 'vitest';
import { cleanExtractedDocument, cleanText } from './clean-text.ts';

describe('cleanText', () => {
  it('removes control characters Postgres refuses and repairs lone surrogates', () => {
    expect(cleanText('a\u0000b\u0007c\td\ne\u007F')).toBe('a b c\td\ne');
    // TAMReview.pdf's fonts put U+0002 where spaces go: the words must stay apart.
    expect(cleanText('Overview\u0002of\u0002the\u0002\u0002 Model')).toBe('Overview of the Model');
    expect(cleanText('x\uD800y')).toBe('x\uFFFDy');
  });

  it('keeps undecodable text (control codes, symbol soup) out of the index as junk, with a warning per page', () => {
    const page = (pageNumber: number, texts: string[]) => ({
      pageNumber,
      width: 10,
      height: 10,
      images: [],
      paragraphs: texts.map((text) => ({ text, bbox: undefined })),
    });
    const cleaned = cleanExtractedDocument({
      kind: 'pdf',
      pageCount: 2,
      outline: [],
      warnings: [],
      pages: [
        page(1, ['\u0000\u0000', 'ok then\u0000', '\u0001!\u0002#\u0003$\u0004%']),
        page(2, ['A plain sentence of text.', '&-.9<=>9</2#3$4%56# &-.789:;#3%4,56#']),
      ],
    });
    const roles = cleaned.pages.map((p) => p.paragraphs.map((q) => [q.text, q.role]));
    expect(roles).toEqual([
      [
        ['ok then', undefined],
        ['! # $ %', 'junk'],
      ],
      [
        ['A plain sentence of text.', undefined],
        ['&-.9<=>9</2#3$4%56# &-.789:;#3%4,56#', 'junk'],
      ],
    ]);
    expect(cleaned.warnings).toEqual([
      expect.stringContaining('page(s) 1 (1), 2 (1) uses fonts without a text mapping'),
    ]);
  });

  it('does not judge text formats: code in Markdown or HTML is content', () => {
    const cleaned = cleanExtractedDocument({
      kind: 'markdown',
      pageCount: 1,
      outline: [],
      warnings: [],
      pages: [
        {
          pageNumber: 1,
          width: 0,
          height: 0,
          images: [],
          paragraphs: [{ text: 'x=>{a[0]|=(b&&c)%2;}', bbox: undefined }],
        },
      ],
    });
    expect(cleaned.pages[0]?.paragraphs[0]?.role).toBeUndefined();
  });
});
