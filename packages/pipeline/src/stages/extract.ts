import { AegisError, isAegisError } from '@aegis/core';
import { structureDocument } from '../extract/document-structure.ts';
import type { ExtractedDocument, ExtractedPage, OutlineEntry } from '../extract/extracted-document.ts';
import { extractDocument, inspectPdf } from '../extract/index.ts';
import { stopIfCancelled } from './cancellation.ts';
import { planRanges } from './memory-check.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';

/**
 * Extracts page text, layout and images, range by range for PDFs (per the memory check's plan), and stores
 * pages in Postgres and image bytes in the blob store. Ranges already stored are skipped on a retry.
 */
export async function runExtract(deps: PipelineDeps, run: StageRun): Promise<void> {
  const version = await deps.repository.getVersion(run.documentId, run.version);
  if (!version)
    throw new AegisError(
      'DOCUMENT_NOT_FOUND',
      `document ${run.documentId} version ${run.version} does not exist`,
    );
  const data = await deps.blobs.get(version.blobPath);
  const input = { data, filename: version.displayName, mimeType: version.mimeType };
  const limits = deps.options.extractionLimits;

  if (version.kind !== 'pdf') {
    const extracted = await extractDocument(input, { limits, sandbox: deps.sandbox, signal: run.signal });
    await store(deps, run, extracted);
    await run.progress(1, 1);
    assertNotEmpty(extracted.pages.some(hasContent), version.displayName);
    return;
  }

  const pageCount = version.plan?.pageCount ?? version.pageCount ?? 0;
  const ranges = version.plan?.pageRanges ?? planRanges(pageCount, deps.options.maxPagesPerRange);
  const done = await deps.repository.pageNumbersDone(run.documentId, run.version);
  let anyContent = false;
  let pagesDone = done.size;
  let outline: OutlineEntry[] | undefined;
  await run.progress(pagesDone, pageCount);
  for (const range of ranges) {
    const pending = Array.from(
      { length: range.to - range.from + 1 },
      (_, offset) => range.from + offset,
    ).some((page) => !done.has(page));
    if (!pending) {
      anyContent ||= await storedContent(deps, run);
      continue;
    }
    await stopIfCancelled(deps, run);
    let extracted: ExtractedDocument;
    try {
      extracted = await extractDocument(input, {
        limits,
        pageRange: range,
        ocr: deps.options.ocr,
        sandbox: deps.sandbox,
        signal: run.signal,
      });
    } catch (error) {
      // An empty range in a longer document is not an empty document; decide at the end.
      if (isAegisError(error, 'EMPTY_DOCUMENT') && ranges.length > 1) continue;
      throw error;
    }
    await store(deps, run, extracted);
    outline = extracted.outline;
    anyContent ||= extracted.pages.some(hasContent);
    pagesDone += range.to - range.from + 1;
    await run.progress(Math.min(pagesDone, pageCount), pageCount);
  }
  assertNotEmpty(anyContent, version.displayName);
  await structureStoredPages(
    deps,
    run,
    outline ?? (await inspectPdf(data, limits, { sandbox: deps.sandbox, signal: run.signal })).outline,
  );
}

/**
 * The document-wide pass (furniture, heading levels, text over page breaks) once every range is stored: it needs
 * all pages at once, which a range never has. Pages are re-saved with their roles; the pass is idempotent, so a
 * retry that re-runs it changes nothing.
 */
async function structureStoredPages(
  deps: PipelineDeps,
  run: StageRun,
  outline: OutlineEntry[],
): Promise<void> {
  const stored = await deps.repository.loadPages(run.documentId, run.version);
  const pages: ExtractedPage[] = stored.map((page) => ({ ...page, images: [] }));
  const before = JSON.stringify(pages);
  structureDocument(pages, outline);
  if (JSON.stringify(pages) !== before)
    await deps.repository.savePages(run.documentId, run.version, pages, new Map());
}

function hasContent(page: ExtractedDocument['pages'][number]): boolean {
  return (
    page.paragraphs.some((paragraph) => paragraph.text.trim().length > 0) ||
    page.images.some((image) => image.data !== undefined)
  );
}

async function storedContent(deps: PipelineDeps, run: StageRun): Promise<boolean> {
  const pages = await deps.repository.loadPages(run.documentId, run.version);
  const images = await deps.repository.loadImages(run.documentId, run.version);
  return (
    pages.some((page) => page.paragraphs.some((paragraph) => paragraph.text.trim().length > 0)) ||
    images.some((image) => image.blobPath !== null)
  );
}

function assertNotEmpty(hasAnyContent: boolean, name: string): void {
  if (!hasAnyContent) throw new AegisError('EMPTY_DOCUMENT', `${name} has no text and no images to describe`);
}

async function store(deps: PipelineDeps, run: StageRun, extracted: ExtractedDocument): Promise<void> {
  const blobPaths = new Map<string, string>();
  for (const page of extracted.pages) {
    for (const image of page.images) {
      if (!image.data) continue;
      const { path } = await deps.blobs.put(image.data);
      blobPaths.set(`${page.pageNumber}:${image.index}`, path);
    }
  }
  await deps.repository.savePages(run.documentId, run.version, extracted.pages, blobPaths);
  await deps.repository.addWarnings(run.documentId, run.version, extracted.warnings);
}
