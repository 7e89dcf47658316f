import { describe, expect, it } from 'vitest';
import { layoutPage, type TextRun } from './pdf-layout.ts';

/** Lays out lines of a column: one run per line, 10 pt font, 12 pt leading. */
function column(x0: number, x1: number, top: number, lines: string[]): TextRun[] {
  return lines.map((text, i) => ({ text, x0, x1, baseline: top + i * 12, fontSize: 10 }));
}

describe('layoutPage', () => {
  it('reads a two-column page column by column and keeps the title first', () => {
    const left = column(
      50,
      290,
      100,
      Array.from({ length: 20 }, (_, i) => `left line ${i} goes on`),
    );
    const right = column(
      320,
      560,
      100,
      Array.from({ length: 20 }, (_, i) => `right line ${i} goes on`),
    );
    const title: TextRun = {
      text: 'A Title Across Both Columns',
      x0: 150,
      x1: 460,
      baseline: 60,
      fontSize: 18,
    };
    // Interleave the runs the way a content stream may draw them (row by row).
    const runs = [title, ...left.flatMap((l, i) => [l, right[i] as TextRun])];
    const { paragraphs } = layoutPage(runs, []);
    const all = paragraphs.map((p) => p.text).join('\n');
    expect(paragraphs[0]?.text).toBe('A Title Across Both Columns');
    expect(all.indexOf('left line 19')).toBeLessThan(all.indexOf('right line 0'));
    expect(all).not.toMatch(/left line 0 goes on right/);
  });

  it('joins hyphenated words, splits paragraphs on gaps and indents, and places images', () => {
    const runs: TextRun[] = [
      ...column(50, 300, 100, ['The first para-', 'graph ends here.']),
      ...column(50, 300, 150, ['The second paragraph', 'is longer than one', 'line of text.']),
      { text: 'An indented third one.', x0: 65, x1: 200, baseline: 186, fontSize: 10 },
    ];
    const { paragraphs, imageAfterParagraph } = layoutPage(runs, [{ bbox: [50, 125, 300, 140] }]);
    expect(paragraphs.map((p) => p.text)).toEqual([
      'The first paragraph ends here.',
      'The second paragraph is longer than one line of text.',
      'An indented third one.',
    ]);
    expect(imageAfterParagraph).toEqual([1]);
    expect(paragraphs[0]?.bbox?.[0]).toBe(50);
  });

  it('inserts spaces at word gaps but not inside words split into runs', () => {
    const runs: TextRun[] = [
      { text: 'Hel', x0: 50, x1: 65, baseline: 100, fontSize: 10 },
      { text: 'lo', x0: 65.2, x1: 75, baseline: 100, fontSize: 10 },
      { text: 'world', x0: 78, x1: 100, baseline: 100, fontSize: 10 },
    ];
    expect(layoutPage(runs, []).paragraphs[0]?.text).toBe('Hello world');
  });
});
