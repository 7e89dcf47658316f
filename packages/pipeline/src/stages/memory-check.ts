import { AegisError } from '@aegis/core';
import type { SourceKind } from '../extract/extracted-document.ts';
import { inspectPdf } from '../extract/index.ts';
import type { VersionPlan, VersionRecord } from '../ports/document-repository.ts';
import type { PipelineDeps, StageRun, WorkerCapacity } from './stage-context.ts';

const MIB = 1024 * 1024;
/** A sandbox process with its parsers loaded and a small document parsed (measured: 90–130 MiB). */
const SANDBOX_BASE_BYTES = 128 * MIB;
/** What one extracted page costs while its range is held (text items, operator list, layout). */
const PER_PAGE_BYTES = 2 * MIB;
/** pdf.js keeps the file and its parsed objects: about three times the file size. */
const PDF_BYTES_FACTOR = 3;
/** Text formats: the text, its DOM or tokens, and the extracted paragraphs. */
const TEXT_BYTES_FACTOR = 8;
/** Archive formats: their XML inflates ~10x and a tree of it is held while converting. */
const ARCHIVE_BYTES_FACTOR = 20;

export type MemoryDecision =
  | { kind: 'proceed'; plan: VersionPlan }
  | { kind: 'wait'; delayMs: number; reason: string };

/**
 * Bytes a sandbox needs to parse one page range of a PDF at most: the process, pdf.js's copy of the file,
 * the pages of the range and one decoded image (RGBA, bounded by the pixel limit).
 */
export function estimateRangeBytes(fileBytes: number, pagesInRange: number, maxImagePixels: number): number {
  return (
    SANDBOX_BASE_BYTES + fileBytes * PDF_BYTES_FACTOR + pagesInRange * PER_PAGE_BYTES + maxImagePixels * 4
  );
}

/** Bytes a sandbox needs to parse a whole document of a kind other than PDF. */
export function estimateDocumentBytes(kind: SourceKind, fileBytes: number, maxImagePixels: number): number {
  switch (kind) {
    case 'pdf':
      return estimateRangeBytes(fileBytes, 1, maxImagePixels);
    case 'image':
      return SANDBOX_BASE_BYTES + fileBytes + maxImagePixels * 4;
    case 'text':
    case 'markdown':
    case 'html':
      return SANDBOX_BASE_BYTES + fileBytes * TEXT_BYTES_FACTOR;
    default:
      // docx and every other archive format.
      return SANDBOX_BASE_BYTES + fileBytes * ARCHIVE_BYTES_FACTOR;
  }
}

/** Splits 1..pageCount into ranges of at most `size` pages. */
export function planRanges(pageCount: number, size: number): Array<{ from: number; to: number }> {
  const ranges: Array<{ from: number; to: number }> = [];
  for (let from = 1; from <= pageCount; from += size)
    ranges.push({ from, to: Math.min(pageCount, from + size - 1) });
  return ranges;
}

/**
 * Estimates what parsing the document needs and compares it with what live workers report. Needing more than
 * any worker's (or sandbox's) limit even one page at a time: DOCUMENT_TOO_LARGE. More than the headroom right
 * now: wait (the queue layer delays the job without consuming an attempt). Otherwise plans page ranges so no
 * sandbox ever holds a whole book.
 *
 * A PDF's page count is read once per version, in the parsing sandbox (a bomb fails there, with its code, on
 * this first attempt), and stored: a delayed or retried check never parses the file again.
 */
export async function runMemoryCheck(deps: PipelineDeps, run: StageRun): Promise<MemoryDecision> {
  const version = await deps.repository.getVersion(run.documentId, run.version);
  if (!version)
    throw new AegisError(
      'DOCUMENT_NOT_FOUND',
      `document ${run.documentId} version ${run.version} does not exist`,
    );
  const { maxImagePixels } = deps.options.extractionLimits;
  const pageCount = await pageCountOf(deps, run, version);
  const capacity = await deps.capacity();
  const pdf = version.kind === 'pdf';
  const estimate = (pages: number): number =>
    pdf
      ? estimateRangeBytes(version.byteSize, pages, maxImagePixels)
      : estimateDocumentBytes(version.kind, version.byteSize, maxImagePixels);
  const smallest = estimate(1);
  const ceiling = parsingCeiling(capacity);
  if (capacity.workers > 0 && smallest > ceiling) {
    throw new AegisError(
      'DOCUMENT_TOO_LARGE',
      `this ${Math.round(version.byteSize / MIB)} MiB document needs about ${Math.round(smallest / MIB)} MiB to parse even one page at a time, ` +
        `more than any worker can give it (${Math.round(ceiling / MIB)} MiB); raise SANDBOX_MEMORY_LIMIT_MB and WORKER_MEMORY_LIMIT_MB or split the file`,
      { details: { neededBytes: smallest, ceilingBytes: ceiling } },
    );
  }
  // Shrink the range until it fits the best headroom and one sandbox (but never below one page).
  const room = Math.min(capacity.bestHeadroomBytes, ceiling);
  let size = Math.max(1, Math.min(deps.options.maxPagesPerRange, pageCount));
  while (size > 1 && estimate(size) > room) size = Math.ceil(size / 2);
  const needed = estimate(size);
  if (capacity.workers > 0 && needed > capacity.bestHeadroomBytes) {
    return {
      kind: 'wait',
      delayMs: deps.options.memoryRetryDelayMs,
      reason: `needs ~${Math.round(needed / MIB)} MiB, best worker headroom is ${Math.round(capacity.bestHeadroomBytes / MIB)} MiB`,
    };
  }
  const plan: VersionPlan = {
    estimatedBytes: needed,
    pageCount,
    imageCount: 0,
    pageRanges: planRanges(pageCount, size),
  };
  await deps.repository.setPlan(run.documentId, run.version, plan);
  return { kind: 'proceed', plan };
}

/** The most memory one document's parsing can ever get: a sandbox's cap, within a worker's limit. */
function parsingCeiling(capacity: WorkerCapacity): number {
  const sandbox = capacity.largestSandboxLimitBytes;
  return sandbox === undefined ? capacity.largestLimitBytes : Math.min(sandbox, capacity.largestLimitBytes);
}

/** The stored page count, or (first check of a PDF) the count read in the sandbox, then stored. */
async function pageCountOf(deps: PipelineDeps, run: StageRun, version: VersionRecord): Promise<number> {
  if (version.kind !== 'pdf') return 1;
  const known = version.plan?.pageCount ?? version.pageCount;
  if (known !== null && known > 0) return known;
  const data = await deps.blobs.get(version.blobPath);
  const info = await inspectPdf(data, deps.options.extractionLimits, {
    sandbox: deps.sandbox,
    signal: run.signal,
  });
  await deps.repository.setPageCount(run.documentId, run.version, info.pageCount);
  return info.pageCount;
}
