/** A rectangle in PDF points with the origin at the page's top-left corner: [x0, y0, x1, y1], x0 < x1, y0 < y1. */
export type BoundingBox = [number, number, number, number];

export type SourceKind = 'pdf' | 'text' | 'markdown' | 'html' | 'docx' | 'image';

/** A block of text in reading order: a paragraph, a heading or a list item. */
export interface Paragraph {
  text: string;
  bbox: BoundingBox | undefined;
  /** 1 = top-level heading, 2 = sub-heading, ...; undefined for body text. */
  headingLevel?: number | undefined;
  /** Median font size of its lines, in points (PDF only). */
  fontSize?: number | undefined;
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
