import { describe, expect, it } from 'vitest';
import { folderRefusal, inboxPlace, skipReason } from './inbox-names.ts';

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

describe('inboxPlace', () => {
  const inbox = '/srv/inbox';
  it('puts a file directly in the inbox in no folder (knowledge base default)', () => {
    expect(inboxPlace(inbox, '/srv/inbox/report.pdf')).toEqual({ folder: undefined, name: 'report.pdf' });
  });
  it('names the sub-folder of a file one level down', () => {
    expect(inboxPlace(inbox, '/srv/inbox/finance/q3.pdf')).toEqual({ folder: 'finance', name: 'q3.pdf' });
  });
  it('marks anything deeper, or outside the inbox, as no place', () => {
    expect(inboxPlace(inbox, '/srv/inbox/finance/2026/q3.pdf').folder).toBeNull();
    expect(inboxPlace(inbox, '/srv/elsewhere/q3.pdf').folder).toBeNull();
  });
});

describe('folderRefusal', () => {
  it.each(['default', 'finance', 'team-a', 'hr_2026', '0day', 'a'.repeat(64)])('accepts %s', (name) => {
    expect(folderRefusal(name)).toBeUndefined();
  });
  it.each([
    ['.git', 'hidden'],
    ['.Trash-1000', 'hidden'],
    ['Finance', 'invalid-name'],
    ['team a', 'invalid-name'],
    ['-leading-dash', 'invalid-name'],
    ['_x', 'invalid-name'],
    ['a'.repeat(65), 'invalid-name'],
    ['naïve', 'invalid-name'],
    ['finance~', 'temporary'],
  ])('refuses %s (%s)', (name, reason) => {
    expect(folderRefusal(name)).toBe(reason);
  });
});
