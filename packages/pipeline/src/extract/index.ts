export type { DetectedKind, ExtractInput, ImageFormat, KindSample } from './detect-kind.ts';
export { DOCX_ENTRY, detectKind, detectKindDetailed, detectKindOfSample } from './detect-kind.ts';
export type { ExtractOptions, InspectOptions } from './extract-document.ts';
export { extractDocument, inspectPdfDocument as inspectPdf } from './extract-document.ts';
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
export type { KindSniffer } from './kind-sniffer.ts';
export { createKindSniffer } from './kind-sniffer.ts';
export { DEFAULT_EXTRACTION_LIMITS, resolveLimits } from './limits.ts';
export type { DocumentParser, ParseRequest } from './parse-document.ts';
export type { PageRange, PdfInfo } from './pdf-extract.ts';
export { ocrEngineInUse } from './tesseract-native.ts';
