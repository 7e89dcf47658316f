export type { DetectedKind, ExtractInput, ImageFormat } from './detect-kind.ts';
export { detectKind, detectKindDetailed } from './detect-kind.ts';
export type { ExtractOptions, InspectOptions } from './extract-document.ts';
export {
  closeDefaultPdfThreadPool,
  extractDocument,
  inspectPdfDocument as inspectPdf,
} from './extract-document.ts';
export type {
  BoundingBox,
  ExtractedDocument,
  ExtractedImage,
  ExtractedPage,
  ExtractionLimits,
  OutlineEntry,
  Paragraph,
  SourceKind,
} from './extracted-document.ts';
export { DEFAULT_EXTRACTION_LIMITS, resolveLimits } from './limits.ts';
export type { PageRange, PdfInfo } from './pdf-extract.ts';
export type {
  PdfThreadPool,
  PdfThreadPoolOptions,
  PdfThreadPoolStats,
  PdfThreadRunOptions,
} from './pdf-thread-pool.ts';
export { createPdfThreadPool } from './pdf-thread-pool.ts';
