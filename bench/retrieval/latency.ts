/**
 * Vector search latency of the lite store at 10k, 100k and 1M synthetic points: the exact scan (no pgvector)
 * beside pgvector's HNSW, through the store's own search (query, hydration of the hits). Points are random
 * unit vectors generated inside Postgres (the store's ingest path is measured by the pipeline benchmark);
 * the HNSW index is built after the load, as `aegis migrate` builds it for existing points.
 *
 *   npm run bench:retrieval:latency [-- --sizes 10000,100000,1000000 --dims 1024 --queries 50 --engines exact,pgvector]
 */
import { writeFile } from 'node:fs/promises';
import type { EmbeddingSpace } from '@aegis/core';
import { createPostgresVectorStore, detectVectorMode } from '@aegis/stores';
import { createTestDatabase } from '@aegis/testkit';
import pg from 'pg';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const sizes = argument('sizes', '10000,100000').split(',').map(Number);
const dims = Number(argument('dims', '1024'));
const queries = Number(argument('queries', '50'));
const engines = argument('engines', 'exact,pgvector').split(',') as Array<'exact' | 'pgvector'>;
const out = argument('out', '');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function randomVector(): number[] {
  return Array.from({ length: dims }, () => Math.random() - 0.5);
}

const results: Array<Record<string, unknown>> = [];
for (const engine of engines) {
  for (const size of sizes) {
    const db = await createTestDatabase();
    // Room for the HNSW build; the bench's own sessions only.
    const url = new URL(db.connectionString);
    url.searchParams.set(
      'options',
      `${url.searchParams.get('options') ?? ''} -c maintenance_work_mem=1GB -c max_parallel_maintenance_workers=1`,
    );
    const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
    try {
      const mode = await detectVectorMode(pool);
      if (engine === 'pgvector' && mode.kind !== 'pgvector') {
        console.log(`pgvector: skipped (${mode.reason})`);
        results.push({ engine, size, dims, skipped: mode.reason });
        break;
      }
      const store = createPostgresVectorStore({
        pool,
        collection: 'bench',
        vectorMode: engine === 'exact' ? 'exact' : 'auto',
      });
      const space: EmbeddingSpace = {
        provider: 'bench',
        model: 'synthetic',
        dimensions: dims,
        normalisation: 'l2',
      };
      const collection = store.collectionOf(space);
      await pool.query('INSERT INTO vector_collections (name, dimensions) VALUES ($1, $2)', [
        collection,
        dims,
      ]);
      const loadStarted = performance.now();
      for (let start = 0; start < size; start += 10_000) {
        const count = Math.min(10_000, size - start);
        const random = `(SELECT array_agg(random() - 0.5) FROM generate_series(1, ${dims}) WHERE g >= 0)`;
        const column = engine === 'exact' ? 'vector_f32' : 'embedding';
        const value =
          engine === 'exact'
            ? `(SELECT string_agg(float4send((x / n)::real), ''::bytea ORDER BY i) FROM (
                 SELECT x, i, sqrt(sum(x * x) OVER ()) AS n FROM unnest(${random}) WITH ORDINALITY AS t(x, i)) s)`
            : `${random}::public.vector`;
        await pool.query(
          `INSERT INTO vector_points (collection, id, document_id, version, chunk_index, payload, ${column})
           SELECT $1, gen_random_uuid(), 'doc-' || (g / 50), 1, g % 50,
                  jsonb_build_object('source', 'synthetic', 'text', 'synthetic point', 'headingPath', '[]'::jsonb,
                                     'embeddingModel', 'bench:synthetic'),
                  ${value}
             FROM generate_series($2::int, $3::int) AS g`,
          [collection, start, start + count - 1],
        );
      }
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      const indexStarted = performance.now();
      await store.ensureSpace(space); // builds the HNSW index in pgvector mode
      const indexSeconds = (performance.now() - indexStarted) / 1000;
      await pool.query('ANALYZE vector_points');
      for (let warm = 0; warm < 3; warm += 1) await store.search(space, randomVector(), { limit: 10 });
      const timings: number[] = [];
      let hits = 0;
      for (let index = 0; index < queries; index += 1) {
        const started = performance.now();
        hits += (await store.search(space, randomVector(), { limit: 10 })).length;
        timings.push(performance.now() - started);
      }
      const row = {
        engine,
        size,
        dims,
        queries,
        p50Ms: Math.round(percentile(timings, 50) * 10) / 10,
        p99Ms: Math.round(percentile(timings, 99) * 10) / 10,
        meanHits: hits / queries,
        loadSeconds: Math.round(loadSeconds),
        indexSeconds: Math.round(indexSeconds),
        load1: Number(
          (await import('node:fs/promises').then((fs) => fs.readFile('/proc/loadavg', 'utf8'))).split(' ')[0],
        ),
      };
      results.push(row);
      console.log(JSON.stringify(row));
    } finally {
      await pool.end();
      await db.drop();
    }
  }
}
if (out)
  await writeFile(
    out,
    `${JSON.stringify({ benchmark: 'retrieval-latency', date: new Date().toISOString(), results }, null, 2)}\n`,
  );
process.exit(0);
