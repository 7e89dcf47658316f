// A short paper written with pdf-lib: a title, two columns of text with numbered sections and words hyphenated
// over line and column breaks, a table with ruling lines, an unruled numeric table, and a filled AcroForm. The
// ground truth comes with the bytes.
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import { prng, VOCABULARY } from './book-pdf.ts';

export interface PaperTruth {
  title: string;
  /** Section headings with their expected levels (the title is level 1). */
  headings: Array<{ text: string; level: number }>;
  /** Tables as printed, header row first. */
  tables: string[][][];
  /** Filled form fields: the printed label (without its colon) and the value. */
  fields: Array<{ label: string; value: string }>;
  /** Words of the two-column body text in reading order (left column first). */
  columnWords: string[];
}

const WIDTH = 612;
const HEIGHT = 792;

function words(random: () => number, count: number): string[] {
  return Array.from({ length: count }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)] as string);
}

/** Lays out words in a column of `width` points from `top`, returns the next top; hyphenates long words. */
function column(
  page: PDFPage,
  font: PDFFont,
  text: string[],
  x: number,
  top: number,
  width: number,
  size: number,
  random: () => number,
): number {
  let y = top;
  let line: string[] = [];
  const draw = (): void => {
    page.drawText(line.join(' '), { x, y: HEIGHT - y, size, font });
    y += size * 1.3;
    line = [];
  };
  for (let i = 0; i < text.length; i++) {
    const word = text[i] as string;
    if (font.widthOfTextAtSize([...line, word].join(' '), size) <= width) {
      line.push(word);
      continue;
    }
    if (word.length >= 8 && random() < 0.6) {
      const cut = 3 + Math.floor(random() * (word.length - 6));
      if (font.widthOfTextAtSize([...line, `${word.slice(0, cut)}-`].join(' '), size) <= width) {
        line.push(`${word.slice(0, cut)}-`);
        draw();
        line.push(word.slice(cut));
        continue;
      }
    }
    draw();
    line.push(word);
  }
  if (line.length > 0) draw();
  return y;
}

