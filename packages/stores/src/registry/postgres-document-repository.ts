import { documentIdFor, imageIdFor } from '@aegis/core';
import type {
  DocumentRepository,
  GraphExtractionRecord,
  StageRunRecord,
  StoredImage,
  StoredPage,
  VersionPlan,
  VersionRecord,
} from '@aegis/pipeline';
import type pg from 'pg';
import { inTransaction, STAGE_ORDER_SQL } from './sql-helpers.ts';

interface VersionRow {
  document_id: string;
  version: number;
  source_key: string;
  display_name: string;
  sha256: string;
  byte_size: string;
  kind: VersionRecord['kind'];
  mime_type: string;
  blob_path: string;
  page_count: number | null;
  status: VersionRecord['status'];
  error_code: string | null;
  error_message: string | null;
  warnings: string[];
  plan: VersionPlan | null;
}

const VERSION_SELECT = `
SELECT v.document_id, v.version, d.source_key, d.display_name, v.sha256, v.byte_size, v.kind, v.mime_type, v.blob_path,
       v.page_count, v.status, v.error_code, v.error_message, v.warnings, v.plan
  FROM document_versions v JOIN documents d ON d.id = v.document_id`;

function toVersion(row: VersionRow): VersionRecord {
  return {
    documentId: row.document_id,
    version: row.version,
    sourceKey: row.source_key,
    displayName: row.display_name,
    sha256: row.sha256,
    byteSize: Number(row.byte_size),
    kind: row.kind,
    mimeType: row.mime_type,
    blobPath: row.blob_path,
    pageCount: row.page_count,
    status: row.status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    warnings: row.warnings,
    plan: row.plan,
  };
}

/** Versions whose bytes count as "already there": the same bytes again do no work. */
const LIVE_STATUSES = ['queued', 'processing', 'completed'];

