/** A rectangle in PDF points with the origin at the page's top-left corner: [x0, y0, x1, y1], x0 < x1, y0 < y1. */
export type BoundingBox = [number, number, number, number];

export type SourceKind =
  | 'pdf'
  | 'text'
  | 'markdown'
  | 'html'
  | 'docx'
  | 'image'
  | 'csv'
  | 'xlsx'
  | 'pptx'
  | 'epub';

/**
 * What a block is for. Only `body`, `heading` and `table` blocks are indexed (chunked, embedded, searched);
 * `furniture` (running heads, footers, page numbers, repeated watermarks and URLs) and `junk` (text that does not
 * decode to readable characters) stay on the page as metadata. Undefined means `body` (or `heading` when
 * `headingLevel` is set), so blocks stored before roles existed keep their meaning.
 */
export type ParagraphRole = 'body' | 'heading' | 'table' | 'furniture' | 'junk';

/** Where a block's text came from: the PDF's text layer (default), OCR of the rendered page, a form field's value, or an outline entry whose title is not printed on the page. */
export type TextSource = 'text' | 'ocr' | 'form' | 'outline';

/** A table's cells, row by row, as text; `text` of its paragraph holds the same table as Markdown. */
export interface TableData {
  rows: string[][];
  /** Leading rows that are the header (repeated when a long table is split across chunks). */
  headerRows: number;
}

/** A word recognised by OCR, with its box on the page (PDF points, top-left origin). */
export interface OcrWord {
  text: string;
  bbox: BoundingBox;
  /** Recogniser confidence, 0-100. */
  confidence: number;
}

/** A block of text in reading order: a paragraph, a heading, a list item, a table or page furniture. */
export interface Paragraph {
  text: string;
  bbox: BoundingBox | undefined;
  /** 1 = top-level heading, 2 = sub-heading, ...; undefined for body text. */
  headingLevel?: number | undefined;
  /** Median font size of its lines, in points (PDF only). */
  fontSize?: number | undefined;
  /** See {@link ParagraphRole}; undefined = body (or heading when `headingLevel` is set). */
  role?: ParagraphRole | undefined;
  /**
   * This block continues the previous indexed block (on this page or, across a page break, on the one before):
   * `hyphen` re-joins a word split by a hyphen ("cre-" + "ativity"), `space` a sentence or a heading broken
   * over lines. The chunker merges them into one block.
   */
  joinPrevious?: 'hyphen' | 'space' | undefined;
  /** Default `text`. */
  source?: TextSource | undefined;
  /** Cells of a `table` block. */
  table?: TableData | undefined;
  /** Words and boxes of an OCR'd block. */
  words?: OcrWord[] | undefined;
  /**
   * Outline entries whose titles are not printed on the page and whose destination is this block: they are
   * headings that stand just before it.
   */
  outlineHeadings?: Array<{ title: string; level: number }> | undefined;
}

/** True for blocks that go into chunks and embeddings (body text, headings, tables). */
export function isIndexed(paragraph: Pick<Paragraph, 'role'>): boolean {
  return paragraph.role !== 'furniture' && paragraph.role !== 'junk';
}

/** An image placed on a page. `data` is PNG (or the original bytes for standalone images) when decoded. */
export interface ExtractedImage {
  /** Position among the page's images, 0-based, in drawing order. */
  index: number;
  bbox: BoundingBox | undefined;
  /** Pixel size of the decoded image. */
  width: number;
  height: number;
  /** Encoded image bytes; undefined when the image could not or must not be decoded (`skipReason` says why). */
  data: Uint8Array | undefined;
  mimeType: string;
  /** e.g. `over pixel limit (60000x60000)`, `undecodable`. */
  skipReason?: string | undefined;
  /**
   * How many paragraphs of the page come before the image in reading order, so the chunker can place the
   * figure's description where the figure stands.
   */
  afterParagraph: number;
  /**
   * `page-text`: a whole page rendered because it has no usable text layer (`OCR_ENGINE=vision`); the vision
   * model transcribes it and its text stands as the page's text. Default `figure` (described).
   */
  purpose?: 'figure' | 'page-text' | undefined;
}

export interface ExtractedPage {
  /** 1-based. */
  pageNumber: number;
  /** Page size in points (PDF) or pixels (images); 0 for text formats. */
  width: number;
  height: number;
  paragraphs: Paragraph[];
  images: ExtractedImage[];
}

export interface OutlineEntry {
  title: string;
  /** 1 = top level. */
  level: number;
  pageNumber?: number | undefined;
  /** Where on the page the destination points, in points from the top edge, when the outline says. */
  top?: number | undefined;
}

/** What the extract stage produces for one page range (or the whole document for non-PDF formats). */
export interface ExtractedDocument {
  kind: SourceKind;
  title?: string | undefined;
  /** Pages of the whole document (PDF: from the document, even when only a range was extracted). */
  pageCount: number;
  pages: ExtractedPage[];
  outline: OutlineEntry[];
  /** Things a user should know that did not stop extraction (e.g. an image over the pixel limit was skipped). */
  warnings: string[];
}

/** Limits that keep hostile documents from exhausting memory or time. */
export interface ExtractionLimits {
  /** Largest image (width * height) pdf.js or sharp may decode. Default 40,000,000 pixels. */
  maxImagePixels: number;
  /** Per page wall-clock limit in ms; a page over it fails the document with EXTRACTION_TIMEOUT. Default 30,000. */
  pageTimeoutMs: number;
  /** Images per page kept; the rest are skipped with a warning. Default 64. */
  maxImagesPerPage: number;
}