/** Builds the paper; `seed` varies the words. */
export async function buildPaperPdf(seed = 1): Promise<{ data: Uint8Array; truth: PaperTruth }> {
  const random = prng(seed);
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const title = 'Measuring Structure in Document Ingestion';
  const truth: PaperTruth = { title, headings: [], tables: [], fields: [], columnWords: [] };

  // Page 1: title, two columns, numbered sections.
  const page1 = doc.addPage([WIDTH, HEIGHT]);
  const titleWidth = bold.widthOfTextAtSize(title, 18);
  page1.drawText(title, { x: (WIDTH - titleWidth) / 2, y: HEIGHT - 80, size: 18, font: bold });
  const colWidth = 236;
  const sections = ['1. Introduction', '2. Method', '2.1 Data Sets', '3. Results'];
  const left = { x: 60, y: 130 };
  const right = { x: 316, y: 130 };
  sections.forEach((heading, i) => {
    const target = i < 2 ? left : right;
    const size = heading.includes('.1 ') ? 9.5 : 11;
    target.y += 6;
    page1.drawText(heading, { x: target.x, y: HEIGHT - target.y, size, font: bold });
    truth.headings.push({ text: heading, level: heading.includes('.1 ') ? 3 : 2 });
    if (i === sections.length - 1) truth.headings.push({ text: 'Application form', level: 2 });
    target.y += 18;
    const body = words(random, 70 + Math.floor(random() * 40));
    body[0] = (body[0] as string).replace(/^./, (c) => c.toUpperCase());
    body[body.length - 1] = `${body[body.length - 1]}.`;
    truth.columnWords.push(...body);
    target.y = column(page1, font, body, target.x, target.y, colWidth, 9.5, random) + 8;
  });
  truth.headings.unshift({ text: title, level: 1 });

  // Page 2: a ruled table and an unruled numeric table.
  const page2 = doc.addPage([WIDTH, HEIGHT]);
  page2.drawText('Table 1 lists the corpora.', { x: 72, y: HEIGHT - 80, size: 10, font });
  const ruled = [
    ['Corpus', 'Documents', 'Pages', 'Language'],
    ...Array.from({ length: 6 }, (_, r) => [
      `${['News', 'Papers', 'Books', 'Forms', 'Slides', 'Letters'][r]} set`,
      String(100 + Math.floor(random() * 900)),
      String(1000 + Math.floor(random() * 9000)),
      ['English', 'German', 'French'][r % 3] as string,
    ]),
  ];
  const colX = [72, 200, 300, 400, 520];
  let y = 110;
  const rowHeight = 20;
  for (let r = 0; r <= ruled.length; r++) {
    page2.drawLine({
      start: { x: 72, y: HEIGHT - (y + r * rowHeight) },
      end: { x: 520, y: HEIGHT - (y + r * rowHeight) },
      thickness: 0.8,
      color: rgb(0, 0, 0),
    });
  }
  for (const x of colX) {
    page2.drawLine({
      start: { x, y: HEIGHT - y },
      end: { x, y: HEIGHT - (y + ruled.length * rowHeight) },
      thickness: 0.8,
      color: rgb(0, 0, 0),
    });
  }
  ruled.forEach((row, r) => {
    row.forEach((cell, c) => {
      page2.drawText(cell, {
        x: (colX[c] as number) + 6,
        y: HEIGHT - (y + r * rowHeight + 14),
        size: 10,
        font: r === 0 ? bold : font,
      });
    });
  });
  truth.tables.push(ruled);
  y += ruled.length * rowHeight + 40;
  page2.drawText('The scores per stage follow.', { x: 72, y: HEIGHT - y, size: 10, font });
  y += 30;
  const numeric = [
    ['Stage', 'Recall', 'Seconds'],
    ...['extract', 'layout', 'chunk', 'embed'].map((stage) => [
      stage,
      (0.9 + random() * 0.09).toFixed(3),
      (random() * 10).toFixed(2),
    ]),
  ];
  numeric.forEach((row, r) => {
    row.forEach((cell, c) => {
      page2.drawText(cell, { x: 72 + c * 130, y: HEIGHT - (y + r * 16), size: 10, font });
    });
  });
  truth.tables.push(numeric);
  y += numeric.length * 16 + 30;
  page2.drawText('These figures were measured on one machine.', { x: 72, y: HEIGHT - y, size: 10, font });

  // Page 3: a filled form.
  const page3 = doc.addPage([WIDTH, HEIGHT]);
  page3.drawText('Application form', { x: 72, y: HEIGHT - 80, size: 11, font: bold });
  const form = doc.getForm();
  const fields = [
    ['Full name', 'Ada Lovelace'],
    ['Email address', 'ada@example.org'],
    ['Country', 'United Kingdom'],
  ] as const;
  fields.forEach(([label, value], i) => {
    const top = 130 + i * 40;
    page3.drawText(`${label}:`, { x: 72, y: HEIGHT - top, size: 11, font });
    const field = form.createTextField(`applicant.field${i}`);
    field.setText(value);
    field.addToPage(page3, { x: 200, y: HEIGHT - top - 6, width: 220, height: 20, font });
    truth.fields.push({ label, value });
  });
  page3.drawText('I agree to the terms', { x: 72, y: HEIGHT - 270, size: 11, font });
  const agree = form.createCheckBox('applicant.agree');
  agree.addToPage(page3, { x: 200, y: HEIGHT - 276, width: 14, height: 14 });
  agree.check();
  truth.fields.push({ label: 'I agree to the terms', value: 'checked' });
  const empty = form.createTextField('applicant.notes');
  page3.drawText('Notes:', { x: 72, y: HEIGHT - 320, size: 11, font });
  empty.addToPage(page3, { x: 200, y: HEIGHT - 326, width: 220, height: 20, font });
  return { data: await doc.save({ useObjectStreams: false }), truth };
}
