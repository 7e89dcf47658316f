import { AegisError } from '@aegis/core';
import { inspectPdf } from '../extract/index.ts';
import type { VersionPlan } from '../ports/document-repository.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';

const MIB = 1024 * 1024;
/** A worker's own baseline (code, pools, caches) that no job can use. */
const BASE_BYTES = 96 * MIB;
/** What one extracted page costs while its range is held (text items, operator list, layout). */
const PER_PAGE_BYTES = 2 * MIB;
/** pdf.js keeps the file and its parsed objects: about three times the file size. */
const PDF_BYTES_FACTOR = 3;

export type MemoryDecision =
  | { kind: 'proceed'; plan: VersionPlan }
  | { kind: 'wait'; delayMs: number; reason: string };

/** Bytes one page range of this document needs at most while it is being extracted. */
export function estimateRangeBytes(fileBytes: number, pagesInRange: number, maxImagePixels: number): number {
  // One image is decoded at a time (RGBA), bounded by the pixel limit.
  return BASE_BYTES + fileBytes * PDF_BYTES_FACTOR + pagesInRange * PER_PAGE_BYTES + maxImagePixels * 4;
}

/** Splits 1..pageCount into ranges of at most `size` pages. */
export function planRanges(pageCount: number, size: number): Array<{ from: number; to: number }> {
  const ranges: Array<{ from: number; to: number }> = [];
  for (let from = 1; from <= pageCount; from += size)
    ranges.push({ from, to: Math.min(pageCount, from + size - 1) });
  return ranges;
}

/**
 * Estimates what the document needs and compares it with what live workers report. Too big for any worker:
 * DOCUMENT_TOO_LARGE. Too big for the headroom right now: wait (the queue layer delays the job without
 * consuming an attempt). Otherwise plans page ranges so no worker ever holds a whole book.
 */
export async function runMemoryCheck(deps: PipelineDeps, run: StageRun): Promise<MemoryDecision> {
  const version = await deps.repository.getVersion(run.documentId, run.version);
  if (!version)
    throw new AegisError(
      'DOCUMENT_NOT_FOUND',
      `document ${run.documentId} version ${run.version} does not exist`,
    );
  const { maxImagePixels } = deps.options.extractionLimits;
  let pageCount = 1;
  if (version.kind === 'pdf') {
    const data = await deps.blobs.get(version.blobPath);
    pageCount = (await inspectPdf(data, deps.options.extractionLimits, { sandbox: deps.sandbox })).pageCount;
  }
  const capacity = await deps.capacity();
  const rangeSize = Math.max(1, Math.min(deps.options.maxPagesPerRange, pageCount));
  const smallest = estimateRangeBytes(version.byteSize, 1, maxImagePixels);
  if (capacity.workers > 0 && smallest > capacity.largestLimitBytes) {
    throw new AegisError(
      'DOCUMENT_TOO_LARGE',
      `this ${Math.round(version.byteSize / MIB)} MiB document needs about ${Math.round(smallest / MIB)} MiB to extract even one page at a time, ` +
        `more than any worker's limit (${Math.round(capacity.largestLimitBytes / MIB)} MiB); raise WORKER_MEMORY_LIMIT_MB or split the file`,
      { details: { neededBytes: smallest, largestLimitBytes: capacity.largestLimitBytes } },
    );
  }
  // Shrink the range until it fits the best headroom (but never below one page).
  let size = rangeSize;
  while (size > 1 && estimateRangeBytes(version.byteSize, size, maxImagePixels) > capacity.bestHeadroomBytes)
    size = Math.ceil(size / 2);
  const needed = estimateRangeBytes(version.byteSize, size, maxImagePixels);
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
