#!/usr/bin/env node
/**
 * Document list paging at scale: `npm run bench:document-list -- [--documents 200000] [--pages 50]`.
 * Fills a private schema with N documents (one version each), then times keyset pages (newest first) from the top
 * and deep in the list, with the (created_at, id) index and with it dropped, side by side in one run. Writes
 * bench/results/document-list-<date>.json.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listDocuments } from '@aegis/stores';
import { createTestDatabase } from '@aegis/testkit';

const { values } = parseArgs({
  options: { documents: { type: 'string', default: '200000' }, pages: { type: 'string', default: '50' } },
});
const documents = Number(values.documents);
const pages = Number(values.pages);
const db = await createTestDatabase({ max: 2 });

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(2));
}

async function timePages(): Promise<{
  firstPageMs: { p50: number; p95: number };
  deepPageMs: { p50: number; p95: number };
}> {
  const first: number[] = [];
  const deep: number[] = [];
  // A cursor deep in the list: page 1,000 of 100.
  let cursor: string | undefined;
  for (let page = 0; page < Math.min(1000, documents / 100 - 1); page += 100) {
    const { nextCursor } = await listDocuments(db.pool, { limit: 100, cursor });
    cursor = nextCursor ?? undefined;
  }
  for (let run = 0; run < pages; run += 1) {
    let started = performance.now();
    await listDocuments(db.pool, { limit: 20 });
    first.push(performance.now() - started);
    started = performance.now();
    await listDocuments(db.pool, { limit: 20, cursor });
    deep.push(performance.now() - started);
  }
  return {
    firstPageMs: { p50: percentile(first, 50), p95: percentile(first, 95) },
    deepPageMs: { p50: percentile(deep, 50), p95: percentile(deep, 95) },
  };
}

try {
  await db.pool.query(
    `INSERT INTO documents (id, source_key, display_name, latest_version, created_at)
     SELECT 'doc-' || n, 'upload:' || n, 'file-' || n || '.pdf', 1, now() - (n || ' seconds')::interval
       FROM generate_series(1, $1::int) AS n`,
    [documents],
  );
  await db.pool.query(
    `INSERT INTO document_versions (document_id, version, sha256, byte_size, kind, mime_type, blob_path, status)
     SELECT id, 1, repeat('0', 64), 1, 'pdf', 'application/pdf', 'x', 'completed' FROM documents`,
  );
  await db.pool.query('ANALYZE');
  const withIndex = await timePages();
  await db.pool.query('DROP INDEX documents_created_at_id_idx');
  await db.pool.query('ANALYZE');
  const withoutIndex = await timePages();
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAtEnd: loadavg()[0],
    },
    documents,
    pagesTimed: pages,
    pageSize: 20,
    withIndex,
    withoutIndex,
    deepPageSpeedup: Number((withoutIndex.deepPageMs.p50 / withIndex.deepPageMs.p50).toFixed(1)),
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(
    join(import.meta.dirname, '..', 'results', `document-list-${result.date.slice(0, 10)}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await db.drop();
}
