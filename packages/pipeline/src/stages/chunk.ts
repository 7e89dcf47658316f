import { chunkPointId } from '@aegis/core';
import type { ChunkInputPage } from '../chunk/chunk.ts';
import { chunkDocument } from '../chunk/index.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';

/**
 * Builds the retrieval chunks from the stored pages, with each described figure placed where it stands.
 * Deterministic; re-running replaces the version's chunks (and resets later progress, which depends on them).
 */
export async function runChunk(deps: PipelineDeps, run: StageRun): Promise<void> {
  const [pages, images] = await Promise.all([
    deps.repository.loadPages(run.documentId, run.version),
    deps.repository.loadImages(run.documentId, run.version),
  ]);
  const described = images.filter((image) => image.status === 'described' && image.description);
  const input: ChunkInputPage[] = pages.map((page) => ({
    pageNumber: page.pageNumber,
    paragraphs: page.paragraphs.map((paragraph) => ({
      text: paragraph.text,
      headingLevel: paragraph.headingLevel,
      role: paragraph.role,
      joinPrevious: paragraph.joinPrevious,
      outlineHeadings: paragraph.outlineHeadings,
      table: paragraph.table,
    })),
    figures: described
      .filter((image) => image.pageNumber === page.pageNumber)
      .map((image) => ({
        imageId: image.id,
        afterParagraph: image.afterParagraph,
        description: image.description as string,
        purpose: image.purpose,
      })),
  }));
  const chunks = chunkDocument(input, deps.options.chunk);
  await deps.repository.replaceChunks(
    run.documentId,
    run.version,
    chunks.map((chunk) => ({ ...chunk, pointId: chunkPointId(run.documentId, run.version, chunk.index) })),
  );
  await run.progress(chunks.length, chunks.length);
}
