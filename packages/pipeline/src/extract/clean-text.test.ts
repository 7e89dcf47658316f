import { describe, expect, it } from 'vitest';
import { cleanExtractedDocument, cleanText } from './clean-text.ts';

describe('cleanText', () => {
  it('removes control characters Postgres refuses and repairs lone surrogates', () => {
    expect(cleanText('a\u0000b\u0007c\td\ne\u007F')).toBe('a b c\td\ne');
    // TAMReview.pdf's fonts put U+0002 where spaces go: the words must stay apart.
    expect(cleanText('Overview\u0002of\u0002the\u0002\u0002 Model')).toBe('Overview of the Model');
    expect(cleanText('x\uD800y')).toBe('x\uFFFDy');
  });

  it('leaves out paragraphs that are mostly control codes (fonts without a text mapping), with a warning', () => {
    const cleaned = cleanExtractedDocument({
      kind: 'pdf',
      pageCount: 1,
      outline: [],
      warnings: [],
      pages: [
        {
          pageNumber: 1,
          width: 10,
          height: 10,
          images: [],
          paragraphs: [
            { text: '\u0000\u0000', bbox: undefined },
            { text: 'ok then\u0000', bbox: undefined },
          ],
        },
      ],
    });
    expect(cleaned.pages[0]?.paragraphs.map((paragraph) => paragraph.text)).toEqual(['ok then']);
    expect(cleaned.warnings).toEqual([
      expect.stringContaining('page(s) 1 uses fonts without a text mapping'),
    ]);
  });
});
