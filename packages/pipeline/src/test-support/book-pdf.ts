// Test documents with known structure, written with pdf-lib: a book with an outline, running heads and feet,
// page numbers, a footer URL, numbered section headings and words hyphenated over line and page breaks. The
// builder returns the ground truth next to the bytes, so tests and the fidelity benchmark can check every rule
// (furniture kept out, headings found at the right level, hyphenated words whole) on every page.
import {
  PDFDocument,
  type PDFFont,
  PDFName,
  PDFNumber,
  type PDFPage,
  PDFString,
  StandardFonts,
} from 'pdf-lib';

/** mulberry32: a tiny seeded PRNG, so the same seed gives the same document everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const VOCABULARY = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they ' +
  'culture creativity property law lawyers copyright creators history technology internet electronic distribution ' +
  'photography broadcasting recording publishers freedom tradition innovation commercial communication permission ' +
  'protection government monopoly industry artists composers musicians libraries archives preservation ' +
  'remarkable extraordinary understanding responsibility constitutional restrictions consequences development ' +
  'market markets power control public domain ideas works creative film radio cable television music books ' +
  'people world time years court congress rights owners system new free open old more most other each every ' +
  'against between through during before after under again further then once here there when where why how ' +
  'building building reading writing thinking changing growing'
).split(' ');

const NUMBER_WORDS = [
  'ONE',
  'TWO',
  'THREE',
  'FOUR',
  'FIVE',
  'SIX',
  'SEVEN',
  'EIGHT',
  'NINE',
  'TEN',
  'ELEVEN',
  'TWELVE',
  'THIRTEEN',
  'FOURTEEN',
  'FIFTEEN',
  'SIXTEEN',
];

/** A heading the book prints (and its outline entry, when it has one). */
export interface BookHeading {
  /** As printed on the page. */
  text: string;
  /** As written in the outline (differs in case and numbering style from the page). */
  outlineTitle: string;
  level: number;
  pageNumber: number;
}

/** What the book contains, for checking an extraction against. */
export interface BookTruth {
  pageCount: number;
  headings: BookHeading[];
  /** Furniture lines printed on each page (running head, footer URL, page number), by page number. */
  furniture: Map<number, string[]>;
  /** Every body word in reading order (hyphenated words whole), headings excluded. */
  bodyWords: string[];
  /** Words the book breaks with a hyphen at a line end, whole; `acrossPages` at a page end. */
  hyphenated: Array<{ word: string; pageNumber: number; acrossPages: boolean }>;
  /** The repeated footer URL. */
  footerUrl: string;
}

/** Options of {@link buildBookPdf}. */
export interface BookOptions {
  /** Pages at least (the last chapter runs on until reached). Default 24. */
  minPages?: number | undefined;
  /** Chapters. Default 4. */
  chapters?: number | undefined;
  /** Sections per chapter (numbered "1.1", "1.2", ...). Default 3. */
  sectionsPerChapter?: number | undefined;
  /** PRNG seed. Default 1. */
  seed?: number | undefined;
  /** Book title, also the even pages' running head. Default "FREE CULTURE". */
  title?: string | undefined;
}

const PAGE_WIDTH = 432;
const PAGE_HEIGHT = 648;
const MARGIN_X = 54;
const BODY_TOP = 72;
const BODY_BOTTOM = PAGE_HEIGHT - 72;
const BODY_SIZE = 10.5;
const LEADING = 14;

interface Writer {
  doc: PDFDocument;
  font: PDFFont;
  bold: PDFFont;
  page: PDFPage;
  /** Distance from the top of the page to the next baseline. */
  y: number;
  pageNumber: number;
  chapterTitle: string;
}

/**
 * A book: chapters titled "CHAPTER ONE: <name>" (outline: "Chapter 1: <Name>"), numbered sections
 * ("1.2 Markets and Law", outline the same), justified body text with words hyphenated at line ends (and, on
 * purpose, across some page breaks), a running head on every page but a chapter's first ("88 FREE CULTURE" on
 * even pages, "CHAPTER ONE: CREATORS 89" on odd ones), and a footer URL on every page.
 */
