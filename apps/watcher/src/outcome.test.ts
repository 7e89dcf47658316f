import { describe, expect, it } from 'vitest';
import { outcomeOf, versionErrorReport } from './outcome.ts';

describe('outcomeOf', () => {
  it('maps final statuses to a folder and leaves pending ones alone', () => {
    expect(outcomeOf('completed')).toBe('processed');
    expect(outcomeOf('superseded')).toBe('processed');
    expect(outcomeOf('failed')).toBe('failed');
    expect(outcomeOf('cancelled')).toBe('failed');
    expect(outcomeOf('queued')).toBeUndefined();
    expect(outcomeOf('processing')).toBeUndefined();
    expect(outcomeOf('cancelling')).toBeUndefined();
  });
});

describe('versionErrorReport', () => {
  const at = new Date('2026-01-02T03:04:05.000Z');
  it('keeps the recorded code and message', () => {
    expect(
      versionErrorReport(
        { documentId: 'd', version: 2, status: 'failed', errorCode: 'PDF_ENCRYPTED', errorMessage: 'locked' },
        at,
      ),
    ).toEqual({
      documentId: 'd',
      version: 2,
      code: 'PDF_ENCRYPTED',
      message: 'locked',
      at: at.toISOString(),
    });
  });

  it('names a cancellation when nothing was recorded', () => {
    expect(
      versionErrorReport(
        { documentId: 'd', version: 1, status: 'cancelled', errorCode: null, errorMessage: null },
        at,
      ).code,
    ).toBe('DOCUMENT_CANCELLED');
  });
});
