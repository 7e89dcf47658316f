// The operations a sandbox process runs. Loaded only inside sandbox processes (sandbox-child.ts): the worker
// imports the TYPES of this file, never its values, so no parser module is ever loaded in the worker.
import type { ExtractedDocument, ExtractionLimits } from '../extract/extracted-document.ts';
import { type ParseRequest, parseDocument } from '../extract/parse-document.ts';
import { inspectPdf, type PdfInfo } from '../extract/pdf-extract.ts';
import { type RenderedPage, type RenderPageRequest, renderPdfPage } from '../extract/pdf-page-image.ts';
import { loadPdfjs } from '../extract/pdfjs.ts';
import { analyseImage, type ImageAnalysis, type ImageAnalysisRequest } from '../images/analyse-image.ts';
import type { SandboxTaskContext } from './sandbox-task-context.ts';

/** `inspect-pdf`: page count, title and outline only, for the memory check. */
export interface InspectPdfRequest {
  data: Uint8Array;
  limits: ExtractionLimits;
}

/**
 * Request and result type of every sandbox operation. Both cross the process boundary with the structured
 * clone algorithm (`serialization: 'advanced'`): plain data, typed arrays, Maps; no functions or classes.
 *
 * How to add a parser:
 * - a new document FORMAT needs no operation: register its parser in `PARSERS` (extract/parse-document.ts)
 *   and `extract` runs it here;
 * - a new kind of WORK on untrusted bytes (render a page, OCR an image, decode a figure) gets an entry here
 *   and in {@link SANDBOX_OPERATIONS}, and the worker calls `sandbox.run('<op>', request, { stepTimeoutMs })`.
 *   Load heavy modules at the top of this file (or in {@link warmUp}) so they are counted in the baseline
 *   the memory limit is set from, and call `context.step` between long steps so each has its own timer.
 */
export interface SandboxOperations {
  extract: { request: ParseRequest; result: ExtractedDocument };
  'inspect-pdf': { request: InspectPdfRequest; result: PdfInfo };
  /** Decode, check and re-encode one image for the vision model (enrich-images). */
  'prepare-image': { request: ImageAnalysisRequest; result: ImageAnalysis };
  /** One PDF page as a PNG for people (the web UI's page images). */
  'render-page': { request: RenderPageRequest; result: RenderedPage };
}

export type SandboxOperation = keyof SandboxOperations;
export type SandboxRequest<K extends SandboxOperation> = SandboxOperations[K]['request'];
export type SandboxResult<K extends SandboxOperation> = SandboxOperations[K]['result'];

type Handlers = {
  [K in SandboxOperation]: (
    request: SandboxRequest<K>,
    context: SandboxTaskContext,
  ) => Promise<SandboxResult<K>>;
};

/** The registration point of sandbox operations (see {@link SandboxOperations}). */
export const SANDBOX_OPERATIONS: Handlers = {
  extract: (request, context) => parseDocument(request, context),
  'inspect-pdf': (request) => inspectPdf(request.data, request.limits),
  'prepare-image': (request) => analyseImage(request),
  'render-page': (request) => renderPdfPage(request),
};

/**
 * Loads what the operations load lazily, before the process reports ready: the memory limit is set from the
 * process's footprint at that moment, so module code and the reservations of native libraries are not
 * charged to the first document.
 */
export async function warmUp(): Promise<void> {
  await loadPdfjs();
}
