/** One retrieval unit. Deterministic: the same input and options give the same chunks, byte for byte. */
export interface Chunk {
  /** 0-based, in document order. */
  index: number;
  text: string;
  /** Tokens of `text` with the chunker's tokenizer (o200k_base). */
  tokenCount: number;
  pageStart: number;
  pageEnd: number;
  /** Offsets of the chunk in the document's canonical text (paragraphs joined by "\n\n", pages in order). */
  charStart: number;
  charEnd: number;
  /** Headings the chunk sits under, outermost first, e.g. ["2 Overview", "2.1 Trace trees"]. */
  headingPath: string[];
  /** Ids of images whose descriptions the chunk contains. */
  imageIds: string[];
}

export interface ChunkOptions {
  /** Aim for chunks of about this many tokens. Default 512. */
  targetTokens: number;
  /** Tokens repeated from the end of the previous chunk. Default 64. */
  overlapTokens: number;
  /** Hard upper bound; a longer sentence is split on token boundaries. Default 1024. */
  maxTokens: number;
}

/** A figure placed in the text flow: its description is inserted after paragraph `afterParagraph` of its page. */
export interface ChunkFigure {
  imageId: string;
  afterParagraph: number;
  description: string;
  /** `page-text`: the description is the page's transcribed text (vision OCR), placed as text, not a figure. */
  purpose?: 'figure' | 'page-text' | undefined;
}

/** One block of a page as the chunker reads it (the extractor's `Paragraph`, or the part of it that matters here). */
export interface ChunkInputParagraph {
  text: string;
  headingLevel?: number | undefined;
  /** `furniture` and `junk` blocks are left out; `table` blocks are never split mid-row. Default body. */
  role?: 'body' | 'heading' | 'table' | 'furniture' | 'junk' | undefined;
  /** Merge into the previous indexed block (across a page break too): `hyphen` drops its trailing hyphen. */
  joinPrevious?: 'hyphen' | 'space' | undefined;
  /** Headings that stand just before this block without being printed (outline-only titles). */
  outlineHeadings?: Array<{ title: string; level: number }> | undefined;
  /** Cells of a table block, so a long table is split between rows with its header repeated. */
  table?: { rows: string[][]; headerRows: number } | undefined;
}

export interface ChunkInputPage {
  pageNumber: number;
  paragraphs: ChunkInputParagraph[];
  figures: ChunkFigure[];
}
