import { describe, expect, it } from 'vitest';
import { skipReason } from './inbox-names.ts';

describe('skipReason', () => {
  it.each([
    ['.DS_Store', 'hidden'],
    ['.report.pdf.swp', 'hidden'],
    ['report.pdf.tmp', 'temporary'],
    ['report.pdf.part', 'temporary'],
    ['report.pdf.crdownload', 'temporary'],
    ['Report.PDF.DOWNLOAD', 'temporary'],
    ['~$budget.docx', 'temporary'],
    ['notes.md~', 'temporary'],
    ['notes.md.swp', 'temporary'],
  ])('skips %s as %s', (name, reason) => {
    expect(skipReason(name)).toBe(reason);
  });

  it.each(['report.pdf', 'notes.md', 'temporary-results.txt', 'partner.docx', 'a~b.txt'])(
    'ingests %s',
    (name) => {
      expect(skipReason(name)).toBeUndefined();
    },
  );
});
