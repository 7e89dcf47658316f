import { parseArgs } from 'node:util';
import { AegisError, isStage, STAGES, type Stage } from '@aegis/core';
import { searchDocuments } from '@aegis/pipeline';
import { getDocumentStatus } from '@aegis/stores';
import { withRuntime } from '../runtime.ts';

function requireId(positionals: string[], usage: string): string {
  const id = positionals[0];
  if (!id) throw new AegisError('VALIDATION_FAILED', `usage: ${usage}`);
  return id;
}

/** `--version N` as a positive integer, or the latest version when absent. */
async function chosenVersion(
  runtime: Parameters<Parameters<typeof withRuntime>[0]>[0],
  documentId: string,
  raw: string | undefined,
): Promise<number> {
  if (raw === undefined) return latestVersion(runtime, documentId);
  const version = Number(raw);
  if (!Number.isInteger(version) || version < 1)
    throw new AegisError('VALIDATION_FAILED', `--version is a positive whole number, got "${raw}"`);
  return version;
}

async function latestVersion(
  runtime: Parameters<Parameters<typeof withRuntime>[0]>[0],
  documentId: string,
): Promise<number> {
  const versions = await runtime.pipeline.repository.versionsOf(documentId);
  const latest = versions.at(-1);
  if (!latest) throw new AegisError('DOCUMENT_NOT_FOUND', `document ${documentId} does not exist`);
  return latest.version;
}

/** `aegis status [id]`: one document's stages, progress, warnings and cost; without an id, the latest documents. */
export async function runStatus(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  await withRuntime(async (runtime) => {
    if (positionals[0]) {
      const status = await getDocumentStatus(runtime.pool, positionals[0]);
      if (!status) throw new AegisError('DOCUMENT_NOT_FOUND', `document ${positionals[0]} does not exist`);
      if (values.json) return void console.log(JSON.stringify(status, null, 2));
      console.log(
        `${status.displayName}  ${status.documentId}  active v${status.activeVersion ?? '-'}  cost $${status.costUsd}`,
      );
      for (const version of status.versions) {
        console.log(
          `  v${version.version} ${version.status} ${Math.round(version.progress * 100)}%${version.errorCode ? ` ${version.errorCode}: ${version.errorMessage}` : ''}`,
        );
        for (const stage of version.stages) {
          const items = stage.itemsTotal ? ` ${stage.itemsDone}/${stage.itemsTotal}` : '';
          console.log(
            `    ${stage.stage.padEnd(14)} ${stage.status}${items}${stage.durationMs === null ? '' : ` ${stage.durationMs} ms`}${stage.errorCode ? ` ${stage.errorCode}` : ''}`,
          );
        }
        for (const warning of version.warnings) console.log(`    ! ${warning}`);
      }
      return;
    }
    const { rows } = await runtime.pool.query<{
      id: string;
      display_name: string;
      version: number;
      status: string;
      updated_at: Date;
    }>(
      `SELECT d.id, d.display_name, v.version, v.status, v.updated_at FROM documents d
         JOIN document_versions v ON v.document_id = d.id AND v.version = d.latest_version
        ORDER BY v.updated_at DESC LIMIT 20`,
    );
    if (values.json) return void console.log(JSON.stringify(rows, null, 2));
    console.table(
      rows.map((row) => ({
        id: row.id,
        name: row.display_name,
        version: row.version,
        status: row.status,
        updated: row.updated_at.toISOString(),
      })),
    );
  });
}

/** `aegis retry <id> [--stage S] [--version N]`: re-runs a stage (default: the first one not completed) and the later ones. */
export async function runRetry(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { stage: { type: 'string' }, version: { type: 'string' } },
  });
  const documentId = requireId(positionals, 'aegis retry <documentId> [--stage STAGE] [--version N]');
  if (values.stage !== undefined && !isStage(values.stage))
    throw new AegisError('VALIDATION_FAILED', `--stage is one of ${STAGES.join(', ')}`);
  await withRuntime(async (runtime) => {
    const version = await chosenVersion(runtime, documentId, values.version);
    let stage: Stage | undefined = values.stage as Stage | undefined;
    if (!stage) {
      const runs = await runtime.pipeline.repository.stageRuns(documentId, version);
      stage = runs.find((run) => run.status !== 'completed')?.stage;
      if (!stage)
        throw new AegisError(
          'VALIDATION_FAILED',
          `every stage of version ${version} completed; name one with --stage`,
        );
    }
    const { run } = await runtime.producer.retry(documentId, version, stage);
    console.log(
      `retrying ${stage} of ${documentId} v${version} (run ${run}); later stages re-run, earlier outputs are reused`,
    );
  });
}

/** `aegis cancel <id> [--version N]` */
export async function runCancel(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { version: { type: 'string' } },
  });
  const documentId = requireId(positionals, 'aegis cancel <documentId> [--version N]');
  await withRuntime(async (runtime) => {
    const version = await chosenVersion(runtime, documentId, values.version);
    await runtime.producer.cancel(documentId, version);
    console.log(
      `cancelling ${documentId} v${version}; a running stage stops within one batch and its writes are removed`,
    );
  });
}

/** `aegis search <query> [--limit N] [--document ID] [--json]` */
export async function runSearch(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: '5' },
      document: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const query = positionals.join(' ');
  await withRuntime(async (runtime) => {
    const result = await searchDocuments(runtime.pipeline, {
      query,
      limit: Number(values.limit),
      documentId: values.document,
      attribution: { userId: 'cli' },
    });
    if (values.json) return void console.log(JSON.stringify(result, null, 2));
    if (result.hits.length === 0)
      return void console.log('no results (nothing ingested yet, or nothing similar)');
    for (const hit of result.hits) {
      const pages =
        hit.pageStart === hit.pageEnd ? `p.${hit.pageStart}` : `pp.${hit.pageStart}-${hit.pageEnd}`;
      console.log(
        `${hit.score.toFixed(3)}  ${hit.source} ${pages}${hit.headingPath.length ? ` > ${hit.headingPath.join(' > ')}` : ''}`,
      );
      console.log(`       ${hit.text.replace(/\s+/g, ' ').slice(0, 240)}`);
      if (hit.entities.length)
        console.log(
          `       entities: ${hit.entities.map((entity) => `${entity.name} (${entity.type})`).join(', ')}`,
        );
    }
  });
}
