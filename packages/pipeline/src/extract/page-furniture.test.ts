import { describe, expect, it } from 'vitest';
import type { ExtractedPage, Paragraph } from './extracted-document.ts';
import { markFurniture } from './page-furniture.ts';

const block = (text: string, y0: number, fontSize = 10): Paragraph => ({
  text,
  bbox: [72, y0, 300, y0 + fontSize],
  fontSize,
});

function pages(count: number, extra: (n: number) => Paragraph[] = () => []): ExtractedPage[] {
  return Array.from({ length: count }, (_, i) => ({
    pageNumber: i + 1,
    width: 600,
    height: 800,
    paragraphs: [
      block(`Body text of page ${i + 1} that says something different each time.`, 300),
      block(`page ${i + 1} / ${count}`, 760, 8),
      ...extra(i + 1),
    ],
    images: [],
  }));
}

describe('markFurniture', () => {
  it('"page N / M" footers track the page number by their first number, outermost or not', () => {
    // The last page has a line below its footer, so the footer is not the outermost line there.
    const doc = pages(6, (n) => (n === 6 ? [block('A closing remark under the footer.', 780)] : []));
    markFurniture(doc);
    for (const page of doc) expect(page.paragraphs[1]?.role).toBe('furniture');
    expect(doc[0]?.paragraphs[0]?.role).toBeUndefined();
  });

  it('a microscopic line in a margin is furniture even once; the same size in the body or readable is not', () => {
    const doc = pages(3, (n) =>
      n === 3
        ? [block('Powered by TCPDF (www.tcpdf.org)', 795, 1), block('tiny note in the body', 400, 1)]
        : n === 1
          ? [block('A readable line at the bottom once.', 790, 9)]
          : [],
    );
    markFurniture(doc);
    const role = (n: number, text: string) =>
      doc[n - 1]?.paragraphs.find((p) => p.text.startsWith(text))?.role;
    expect(role(3, 'Powered by')).toBe('furniture');
    expect(role(3, 'tiny note')).toBeUndefined();
    expect(role(1, 'A readable line')).toBeUndefined();
  });

  it('a running foot without its number (set in the head on that page) is furniture beside the numbered ones', () => {
    const url = 'http://www.free-culture.cc/freecontent/';
    const doc: ExtractedPage[] = [1, 2, 3].map((n) => ({
      pageNumber: n,
      width: 600,
      height: 800,
      paragraphs: [
        ...(n % 2 === 0 ? [block(`${n} FREE CULTURE`, 40, 8)] : []),
        block(`Body text of page ${n} that says something different each time.`, 300),
        n % 2 === 0 ? block(url, 762, 7) : block(`${n} ${url}`, 752, 8),
      ],
      images: [],
    }));
    markFurniture(doc);
    for (const page of doc) expect(page.paragraphs.at(-1)?.role).toBe('furniture');
    for (const page of doc)
      expect(page.paragraphs.find((p) => p.text.startsWith('Body'))?.role).toBeUndefined();
  });

  it('the same words without a number but set larger (a title) are not taken for the numbered running line', () => {
    const doc: ExtractedPage[] = [1, 2, 3].map((n) => ({
      pageNumber: n,
      width: 600,
      height: 800,
      paragraphs: [
        block(n === 1 ? 'Deep Learning' : `${n} Deep Learning`, 40, n === 1 ? 18 : 8),
        block(`Body text of page ${n} that says something different each time.`, 300),
      ],
      images: [],
    }));
    markFurniture(doc);
    expect(doc[0]?.paragraphs[0]?.role).toBeUndefined();
    expect(doc[1]?.paragraphs[0]?.role).toBe('furniture');
    expect(doc[2]?.paragraphs[0]?.role).toBe('furniture');
  });
});
