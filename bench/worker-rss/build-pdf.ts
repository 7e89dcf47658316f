import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';

/**
 * A PDF of at least `minPages` pages made by appending all pages of `sources` (corpus files) again and again.
 * Every copy is a fresh copy of the page objects (fonts, images included), as in a real long document whose
 * chapters carry their own resources.
 */
export async function buildLongPdf(
  corpusDir: string,
  sources: readonly string[],
  minPages: number,
): Promise<{ data: Uint8Array; pages: number; repetitions: number }> {
  const loaded = await Promise.all(
    sources.map(async (name) => PDFDocument.load(await readFile(join(corpusDir, name)))),
  );
  const out = await PDFDocument.create();
  out.setTitle(`aegis bench: ${sources.join(' + ')} repeated`);
  let repetitions = 0;
  while (out.getPageCount() < minPages) {
    for (const source of loaded) {
      const pages = await out.copyPages(source, source.getPageIndices());
      for (const page of pages) out.addPage(page);
    }
    repetitions += 1;
  }
  const data = await out.save({ useObjectStreams: true });
  return { data, pages: out.getPageCount(), repetitions };
}
