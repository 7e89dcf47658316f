import { imageIdFor } from '@aegis/core';
import type { DocumentRepository, GraphExtractionRecord, StoredImage, StoredPage } from '@aegis/pipeline';
import type pg from 'pg';
import { inTransaction } from './sql-helpers.ts';

/** The artifact half of the repository: what the stages produce and reuse (pages, images, chunks, progress). */
export type ArtifactQueries = Pick<
  DocumentRepository,
  | 'deleteArtifactsBefore'
  | 'deleteArtifacts'
  | 'savePages'
  | 'pageNumbersDone'
  | 'loadPages'
  | 'loadImages'
  | 'updateImage'
  | 'replaceChunks'
  | 'loadChunks'
  | 'completedEmbedBatches'
  | 'completeEmbedBatch'
  | 'graphExtractions'
  | 'saveGraphExtraction'
>;

/** Page, image, chunk, embedding-batch and graph-extraction rows of document versions, in Postgres. */
export function createPostgresArtifactQueries(pool: pg.Pool): ArtifactQueries {
  return {
    async deleteArtifactsBefore(documentId, version) {
      await deleteArtifacts(pool, documentId, 'version < $2', version);
    },

    async deleteArtifacts(documentId, version) {
      await deleteArtifacts(pool, documentId, 'version = $2', version);
    },

    async savePages(documentId, version, pages, blobPaths) {
      if (pages.length === 0) return;
      await inTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO document_pages (document_id, version, page_number, width, height, paragraphs)
           SELECT $1, $2, p.page_number, p.width, p.height, p.paragraphs
             FROM jsonb_to_recordset($3::jsonb) AS p(page_number int, width real, height real, paragraphs jsonb)
           ON CONFLICT (document_id, version, page_number) DO UPDATE
             SET width = excluded.width, height = excluded.height, paragraphs = excluded.paragraphs`,
          [
            documentId,
            version,
            JSON.stringify(
              pages.map((page) => ({
                page_number: page.pageNumber,
                width: page.width,
                height: page.height,
                paragraphs: page.paragraphs,
              })),
            ),
          ],
        );
        const images = pages.flatMap((page) =>
          page.images.map((image) => ({
            id: imageIdFor(documentId, version, page.pageNumber, image.index),
            page_number: page.pageNumber,
            image_index: image.index,
            bbox: image.bbox ?? null,
            width: image.width,
            height: image.height,
            mime_type: image.mimeType,
            blob_path: blobPaths.get(`${page.pageNumber}:${image.index}`) ?? null,
            after_paragraph: image.afterParagraph,
            purpose: image.purpose ?? 'figure',
            status: image.data ? 'pending' : 'skipped',
            skip_reason: image.data ? null : (image.skipReason ?? 'not decoded'),
          })),
        );
        if (images.length === 0) return;
        await client.query(
          `INSERT INTO document_images (id, document_id, version, page_number, image_index, bbox, width, height, mime_type,
                                        blob_path, after_paragraph, purpose, status, skip_reason)
           SELECT i.id, $1, $2, i.page_number, i.image_index, i.bbox, i.width, i.height, i.mime_type, i.blob_path,
                  i.after_paragraph, i.purpose, i.status, i.skip_reason
             FROM jsonb_to_recordset($3::jsonb) AS i(id uuid, page_number int, image_index int, bbox jsonb, width int, height int,
                                                     mime_type text, blob_path text, after_paragraph int, purpose text, status text, skip_reason text)
           ON CONFLICT (id) DO NOTHING`,
          [documentId, version, JSON.stringify(images)],
        );
      });
    },

    async pageNumbersDone(documentId, version) {
      const { rows } = await pool.query<{ page_number: number }>(
        'SELECT page_number FROM document_pages WHERE document_id = $1 AND version = $2',
        [documentId, version],
      );
      return new Set(rows.map((row) => row.page_number));
    },

    async loadPages(documentId, version) {
      const { rows } = await pool.query<{
        page_number: number;
        width: number;
        height: number;
        paragraphs: StoredPage['paragraphs'];
      }>(
        'SELECT page_number, width, height, paragraphs FROM document_pages WHERE document_id = $1 AND version = $2 ORDER BY page_number',
        [documentId, version],
      );
      return rows.map((row) => ({
        pageNumber: row.page_number,
        width: row.width,
        height: row.height,
        paragraphs: row.paragraphs,
      }));
    },

    async loadImages(documentId, version) {
      const { rows } = await pool.query<{
        id: string;
        page_number: number;
        image_index: number;
        bbox: StoredImage['bbox'] | null;
        width: number;
        height: number;
        mime_type: string;
        blob_path: string | null;
        after_paragraph: number;
        purpose: StoredImage['purpose'];
        status: StoredImage['status'];
        skip_reason: string | null;
        duplicate_of: string | null;
        description: string | null;
        error_code: string | null;
      }>(
        'SELECT * FROM document_images WHERE document_id = $1 AND version = $2 ORDER BY page_number, image_index',
        [documentId, version],
      );
      return rows.map((row) => ({
        id: row.id,
        pageNumber: row.page_number,
        imageIndex: row.image_index,
        bbox: row.bbox ?? undefined,
        width: row.width,
        height: row.height,
        mimeType: row.mime_type,
        blobPath: row.blob_path,
        afterParagraph: row.after_paragraph,
        purpose: row.purpose,
        status: row.status,
        skipReason: row.skip_reason,
        duplicateOf: row.duplicate_of,
        description: row.description,
        errorCode: row.error_code,
      }));
    },

    async updateImage(imageId, update) {
      await pool.query(
        `UPDATE document_images SET status = $2, description = coalesce($3, description), prompt_version = coalesce($4, prompt_version),
                skip_reason = $5, duplicate_of = $6, error_code = $7, error_message = $8
          WHERE id = $1`,
        [
          imageId,
          update.status,
          update.description ?? null,
          update.promptVersion ?? null,
          update.skipReason ?? null,
          update.duplicateOf ?? null,
          update.errorCode ?? null,
          update.errorMessage ?? null,
        ],
      );
    },

    async replaceChunks(documentId, version, chunks) {
      await inTransaction(pool, async (client) => {
        // Chunking is deterministic: chunks whose text did not change keep their finished embedding batches
        // and graph extractions, so a retry of an earlier stage bills nothing twice. Only work over changed
        // (or vanished) chunks is dropped and redone.
        const { rows: old } = await client.query<{ chunk_index: number; text: string }>(
          'SELECT chunk_index, text FROM document_chunks WHERE document_id = $1 AND version = $2 FOR UPDATE',
          [documentId, version],
        );
        const oldText = new Map(old.map((row) => [row.chunk_index, row.text]));
        const changed = new Set<number>();
        for (const chunk of chunks) if (oldText.get(chunk.index) !== chunk.text) changed.add(chunk.index);
        const kept = new Set(chunks.map((chunk) => chunk.index));
        for (const index of oldText.keys()) if (!kept.has(index)) changed.add(index);
        await client.query(
          `DELETE FROM embed_batches b WHERE b.document_id = $1 AND b.version = $2
              AND (b.last_chunk >= $4 OR EXISTS (SELECT 1 FROM unnest($3::int[]) AS c(i) WHERE c.i BETWEEN b.first_chunk AND b.last_chunk))`,
          [documentId, version, [...changed], chunks.length],
        );
        await client.query(
          'DELETE FROM graph_extractions WHERE document_id = $1 AND version = $2 AND (chunk_index = ANY($3::int[]) OR chunk_index >= $4)',
          [documentId, version, [...changed], chunks.length],
        );
        await client.query('DELETE FROM document_chunks WHERE document_id = $1 AND version = $2', [
          documentId,
          version,
        ]);
        if (chunks.length === 0) return;
        await client.query(
          `INSERT INTO document_chunks (document_id, version, chunk_index, point_id, text, token_count, page_start, page_end,
                                        char_start, char_end, heading_path, image_ids)
           SELECT $1, $2, c.chunk_index, c.point_id, c.text, c.token_count, c.page_start, c.page_end, c.char_start, c.char_end,
                  ARRAY(SELECT jsonb_array_elements_text(c.heading_path)), ARRAY(SELECT jsonb_array_elements_text(c.image_ids))::uuid[]
             FROM jsonb_to_recordset($3::jsonb) AS c(chunk_index int, point_id uuid, text text, token_count int, page_start int,
                                                     page_end int, char_start int, char_end int, heading_path jsonb, image_ids jsonb)`,
          [
            documentId,
            version,
            JSON.stringify(
              chunks.map((chunk) => ({
                chunk_index: chunk.index,
                point_id: chunk.pointId,
                text: chunk.text,
                token_count: chunk.tokenCount,
                page_start: chunk.pageStart,
                page_end: chunk.pageEnd,
                char_start: chunk.charStart,
                char_end: chunk.charEnd,
                heading_path: chunk.headingPath,
                image_ids: chunk.imageIds,
              })),
            ),
          ],
        );
      });
    },

    async loadChunks(documentId, version) {
      const { rows } = await pool.query<{
        chunk_index: number;
        point_id: string;
        text: string;
        token_count: number;
        page_start: number;
        page_end: number;
        char_start: number;
        char_end: number;
        heading_path: string[];
        image_ids: string[];
      }>('SELECT * FROM document_chunks WHERE document_id = $1 AND version = $2 ORDER BY chunk_index', [
        documentId,
        version,
      ]);
      return rows.map((row) => ({
        index: row.chunk_index,
        pointId: row.point_id,
        text: row.text,
        tokenCount: row.token_count,
        pageStart: row.page_start,
        pageEnd: row.page_end,
        charStart: row.char_start,
        charEnd: row.char_end,
        headingPath: row.heading_path,
        imageIds: row.image_ids,
      }));
    },

    async completedEmbedBatches(documentId, version) {
      const { rows } = await pool.query<{
        batch_index: number;
        first_chunk: number;
        last_chunk: number;
        model: string;
        dimensions: number;
      }>(
        'SELECT batch_index, first_chunk, last_chunk, model, dimensions FROM embed_batches WHERE document_id = $1 AND version = $2',
        [documentId, version],
      );
      return new Map(
        rows.map((row) => [
          row.batch_index,
          {
            firstChunk: row.first_chunk,
            lastChunk: row.last_chunk,
            model: row.model,
            dimensions: row.dimensions,
          },
        ]),
      );
    },

    async completeEmbedBatch(documentId, version, batch, run) {
      // Fenced by the run: an embed run a retry superseded must not mark batches of the new chunks done.
      await pool.query(
        `INSERT INTO embed_batches (document_id, version, batch_index, first_chunk, last_chunk, model, dimensions)
         SELECT $1, $2, $3, $4, $5, $6, $7
          WHERE ${runFence('embed', 8)}
         ON CONFLICT (document_id, version, batch_index) DO UPDATE
           SET first_chunk = excluded.first_chunk, last_chunk = excluded.last_chunk, model = excluded.model,
               dimensions = excluded.dimensions, completed_at = now()`,
        [
          documentId,
          version,
          batch.index,
          batch.firstChunk,
          batch.lastChunk,
          batch.model,
          batch.dimensions,
          run ?? null,
        ],
      );
    },

    async graphExtractions(documentId, version) {
      const { rows } = await pool.query<{
        chunk_index: number;
        status: GraphExtractionRecord['status'];
        result: unknown;
        error_code: string | null;
      }>(
        'SELECT chunk_index, status, result, error_code FROM graph_extractions WHERE document_id = $1 AND version = $2',
        [documentId, version],
      );
      return new Map(
        rows.map((row) => [
          row.chunk_index,
          { chunkIndex: row.chunk_index, status: row.status, result: row.result, errorCode: row.error_code },
        ]),
      );
    },

    async saveGraphExtraction(documentId, version, record, run) {
      await pool.query(
        `INSERT INTO graph_extractions (document_id, version, chunk_index, status, result, error_code)
         SELECT $1, $2, $3, $4, $5::jsonb, $6
          WHERE ${runFence('graph', 7)}
         ON CONFLICT (document_id, version, chunk_index) DO UPDATE
           SET status = excluded.status, result = excluded.result, error_code = excluded.error_code`,
        [
          documentId,
          version,
          record.chunkIndex,
          record.status,
          record.result === undefined ? null : JSON.stringify(record.result),
          record.errorCode,
          run ?? null,
        ],
      );
    },
  };
}

/** True when no run is given, or when `run` is still the stage's current run (parameters $1 document, $2 version). */
function runFence(stage: string, parameter: number): string {
  return `($${parameter}::int IS NULL OR EXISTS (SELECT 1 FROM stage_runs r WHERE r.document_id = $1 AND r.version = $2
            AND r.stage = '${stage}' AND r.run = $${parameter}))`;
}

/** Page, image, chunk and progress rows of the matching versions; the version rows stay as history. */
async function deleteArtifacts(
  pool: pg.Pool,
  documentId: string,
  versionCondition: string,
  version: number,
): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const table of [
      'graph_extractions',
      'embed_batches',
      'document_chunks',
      'document_images',
      'document_pages',
    ]) {
      await client.query(`DELETE FROM ${table} WHERE document_id = $1 AND ${versionCondition}`, [
        documentId,
        version,
      ]);
    }
  });
}
