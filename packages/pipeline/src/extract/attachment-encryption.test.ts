import { isAegisError } from '@aegis/core';
import { PDFDocument, PDFHexString, PDFName, PDFNumber, StandardFonts } from 'pdf-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDefaultSandbox } from '../sandbox/default-sandbox.ts';
import { extractDocument } from './extract-document.ts';

afterAll(() => closeDefaultSandbox());

/** A one-page PDF with a standard-security Encrypt dictionary whose crypt filters are as given. */
async function encryptedPdf(filters: { StmF: string; StrF: string; EFF?: string }): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc
    .addPage([300, 200])
    .drawText('The pages of this file are plain text.', { x: 20, y: 100, size: 10, font });
  const context = doc.context;
  const random = (n: number) =>
    PDFHexString.of(
      Array.from({ length: n }, (_, i) => ((i * 37 + 11) % 256).toString(16).padStart(2, '0')).join(''),
    );
  const fields: Record<string, unknown> = {
    Filter: 'Standard',
    V: PDFNumber.of(4),
    R: PDFNumber.of(4),
    Length: PDFNumber.of(128),
    P: PDFNumber.of(-4),
    O: random(32),
    U: random(32),
    CF: context.obj({ StdCF: context.obj({ CFM: 'AESV2', AuthEvent: 'EFOpen', Length: PDFNumber.of(16) }) }),
    StmF: PDFName.of(filters.StmF),
    StrF: PDFName.of(filters.StrF),
  };
  if (filters.EFF !== undefined) fields.EFF = PDFName.of(filters.EFF);
  const encrypt = context.register(context.obj(fields as never));
  context.trailerInfo.Encrypt = encrypt;
  context.trailerInfo.ID = context.obj([random(16), random(16)]);
  return doc.save({ useObjectStreams: false });
}

describe('PDFs whose encryption covers only embedded files', () => {
  it('open without a password, pages read as usual', async () => {
    const data = await encryptedPdf({ StmF: 'Identity', StrF: 'Identity', EFF: 'StdCF' });
    const doc = await extractDocument({ data }, { images: false });
    expect(doc.pages[0]?.paragraphs.map((p) => p.text)).toEqual(['The pages of this file are plain text.']);
  });

  it('still fail with PDF_ENCRYPTED when the content itself is encrypted', async () => {
    for (const filters of [
      { StmF: 'StdCF', StrF: 'StdCF', EFF: 'StdCF' },
      { StmF: 'StdCF', StrF: 'Identity' },
      { StmF: 'Identity', StrF: 'Identity' },
    ]) {
      const error = await extractDocument({ data: await encryptedPdf(filters) }, { images: false }).catch(
        (e: unknown) => e,
      );
      expect(isAegisError(error) && error.code).toBe('PDF_ENCRYPTED');
    }
  });
});