export async function buildBookPdf(
  options: BookOptions = {},
): Promise<{ data: Uint8Array; truth: BookTruth }> {
  const random = prng(options.seed ?? 1);
  const minPages = options.minPages ?? 24;
  const chapters = options.chapters ?? 4;
  const sections = options.sectionsPerChapter ?? 3;
  const title = options.title ?? 'FREE CULTURE';
  const footerUrl = 'http://www.free-culture.cc/freecontent/';
  const doc = await PDFDocument.create();
  doc.setTitle('Free Culture: a test book');
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const bold = await doc.embedFont(StandardFonts.TimesRomanBold);
  const truth: BookTruth = {
    pageCount: 0,
    headings: [],
    furniture: new Map(),
    bodyWords: [],
    hyphenated: [],
    footerUrl,
  };
  const w: Writer = {
    doc,
    font,
    bold,
    page: doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]),
    y: BODY_TOP,
    pageNumber: 1,
    chapterTitle: '',
  };
  const outline: Array<{
    title: string;
    pageNumber: number;
    top: number;
    children: Array<{ title: string; pageNumber: number; top: number }>;
  }> = [];

  const furniture = (chapterOpening: boolean): void => {
    const lines: string[] = [];
    if (!chapterOpening) {
      const head = w.pageNumber % 2 === 0 ? `${w.pageNumber} ${title}` : `${w.chapterTitle} ${w.pageNumber}`;
      const x = w.pageNumber % 2 === 0 ? MARGIN_X : PAGE_WIDTH - MARGIN_X - font.widthOfTextAtSize(head, 8);
      w.page.drawText(head, { x, y: PAGE_HEIGHT - 40, size: 8, font });
      lines.push(head);
    } else {
      const number = String(w.pageNumber);
      w.page.drawText(number, { x: PAGE_WIDTH / 2 - 4, y: 44, size: 8, font });
      lines.push(number);
    }
    w.page.drawText(footerUrl, { x: MARGIN_X, y: 30, size: 7, font });
    lines.push(footerUrl);
    truth.furniture.set(w.pageNumber, lines);
  };
  const newPage = (chapterOpening = false): void => {
    w.page = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    w.pageNumber++;
    w.y = BODY_TOP;
    furniture(chapterOpening);
  };
  const drawLine = (text: string, size = BODY_SIZE, f = font, justifyTo?: number): void => {
    if (justifyTo !== undefined) {
      // Justified: spread the spaces so the line fills the measure, as books do.
      const words = text.split(' ');
      const natural = words.reduce((n, word) => n + f.widthOfTextAtSize(word, size), 0);
      const gap = words.length > 1 ? (justifyTo - natural) / (words.length - 1) : 0;
      let x = MARGIN_X;
      for (const word of words) {
        w.page.drawText(word, { x, y: PAGE_HEIGHT - w.y, size, font: f });
        x += f.widthOfTextAtSize(word, size) + gap;
      }
    } else {
      w.page.drawText(text, { x: MARGIN_X, y: PAGE_HEIGHT - w.y, size, font: f });
    }
  };

  const measure = PAGE_WIDTH - 2 * MARGIN_X;
  const paragraph = (forceHyphenAtPageEnd: boolean): void => {
    const count = 40 + Math.floor(random() * 80);
    const words = Array.from(
      { length: count },
      () => VOCABULARY[Math.floor(random() * VOCABULARY.length)] as string,
    );
    words[0] = (words[0] as string).replace(/^./, (c) => c.toUpperCase());
    words[words.length - 1] = `${words[words.length - 1]}.`;
    truth.bodyWords.push(...words);
    let line: string[] = [];
    let carry: string | undefined;
    const flush = (last: boolean): void => {
      if (w.y > BODY_BOTTOM) newPage();
      drawLine(line.join(' '), BODY_SIZE, font, last ? undefined : measure);
      w.y += LEADING;
      line = [];
    };
    let i = 0;
    while (i < words.length || carry !== undefined) {
      const word = carry ?? (words[i++] as string);
      carry = undefined;
      const candidate = [...line, word].join(' ');
      if (font.widthOfTextAtSize(candidate, BODY_SIZE) <= measure) {
        line.push(word);
        continue;
      }
      const lastLineOfPage = w.y + LEADING > BODY_BOTTOM;
      const wantHyphen =
        /^[a-z]{8,}$/.test(word) && (random() < 0.5 || (forceHyphenAtPageEnd && lastLineOfPage));
      if (wantHyphen) {
        const cut = 3 + Math.floor(random() * (word.length - 6));
        const head = `${word.slice(0, cut)}-`;
        if (font.widthOfTextAtSize([...line, head].join(' '), BODY_SIZE) <= measure) {
          line.push(head);
          truth.hyphenated.push({ word, pageNumber: w.pageNumber, acrossPages: lastLineOfPage });
          flush(false);
          carry = word.slice(cut);
          continue;
        }
      }
      flush(false);
      carry = word;
    }
    if (line.length > 0) flush(true);
    w.y += LEADING * 0.6;
  };

  const chapterNames = [
    'Creators',
    'Mere Copyists',
    'Catalogs',
    'Pirates',
    'Piracy',
    'Property',
    'Founders',
    'Recorders',
    'Transformers',
    'Collectors',
    'Balances',
    'Chimera',
    'Harms',
    'Eldred',
  ];
  const sectionNames = [
    'Markets and Law',
    'The Public Domain',
    'Permission Culture',
    'Radio and Cable',
    'Film and Books',
    'Libraries of Ideas',
  ];
  furniture(true);
  let chapter = 0;
  while (chapter < chapters || w.pageNumber < minPages) {
    chapter++;
    if (chapter > 1) newPage(true);
    const name = chapterNames[(chapter - 1) % chapterNames.length] as string;
    const printed = `CHAPTER ${NUMBER_WORDS[(chapter - 1) % NUMBER_WORDS.length]}: ${name.toUpperCase()}`;
    w.chapterTitle = `CHAPTER ${NUMBER_WORDS[(chapter - 1) % NUMBER_WORDS.length]}: ${name.toUpperCase()}`;
    w.y = BODY_TOP + 60;
    drawLine(printed, 16, bold);
    const chapterEntry = {
      title: `Chapter ${chapter}: ${name}`,
      pageNumber: w.pageNumber,
      top: w.y - 16,
      children: [] as Array<{ title: string; pageNumber: number; top: number }>,
    };
    outline.push(chapterEntry);
    truth.headings.push({
      text: printed,
      outlineTitle: chapterEntry.title,
      level: 1,
      pageNumber: w.pageNumber,
    });
    w.y += 36;
    const sectionCount = chapter <= chapters ? sections : 1;
    for (let s = 1; s <= sectionCount; s++) {
      if (w.y + 3 * LEADING > BODY_BOTTOM) newPage();
      const sectionTitle = `${chapter}.${s} ${sectionNames[(chapter + s) % sectionNames.length]}`;
      w.y += 8;
      drawLine(sectionTitle, 12.5, bold);
      chapterEntry.children.push({ title: sectionTitle, pageNumber: w.pageNumber, top: w.y - 13 });
      truth.headings.push({
        text: sectionTitle,
        outlineTitle: sectionTitle,
        level: 2,
        pageNumber: w.pageNumber,
      });
      w.y += LEADING * 1.5;
      const paragraphs = 3 + Math.floor(random() * 4);
      for (let p = 0; p < paragraphs; p++) paragraph(p % 2 === 1);
    }
  }
  truth.pageCount = doc.getPageCount();
  writeOutline(doc, outline);
  return { data: await doc.save({ useObjectStreams: false }), truth };
}

