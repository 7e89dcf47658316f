import { isCompletedStatus, STAGES, type Stage, type StageStatus, type VersionStatus } from '@aegis/core';
import { createSecretMasker } from '@aegis/observability';
import type pg from 'pg';

// Rows are masked when written (withMaskedErrorWrites); this also covers rows written before that existed.
const readMasker = createSecretMasker();
const masked = (text: string | null): string | null => (text === null ? null : readMasker.excerpt(text));

export interface StageStatusView {
  stage: Stage;
  status: StageStatus;
  itemsDone: number;
  itemsTotal: number | null;
  attempts: number;
  durationMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface VersionStatusView {
  version: number;
  status: VersionStatus;
  /** 0..1, derived from the stage runs: each stage is a sixth, the running one counts its items. */
  progress: number;
  errorCode: string | null;
  errorMessage: string | null;
  warnings: string[];
  /** What the version left out; non-zero counts are why it is `completed_with_warnings`. */
  missing: { imagesNotDescribed: number; chunksWithoutGraph: number };
  pageCount: number | null;
  stages: StageStatusView[];
}

export interface DocumentStatusView {
  documentId: string;
  displayName: string;
  sourceKey: string;
  activeVersion: number | null;
  latestVersion: number;
  /** Every LLM dollar attributed to the document (all versions), summed from the ledger: exact decimal. */
  costUsd: string;
  versions: VersionStatusView[];
}

function progressOf(stages: StageStatusView[]): number {
  let sum = 0;
  for (const stage of stages) {
    if (stage.status === 'completed') sum += 1;
    else if (stage.status === 'running' && stage.itemsTotal)
      sum += Math.min(1, stage.itemsDone / stage.itemsTotal);
  }
  return Math.round((sum / STAGES.length) * 1000) / 1000;
}

/** A document's status, per-stage progress, warnings and cost; derived from the registry and the ledger, never stored twice. */
export async function getDocumentStatus(
  pool: pg.Pool,
  documentId: string,
): Promise<DocumentStatusView | undefined> {
  const document = await pool.query<{
    id: string;
    display_name: string;
    source_key: string;
    active_version: number | null;
    latest_version: number;
  }>('SELECT id, display_name, source_key, active_version, latest_version FROM documents WHERE id = $1', [
    documentId,
  ]);
  const row = document.rows[0];
  if (!row) return undefined;
  const [versions, stages, cost, missing] = await Promise.all([
    pool.query<{
      version: number;
      status: VersionStatus;
      error_code: string | null;
      error_message: string | null;
      warnings: string[];
      page_count: number | null;
    }>(
      'SELECT version, status, error_code, error_message, warnings, page_count FROM document_versions WHERE document_id = $1 ORDER BY version DESC',
      [documentId],
    ),
    pool.query<{
      version: number;
      stage: Stage;
      status: StageStatus;
      items_done: number;
      items_total: number | null;
      attempts: number;
      duration_ms: number | null;
      error_code: string | null;
      error_message: string | null;
    }>(
      'SELECT version, stage, status, items_done, items_total, attempts, duration_ms, error_code, error_message FROM stage_runs WHERE document_id = $1',
      [documentId],
    ),
    pool.query<{ cost: string }>(
      'SELECT coalesce(sum(cost_usd), 0)::numeric(24, 12)::text AS cost FROM llm_ledger WHERE document_id = $1',
      [documentId],
    ),
    pool.query<{ version: number; images: number; chunks: number }>(
      `SELECT v.version,
              (SELECT count(*)::int FROM document_images i
                WHERE i.document_id = v.document_id AND i.version = v.version AND i.status = 'failed') AS images,
              (SELECT count(*)::int FROM document_chunks c
                WHERE c.document_id = v.document_id AND c.version = v.version
                  AND NOT EXISTS (SELECT 1 FROM graph_extractions g WHERE g.document_id = c.document_id
                                     AND g.version = c.version AND g.chunk_index = c.chunk_index AND g.status = 'extracted')
                  AND EXISTS (SELECT 1 FROM stage_runs s WHERE s.document_id = v.document_id AND s.version = v.version
                                 AND s.stage = 'graph' AND s.status = 'completed')) AS chunks
         FROM document_versions v WHERE v.document_id = $1`,
      [documentId],
    ),
  ]);
  return {
    documentId: row.id,
    displayName: row.display_name,
    sourceKey: row.source_key,
    activeVersion: row.active_version,
    latestVersion: row.latest_version,
    costUsd: cost.rows[0]?.cost ?? '0.000000000000',
    versions: versions.rows.map((version) => {
      const views = STAGES.flatMap((stage) => {
        const run = stages.rows.find(
          (candidate) => candidate.version === version.version && candidate.stage === stage,
        );
        return run
          ? [
              {
                stage,
                status: run.status,
                itemsDone: run.items_done,
                itemsTotal: run.items_total,
                attempts: run.attempts,
                durationMs: run.duration_ms,
                errorCode: run.error_code,
                errorMessage: masked(run.error_message),
              },
            ]
          : [];
      });
      return {
        version: version.version,
        status: version.status,
        progress: isCompletedStatus(version.status) ? 1 : progressOf(views),
        errorCode: version.error_code,
        errorMessage: masked(version.error_message),
        warnings: version.warnings.map((warning) => readMasker.excerpt(warning)),
        missing: {
          imagesNotDescribed: missing.rows.find((entry) => entry.version === version.version)?.images ?? 0,
          chunksWithoutGraph: missing.rows.find((entry) => entry.version === version.version)?.chunks ?? 0,
        },
        pageCount: version.page_count,
        stages: views,
      };
    }),
  };
}
