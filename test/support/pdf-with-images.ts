import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';

/** A picture with some structure (not near-uniform), so the image filter keeps it and a model is asked. */
async function figure(seed: number): Promise<Uint8Array> {
  const hue = (seed * 67) % 255;
  const svg = `<svg width="240" height="160" xmlns="http://www.w3.org/2000/svg">
    <rect width="240" height="160" fill="rgb(${hue},${255 - hue},120)"/>
    <circle cx="${60 + seed * 20}" cy="80" r="45" fill="rgb(20,20,${hue})"/>
    <rect x="130" y="${30 + seed * 5}" width="80" height="60" fill="yellow"/></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/**
 * A small PDF made on the fly (tests never ship binary fixtures): `pages` pages, each with a few paragraphs
 * of text about `topic` and `imagesPerPage` distinct pictures, so every stage has work (text, figures to
 * describe, several chunks, entities).
 */
export async function pdfWithImages(
  options: { topic?: string; pages?: number; imagesPerPage?: number } = {},
): Promise<Uint8Array> {
  const topic = options.topic ?? 'TraceMonkey';
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  let seed = 0;
  for (let pageIndex = 0; pageIndex < (options.pages ?? 2); pageIndex += 1) {
    const page = document.addPage([612, 792]);
    const lines = [
      `Chapter ${pageIndex + 1}: ${topic} at Mozilla`,
      `Andreas Gal and Brendan Eich discussed ${topic} in Mountain View.`,
      'The tracing compiler records hot loops and specialises types along each trace.',
      `Graydon Hoare reviewed the ${topic} design for the Firefox browser.`,
      'Side exits return control to the interpreter when a guard fails.',
      'Trace trees connect loops that share a header and nest inner loops.',
    ];
    lines.forEach((line, index) => {
      page.drawText(line, { x: 50, y: 740 - index * 22, size: 11, font });
    });
    for (let image = 0; image < (options.imagesPerPage ?? 1); image += 1) {
      const png = await document.embedPng(await figure(seed));
      seed += 1;
      page.drawImage(png, { x: 50 + image * 260, y: 380, width: 240, height: 160 });
    }
    lines.forEach((line, index) => {
      page.drawText(`${line} (continued)`, { x: 50, y: 340 - index * 22, size: 11, font });
    });
  }
  return document.save();
}