/** The document registry in Postgres (ADR 004). */
export function createPostgresDocumentRepository(options: { pool: pg.Pool }): DocumentRepository {
  const { pool } = options;

  return {
    async register(request) {
      return inTransaction(pool, async (client) => {
        // One registration per content at a time: 200 concurrent uploads of the same file give one document.
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `aegis:register:${request.sha256}`,
        ]);
        const existing = await client.query<{
          document_id: string;
          version: number;
          status: VersionRecord['status'];
        }>(
          `SELECT document_id, version, status FROM document_versions
            WHERE sha256 = $1 AND status = ANY($2::text[]) ORDER BY created_at LIMIT 1`,
          [request.sha256, LIVE_STATUSES],
        );
        const found = existing.rows[0];
        if (found)
          return {
            documentId: found.document_id,
            version: found.version,
            created: false,
            status: found.status,
          };

        const documentId = documentIdFor(request.sourceKey);
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `aegis:document:${documentId}`,
        ]);
        const document = await client.query<{ latest_version: number }>(
          `INSERT INTO documents (id, source_key, display_name, created_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, updated_at = now()
           RETURNING latest_version`,
          [documentId, request.sourceKey, request.displayName, request.createdBy ?? null],
        );
        const version = (document.rows[0]?.latest_version ?? 0) + 1;
        await client.query('UPDATE documents SET latest_version = $2, updated_at = now() WHERE id = $1', [
          documentId,
          version,
        ]);
        await client.query(
          `INSERT INTO document_versions (document_id, version, sha256, byte_size, kind, mime_type, blob_path)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            documentId,
            version,
            request.sha256,
            request.byteSize,
            request.kind,
            request.mimeType,
            request.blobPath,
          ],
        );
        await client.query(
          `INSERT INTO stage_runs (document_id, version, stage, status)
           SELECT $1, $2, stage, CASE WHEN stage = 'memory-check' THEN 'queued' ELSE 'pending' END
             FROM unnest(ARRAY['memory-check', 'extract', 'enrich-images', 'chunk', 'embed', 'graph']) AS stage`,
          [documentId, version],
        );
        return { documentId, version, created: true, status: 'queued' as const };
      });
    },

    async getVersion(documentId, version) {
      const { rows } = await pool.query<VersionRow>(
        `${VERSION_SELECT} WHERE v.document_id = $1 AND v.version = $2`,
        [documentId, version],
      );
      return rows[0] ? toVersion(rows[0]) : undefined;
    },

    async stageRuns(documentId, version) {
      const { rows } = await pool.query<{
        stage: StageRunRecord['stage'];
        status: StageRunRecord['status'];
        run: number;
        attempts: number;
        items_done: number;
        items_total: number | null;
        started_at: Date | null;
        finished_at: Date | null;
        duration_ms: number | null;
        error_code: string | null;
        error_message: string | null;
        updated_at: Date;
      }>(`SELECT * FROM stage_runs WHERE document_id = $1 AND version = $2 ORDER BY ${STAGE_ORDER_SQL}`, [
        documentId,
        version,
      ]);
      return rows.map((row) => ({
        stage: row.stage,
        status: row.status,
        run: row.run,
        attempts: row.attempts,
        itemsDone: row.items_done,
        itemsTotal: row.items_total,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
        durationMs: row.duration_ms,
        errorCode: row.error_code,
        errorMessage: row.error_message,
        updatedAt: row.updated_at,
      }));
    },

    async pendingVersions() {
      const { rows } = await pool.query<{
        document_id: string;
        version: number;
        status: VersionRecord['status'];
      }>(
        `SELECT document_id, version, status FROM document_versions
          WHERE status IN ('queued', 'processing', 'cancelling') ORDER BY created_at`,
      );
      return rows.map((row) => ({ documentId: row.document_id, version: row.version, status: row.status }));
    },

    async setStage(documentId, version, stage, status, detail = {}) {
      const terminal = status === 'completed' || status === 'failed' || status === 'cancelled';
      await pool.query(
        `UPDATE stage_runs
            SET status = $4,
                queued_at = CASE WHEN $4 = 'queued' THEN now() ELSE queued_at END,
                finished_at = CASE WHEN $5 THEN now() ELSE finished_at END,
                duration_ms = CASE WHEN $5 AND started_at IS NOT NULL
                                   THEN (extract(epoch FROM now() - started_at) * 1000)::int ELSE duration_ms END,
                error_code = $6, error_message = $7, updated_at = now()
          WHERE document_id = $1 AND version = $2 AND stage = $3`,
        [documentId, version, stage, status, terminal, detail.errorCode ?? null, detail.errorMessage ?? null],
      );
    },

    async startStage(documentId, version, stage) {
      const { rows } = await pool.query<{ run: number; attempts: number }>(
        `UPDATE stage_runs SET status = 'running', attempts = attempts + 1,
                started_at = coalesce(started_at, now()), error_code = NULL, error_message = NULL, updated_at = now()
          WHERE document_id = $1 AND version = $2 AND stage = $3 RETURNING run, attempts`,
        [documentId, version, stage],
      );
      await pool.query(
        `UPDATE document_versions SET status = 'processing', started_at = coalesce(started_at, now()), updated_at = now()
          WHERE document_id = $1 AND version = $2 AND status = 'queued'`,
        [documentId, version],
      );
      return rows[0] ?? { run: 1, attempts: 1 };
    },

    async setProgress(documentId, version, stage, done, total) {
      await pool.query(
        'UPDATE stage_runs SET items_done = $4, items_total = $5, updated_at = now() WHERE document_id = $1 AND version = $2 AND stage = $3',
        [documentId, version, stage, done, total],
      );
    },

    async resetFrom(documentId, version, stage) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ run: number }>(
          `UPDATE stage_runs SET status = 'queued', run = run + 1, attempts = 0, items_done = 0, items_total = NULL,
                  queued_at = now(), started_at = NULL, finished_at = NULL, duration_ms = NULL,
                  error_code = NULL, error_message = NULL, updated_at = now()
            WHERE document_id = $1 AND version = $2 AND stage = $3 RETURNING run`,
          [documentId, version, stage],
        );
        await client.query(
          `UPDATE stage_runs SET status = 'pending', items_done = 0, items_total = NULL, started_at = NULL, finished_at = NULL,
                  duration_ms = NULL, error_code = NULL, error_message = NULL, updated_at = now()
            WHERE document_id = $1 AND version = $2 AND ${STAGE_ORDER_SQL} > (
              SELECT array_position(ARRAY['memory-check', 'extract', 'enrich-images', 'chunk', 'embed', 'graph'], $3::text))`,
          [documentId, version, stage],
        );
        await client.query(
          `UPDATE document_versions SET status = 'processing', error_code = NULL, error_message = NULL, completed_at = NULL,
                  updated_at = now() WHERE document_id = $1 AND version = $2`,
          [documentId, version],
        );
        return rows[0]?.run ?? 1;
      });
    },

    async setVersionStatus(documentId, version, status, detail = {}) {
      await pool.query(
        `UPDATE document_versions SET status = $3, error_code = $4, error_message = $5, updated_at = now(),
                completed_at = CASE WHEN $3 IN ('completed', 'failed', 'cancelled') THEN now() ELSE completed_at END
          WHERE document_id = $1 AND version = $2`,
        [documentId, version, status, detail.errorCode ?? null, detail.errorMessage ?? null],
      );
    },

    async setPlan(documentId, version, plan) {
      await pool.query(
        'UPDATE document_versions SET plan = $3, page_count = $4, updated_at = now() WHERE document_id = $1 AND version = $2',
        [documentId, version, JSON.stringify(plan), plan.pageCount],
      );
    },

    async addWarnings(documentId, version, warnings) {
      if (warnings.length === 0) return;
      await pool.query(
        `UPDATE document_versions
            SET warnings = (SELECT coalesce(jsonb_agg(DISTINCT w), '[]'::jsonb)
                              FROM jsonb_array_elements_text(warnings || $3::jsonb) AS w),
                updated_at = now()
          WHERE document_id = $1 AND version = $2`,
        [documentId, version, JSON.stringify(warnings)],
      );
    },

    async activate(documentId, version) {
      return inTransaction(pool, async (client) => {
        await client.query(
          `UPDATE document_versions SET status = 'completed', completed_at = now(), updated_at = now()
            WHERE document_id = $1 AND version = $2`,
          [documentId, version],
        );
        const { rows } = await client.query<{ version: number }>(
          `UPDATE document_versions SET status = 'superseded', updated_at = now()
            WHERE document_id = $1 AND version < $2 AND status = 'completed' RETURNING version`,
          [documentId, version],
        );
        await client.query(
          'UPDATE documents SET active_version = greatest(coalesce(active_version, 0), $2), updated_at = now() WHERE id = $1',
          [documentId, version],
        );
        return rows.map((row) => row.version);
      });
    },

    async deleteArtifactsExcept(documentId, keepVersion) {
      await deleteArtifacts(pool, documentId, 'version <> $2', keepVersion);
    },

    async deleteArtifacts(documentId, version) {
      await deleteArtifacts(pool, documentId, 'version = $2', version);
    },

    async isCancelling(documentId, version) {
      const { rows } = await pool.query<{ status: string }>(
        'SELECT status FROM document_versions WHERE document_id = $1 AND version = $2',
        [documentId, version],
      );
      const status = rows[0]?.status;
      return status === undefined || status === 'cancelling' || status === 'cancelled';
    },

    async versionsOf(documentId) {
      const { rows } = await pool.query<{ version: number; status: VersionRecord['status'] }>(
        'SELECT version, status FROM document_versions WHERE document_id = $1 ORDER BY version',
        [documentId],
      );
      return rows;
    },

    async deleteDocument(documentId) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ blob_path: string }>(
          `SELECT blob_path FROM document_versions WHERE document_id = $1
           UNION SELECT blob_path FROM document_images WHERE document_id = $1 AND blob_path IS NOT NULL`,
          [documentId],
        );
        await client.query('DELETE FROM documents WHERE id = $1', [documentId]);
        // Blobs are content-addressed: the same bytes may belong to another document too.
        const { rows: orphans } = await client.query<{ blob_path: string }>(
          `SELECT p.blob_path FROM unnest($1::text[]) AS p(blob_path)
            WHERE NOT EXISTS (SELECT 1 FROM document_versions v WHERE v.blob_path = p.blob_path)
              AND NOT EXISTS (SELECT 1 FROM document_images i WHERE i.blob_path = p.blob_path)`,
          [rows.map((row) => row.blob_path)],
        );
        return { orphanBlobs: orphans.map((row) => row.blob_path) };
      });
    },

    async activeVersions(documentIds) {
      const { rows } = await pool.query<{ id: string; active_version: number }>(
        'SELECT id, active_version FROM documents WHERE id = ANY($1::text[]) AND active_version IS NOT NULL',
        [documentIds],
      );
      return new Map(rows.map((row) => [row.id, row.active_version]));
    },

    async activeEmbeddingModel() {
      const { rows } = await pool.query<{ model: string }>(
        `SELECT b.model FROM embed_batches b JOIN documents d ON d.id = b.document_id AND d.active_version = b.version
          GROUP BY b.model ORDER BY count(*) DESC, b.model LIMIT 1`,
      );
      return rows[0]?.model;
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
            status: image.data ? 'pending' : 'skipped',
            skip_reason: image.data ? null : (image.skipReason ?? 'not decoded'),
          })),
        );
        if (images.length === 0) return;
        await client.query(
          `INSERT INTO document_images (id, document_id, version, page_number, image_index, bbox, width, height, mime_type,
                                        blob_path, after_paragraph, status, skip_reason)
           SELECT i.id, $1, $2, i.page_number, i.image_index, i.bbox, i.width, i.height, i.mime_type, i.blob_path,
                  i.after_paragraph, i.status, i.skip_reason
             FROM jsonb_to_recordset($3::jsonb) AS i(id uuid, page_number int, image_index int, bbox jsonb, width int, height int,
                                                     mime_type text, blob_path text, after_paragraph int, status text, skip_reason text)
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
        status: StoredImage['status'];
        skip_reason: string | null;
        duplicate_of: string | null;
        description: string | null;
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
        status: row.status,
        skipReason: row.skip_reason,
        duplicateOf: row.duplicate_of,
        description: row.description,
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
        await client.query('DELETE FROM document_chunks WHERE document_id = $1 AND version = $2', [
          documentId,
          version,
        ]);
        await client.query('DELETE FROM embed_batches WHERE document_id = $1 AND version = $2', [
          documentId,
          version,
        ]);
        await client.query('DELETE FROM graph_extractions WHERE document_id = $1 AND version = $2', [
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
      const { rows } = await pool.query<{ batch_index: number; model: string }>(
        'SELECT batch_index, model FROM embed_batches WHERE document_id = $1 AND version = $2',
        [documentId, version],
      );
      return new Map(rows.map((row) => [row.batch_index, row.model]));
    },

    async completeEmbedBatch(documentId, version, batch) {
      await pool.query(
        `INSERT INTO embed_batches (document_id, version, batch_index, first_chunk, last_chunk, model, dimensions)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [documentId, version, batch.index, batch.firstChunk, batch.lastChunk, batch.model, batch.dimensions],
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

    async saveGraphExtraction(documentId, version, record) {
      await pool.query(
        `INSERT INTO graph_extractions (document_id, version, chunk_index, status, result, error_code)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (document_id, version, chunk_index) DO UPDATE
           SET status = excluded.status, result = excluded.result, error_code = excluded.error_code`,
        [
          documentId,
          version,
          record.chunkIndex,
          record.status,
          record.result === undefined ? null : JSON.stringify(record.result),
          record.errorCode,
        ],
      );
    },
  };
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
