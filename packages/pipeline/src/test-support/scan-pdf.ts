// A "scanned" PDF: pages that are one image of printed text each (no text layer), rendered with @napi-rs/canvas
// and written with pdf-lib, with the text they show, for OCR tests and the fidelity benchmark.
import { createCanvas } from '@napi-rs/canvas';
import { PDFDocument } from 'pdf-lib';
import { prng, VOCABULARY } from './book-pdf.ts';

/** Builds `pages` scanned pages of `lines` lines each; returns the PDF and each page's words in reading order. */
export async function buildScannedPdf(
  options: { pages?: number; lines?: number; seed?: number } = {},
): Promise<{ data: Uint8Array; pageWords: string[][] }> {
  const random = prng(options.seed ?? 11);
  const doc = await PDFDocument.create();
  const pageWords: string[][] = [];
  const dpi = 150;
  const width = Math.round(8.5 * dpi);
  const height = Math.round(11 * dpi);
  for (let p = 0; p < (options.pages ?? 1); p++) {
    const canvas = createCanvas(width, height);
    const context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    context.fillStyle = '#111111';
    context.font = '30px DejaVu Serif';
    const words: string[] = [];
    for (let l = 0; l < (options.lines ?? 20); l++) {
      const line = Array.from(
        { length: 7 },
        () => VOCABULARY[Math.floor(random() * VOCABULARY.length)] as string,
      );
      context.fillText(line.join(' '), 120, 180 + l * 58);
      words.push(...line);
    }
    pageWords.push(words);
    const png = await doc.embedPng(canvas.toBuffer('image/png'));
    const page = doc.addPage([612, 792]);
    page.drawImage(png, { x: 0, y: 0, width: 612, height: 792 });
  }
  return { data: await doc.save(), pageWords };
}
