import { DEFAULT_KNOWLEDGE_BASE, documentIdFor, STAGES } from '@aegis/core';
import { createSecretMasker, type SecretMasker } from '@aegis/observability';
import type { DocumentRepository, StageRunRecord, VersionPlan, VersionRecord } from '@aegis/pipeline';
import type pg from 'pg';
import { createKnowledgeBaseQueries } from './knowledge-bases.ts';
import { withMaskedErrorWrites } from './masked-error-writes.ts';
import { createPostgresArtifactQueries } from './postgres-artifact-queries.ts';
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
  knowledge_base: string;
  metadata: VersionRecord['metadata'];
  created_at: Date;
}

const VERSION_SELECT = `
SELECT v.document_id, v.version, d.source_key, d.display_name, v.sha256, v.byte_size, v.kind, v.mime_type, v.blob_path,
       v.page_count, v.status, v.error_code, v.error_message, v.warnings, v.plan, d.knowledge_base, v.metadata,
       v.created_at
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
    knowledgeBase: row.knowledge_base,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

/** Versions whose bytes count as "already there": the same bytes again do no work. */
const LIVE_STATUSES = ['queued', 'processing', 'completed', 'completed_with_warnings'];

/** `AND run = $n` when the write is fenced by a run, nothing otherwise (`$n IS NULL`). */
const RUN_FENCE = (parameter: number): string => `($${parameter}::int IS NULL OR run = $${parameter})`;

/**
 * The document registry in Postgres (ADR 004). Every error text it stores (stage and version errors, image failures,
 * warnings) goes through `masker` first: pass the one built from the configured secrets
 * (`createSecretMasker({ secretValues: configuredSecretValues(config) })`); without one, credential patterns are
 * still masked and texts bounded.
 */
export function createPostgresDocumentRepository(options: {
  pool: pg.Pool;
  masker?: SecretMasker | undefined;
}): DocumentRepository {
  return withMaskedErrorWrites(
    createUnmaskedRepository(options.pool),
    options.masker ?? createSecretMasker(),
  );
}

function createUnmaskedRepository(pool: pg.Pool): DocumentRepository {
  return {
    ...createPostgresArtifactQueries(pool),
    ...createKnowledgeBaseQueries(pool),
    async register(request) {
      return inTransaction(pool, async (client) => {
        // One registration per content at a time: 200 concurrent uploads of the same file give one document.
        const knowledgeBase = request.knowledgeBase ?? DEFAULT_KNOWLEDGE_BASE;
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `aegis:register:${knowledgeBase}:${request.sha256}`,
        ]);
        const existing = await client.query<{
          document_id: string;
          version: number;
          status: VersionRecord['status'];
        }>(
          `SELECT v.document_id, v.version, v.status FROM document_versions v JOIN documents d ON d.id = v.document_id
            WHERE v.sha256 = $1 AND v.status = ANY($2::text[]) AND d.knowledge_base = $3
            ORDER BY v.created_at LIMIT 1`,
          [request.sha256, LIVE_STATUSES, knowledgeBase],
        );
        const found = existing.rows[0];
        if (found)
          return {
            documentId: found.document_id,
            version: found.version,
            created: false,
            status: found.status,
          };

        await client.query('INSERT INTO knowledge_bases (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [
          knowledgeBase,
        ]);
        const documentId = documentIdFor(request.sourceKey, knowledgeBase);
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `aegis:document:${documentId}`,
        ]);
        const document = await client.query<{ latest_version: number }>(
          `INSERT INTO documents (id, source_key, display_name, created_by, knowledge_base) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, updated_at = now()
           RETURNING latest_version`,
          [documentId, request.sourceKey, request.displayName, request.createdBy ?? null, knowledgeBase],
        );
        const version = (document.rows[0]?.latest_version ?? 0) + 1;
        await client.query('UPDATE documents SET latest_version = $2, updated_at = now() WHERE id = $1', [
          documentId,
          version,
        ]);
        await client.query(
          `INSERT INTO document_versions (document_id, version, sha256, byte_size, kind, mime_type, blob_path, metadata)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            documentId,
            version,
            request.sha256,
            request.byteSize,
            request.kind,
            request.mimeType,
            request.blobPath,
            JSON.stringify(request.metadata ?? {}),
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
        crashes: number;
        provider_wait_since: Date | null;
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
        crashes: row.crashes,
        providerWaitSince: row.provider_wait_since,
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
      const result = await pool.query(
        `UPDATE stage_runs
            SET status = $4,
                queued_at = CASE WHEN $4 = 'queued' THEN now() ELSE queued_at END,
                finished_at = CASE WHEN $5 THEN now() ELSE finished_at END,
                duration_ms = CASE WHEN $5 AND started_at IS NOT NULL
                                   THEN (extract(epoch FROM now() - started_at) * 1000)::int ELSE duration_ms END,
                provider_wait_since = CASE WHEN $4 = 'completed' THEN NULL ELSE provider_wait_since END,
                error_code = $6, error_message = $7, updated_at = now()
          WHERE document_id = $1 AND version = $2 AND stage = $3 AND ${RUN_FENCE(8)}`,
        [
          documentId,
          version,
          stage,
          status,
          terminal,
          detail.errorCode ?? null,
          detail.errorMessage ?? null,
          detail.run ?? null,
        ],
      );
      return (result.rowCount ?? 0) > 0;
    },

    async startStage(documentId, version, stage, run) {
      const { rows } = await pool.query<{ run: number; attempts: number }>(
        `UPDATE stage_runs SET status = 'running', attempts = attempts + 1,
                started_at = coalesce(started_at, now()), error_code = NULL, error_message = NULL, updated_at = now()
          WHERE document_id = $1 AND version = $2 AND stage = $3 AND ${RUN_FENCE(4)} RETURNING run, attempts`,
        [documentId, version, stage, run ?? null],
      );
      if (!rows[0]) return undefined;
      await pool.query(
        `UPDATE document_versions SET status = 'processing', started_at = coalesce(started_at, now()), updated_at = now()
          WHERE document_id = $1 AND version = $2 AND status = 'queued'`,
        [documentId, version],
      );
      return rows[0];
    },

    async setProgress(documentId, version, stage, done, total, run) {
      await pool.query(
        `UPDATE stage_runs SET items_done = $4, items_total = $5, updated_at = now()
          WHERE document_id = $1 AND version = $2 AND stage = $3 AND ${RUN_FENCE(6)}`,
        [documentId, version, stage, done, total, run ?? null],
      );
    },

    async resetFrom(documentId, version, stage) {
      return inTransaction(pool, async (client) => {
        // Every later stage gets a new run too: their jobs of the old run may still sit completed in BullMQ,
        // and a hand-off that re-used such an id would enqueue nothing.
        const { rows } = await client.query<{ stage: string; run: number }>(
          `UPDATE stage_runs
              SET status = CASE WHEN stage = $3 THEN 'queued' ELSE 'pending' END,
                  run = run + 1, attempts = 0, crashes = 0, items_done = 0, items_total = NULL,
                  queued_at = CASE WHEN stage = $3 THEN now() ELSE NULL END, started_at = NULL, finished_at = NULL,
                  duration_ms = NULL, provider_wait_since = NULL, error_code = NULL, error_message = NULL,
                  updated_at = now()
            WHERE document_id = $1 AND version = $2 AND ${STAGE_ORDER_SQL} >= array_position($4::text[], $3::text)
            RETURNING stage, run`,
          [documentId, version, stage, [...STAGES]],
        );
        // What was left out is tried again by a manual retry: images that failed (whatever the code) when
        // enrich-images re-runs, chunks whose extraction stayed invalid when graph re-runs.
        if (STAGES.indexOf(stage) <= STAGES.indexOf('enrich-images')) {
          await client.query(
            `UPDATE document_images SET status = 'pending', error_code = NULL, error_message = NULL
              WHERE document_id = $1 AND version = $2 AND status = 'failed'`,
            [documentId, version],
          );
        }
        await client.query(
          `DELETE FROM graph_extractions WHERE document_id = $1 AND version = $2 AND status = 'invalid'`,
          [documentId, version],
        );
        await client.query(
          `UPDATE document_versions SET status = 'processing', error_code = NULL, error_message = NULL, completed_at = NULL,
                  updated_at = now() WHERE document_id = $1 AND version = $2`,
          [documentId, version],
        );
        return rows.find((row) => row.stage === stage)?.run ?? 1;
      });
    },

    async currentRun(documentId, version, stage) {
      const { rows } = await pool.query<{ run: number }>(
        'SELECT run FROM stage_runs WHERE document_id = $1 AND version = $2 AND stage = $3',
        [documentId, version, stage],
      );
      return rows[0]?.run;
    },

    async recordCrash(documentId, version, stage, run) {
      const { rows } = await pool.query<{ crashes: number }>(
        `UPDATE stage_runs SET crashes = crashes + 1, updated_at = now()
          WHERE document_id = $1 AND version = $2 AND stage = $3 AND run = $4 RETURNING crashes`,
        [documentId, version, stage, run],
      );
      return rows[0]?.crashes ?? 0;
    },

    async startProviderWait(documentId, version, stage, run) {
      const { rows } = await pool.query<{ since: Date }>(
        `UPDATE stage_runs SET provider_wait_since = coalesce(provider_wait_since, now()), updated_at = now()
          WHERE document_id = $1 AND version = $2 AND stage = $3 AND run = $4 RETURNING provider_wait_since AS since`,
        [documentId, version, stage, run],
      );
      return rows[0]?.since;
    },

    async setVersionStatus(documentId, version, status, detail = {}) {
      await pool.query(
        `UPDATE document_versions SET status = $3, error_code = $4, error_message = $5, updated_at = now(),
                completed_at = CASE WHEN $3 IN ('completed', 'completed_with_warnings', 'failed', 'cancelled')
                                    THEN now() ELSE completed_at END
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

    async setPageCount(documentId, version, pageCount) {
      await pool.query(
        'UPDATE document_versions SET page_count = $3, updated_at = now() WHERE document_id = $1 AND version = $2',
        [documentId, version, pageCount],
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
        // Lock the document row: two versions finishing at once must agree on which one is active.
        const { rows: current } = await client.query<{ active_version: number | null }>(
          'SELECT active_version FROM documents WHERE id = $1 FOR UPDATE',
          [documentId],
        );
        if ((current[0]?.active_version ?? 0) > version) {
          await client.query(
            `UPDATE document_versions SET status = 'superseded', completed_at = now(), updated_at = now()
              WHERE document_id = $1 AND version = $2`,
            [documentId, version],
          );
          return { status: 'superseded' as const, superseded: [version] };
        }
        // Something left out (an image no provider described, a chunk without a graph extraction) is a warning
        // status, not a silent completion: a retry of the stage fills it in.
        const { rows: statusRows } = await client.query<{ status: 'completed' | 'completed_with_warnings' }>(
          `UPDATE document_versions v
              SET status = CASE WHEN EXISTS (SELECT 1 FROM document_images i
                                              WHERE i.document_id = v.document_id AND i.version = v.version
                                                AND i.status = 'failed')
                                  OR EXISTS (SELECT 1 FROM document_chunks c
                                              WHERE c.document_id = v.document_id AND c.version = v.version
                                                AND NOT EXISTS (SELECT 1 FROM graph_extractions g
                                                                 WHERE g.document_id = c.document_id AND g.version = c.version
                                                                   AND g.chunk_index = c.chunk_index AND g.status = 'extracted'))
                                THEN 'completed_with_warnings' ELSE 'completed' END,
                  error_code = NULL, error_message = NULL, completed_at = now(), updated_at = now()
            WHERE document_id = $1 AND version = $2 RETURNING status`,
          [documentId, version],
        );
        const { rows } = await client.query<{ version: number }>(
          `UPDATE document_versions SET status = 'superseded', updated_at = now()
            WHERE document_id = $1 AND version < $2 AND status IN ('completed', 'completed_with_warnings')
            RETURNING version`,
          [documentId, version],
        );
        await client.query(
          'UPDATE documents SET active_version = greatest(coalesce(active_version, 0), $2), updated_at = now() WHERE id = $1',
          [documentId, version],
        );
        return { status: statusRows[0]?.status ?? 'completed', superseded: rows.map((row) => row.version) };
      });
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
  };
}