/** Writes a two-level outline (bookmarks) with /XYZ destinations. */
function writeOutline(
  doc: PDFDocument,
  entries: Array<{
    title: string;
    pageNumber: number;
    top: number;
    children: Array<{ title: string; pageNumber: number; top: number }>;
  }>,
): void {
  const context = doc.context;
  const pages = doc.getPages();
  const rootRef = context.nextRef();
  const dest = (pageNumber: number, top: number) => {
    const page = pages[pageNumber - 1] as PDFPage;
    return context.obj([
      page.ref,
      PDFName.of('XYZ'),
      PDFNumber.of(0),
      PDFNumber.of(PAGE_HEIGHT - top),
      PDFNumber.of(0),
    ]);
  };
  const level = (
    items: Array<{
      title: string;
      pageNumber: number;
      top: number;
      children?: Array<{ title: string; pageNumber: number; top: number }>;
    }>,
    parent: ReturnType<typeof context.nextRef>,
  ) => {
    const refs = items.map(() => context.nextRef());
    items.forEach((item, i) => {
      const dict = new Map<PDFName, unknown>();
      void dict;
      const children = item.children ?? [];
      const childRefs =
        children.length > 0 ? level(children, refs[i] as ReturnType<typeof context.nextRef>) : [];
      const fields: Record<string, unknown> = {
        Title: PDFString.of(item.title),
        Parent: parent,
        Dest: dest(item.pageNumber, item.top),
      };
      if (i > 0) fields.Prev = refs[i - 1];
      if (i < items.length - 1) fields.Next = refs[i + 1];
      if (childRefs.length > 0) {
        fields.First = childRefs[0];
        fields.Last = childRefs[childRefs.length - 1];
        fields.Count = PDFNumber.of(childRefs.length);
      }
      context.assign(refs[i] as ReturnType<typeof context.nextRef>, context.obj(fields as never));
    });
    return refs;
  };
  const top = level(entries, rootRef);
  context.assign(
    rootRef,
    context.obj({
      Type: 'Outlines',
      First: top[0],
      Last: top[top.length - 1],
      Count: PDFNumber.of(top.length),
    } as never),
  );
  doc.catalog.set(PDFName.of('Outlines'), rootRef);
}
