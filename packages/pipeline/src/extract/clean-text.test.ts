import { describe, expect, it } from 'vitest';
import { cleanExtractedDocument, cleanText } from './clean-text.ts';

describe('cleanText', () => {
  it('removes control characters Postgres refuses and repairs lone surrogates', () => {
    expect(cleanText('a\u0000b\u0007c\td\ne\u007F')).toBe('abc\td\ne');
    expect(cleanText('x\uD800y')).toBe('x\uFFFDy');
  });

  it('drops paragraphs that were only control characters', () => {
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
            { text: 'ok\u0000', bbox: undefined },
          ],
        },
      ],
    });
    expect(cleaned.pages[0]?.paragraphs.map((paragraph) => paragraph.text)).toEqual(['ok']);
  });
});
