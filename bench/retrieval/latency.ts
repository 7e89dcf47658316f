/**
 * Vector search latency of the lite store at 10k, 100k and 1M synthetic points: the exact scan (no pgvector)
 * beside pgvector's HNSW, through the store's own search (query, hydration of the hits). Points are generated
 * inside Postgres (the store's ingest path is measured by the pipeline benchmark): by default around 1000 random
 * centres with uniform noise, as real embeddings cluster by topic (`--clusters 0`: uniform random vectors, on
 * which no index finds neighbours: they are all about equally far); queries are drawn the same way. The HNSW
 * index is built once after the load, as `aegis migrate` builds it for existing points, then the same queries
 * run at each `--ef-search`; recall@10 compares with the exact answer computed inside Postgres (index off).
 * Everything lives in a schema of its own, dropped at the end (also on Ctrl-C).
 *
 *   npm run bench:retrieval:latency [-- --sizes 10000,100000,1000000 --dims 384 --queries 200
 *     --engines exact,pgvector --ef-search 40,100,200 --scan-parallelism 1,2 --clusters 1000 --noise 0.5
 *     --bases 10 --quiet-load 3 --quiet-wait-minutes 90]  (--bases 1: no filtered rows)
 * On a shared machine, `--quiet-load X` waits after the load and index build (which take long at 1M) until the
 * 1-minute load average is under X (at most `--quiet-wait-minutes`) before the timed queries.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { EmbeddingSpace, VectorFilter } from '@aegis/core';
import { createPostgresVectorStore, detectVectorMode } from '@aegis/stores';
import { createTestDatabase } from '@aegis/testkit';
import pg from 'pg';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const sizes = argument('sizes', '10000,100000').split(',').map(Number);
const dims = Number(argument('dims', '384'));
const queries = Number(argument('queries', '50'));
const engines = argument('engines', 'exact,pgvector').split(',') as Array<'exact' | 'pgvector'>;
const out = argument('out', '');
// Room for the HNSW build: the graph of 1M x 384 needs about 2 GB; a build that does not fit in memory is far slower.
const maintenanceWorkMem = argument('maintenance-work-mem', '3GB');
// Queries whose exact top 10 (a scan inside Postgres, index off) is compared with pgvector's answer.
const recallQueries = Number(argument('recall-queries', '10'));
const clusters = Number(argument('clusters', '1000'));
const noise = Number(argument('noise', '0.5'));
const efSearches = argument('ef-search', '100').split(',').map(Number);
// Id ranges the exact scan reads at once (1 = the former single keyset scan); A/B on the same points.
const scanParallelisms = argument('scan-parallelism', '2').split(',').map(Number);
// Points spread over this many knowledge bases (by a hash, independent of the clusters); with more than one,
// every setting is also timed with a filter on one base (1/bases of the points), as a team's key searches.
const bases = Number(argument('bases', '10'));
const quietLoad = Number(argument('quiet-load', 'Infinity'));
const quietWaitMinutes = Number(argument('quiet-wait-minutes', '60'));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function load1(): Promise<number> {
  return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
}

/** Waits until the machine is quieter than `--quiet-load` (or the wait runs out), so the timings are its own. */
async function waitForQuiet(): Promise<void> {
  const deadline = Date.now() + quietWaitMinutes * 60_000;
  let said = false;
  while ((await load1()) >= quietLoad && Date.now() < deadline) {
    if (!said) console.log(`waiting for the 1-minute load average to drop under ${quietLoad}`);
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

const results: Array<Record<string, unknown>> = [];
let current: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.log(`${signal}: dropping the bench schema`);
    void (current?.drop() ?? Promise.resolve()).finally(() => process.exit(130));
  });

for (const engine of engines) {
  for (const size of sizes) {
    const db = await createTestDatabase();
    current = db;
    // Room for the HNSW build; the bench's own sessions only.
    const url = new URL(db.connectionString);
    url.searchParams.set(
      'options',
      `${url.searchParams.get('options') ?? ''} -c maintenance_work_mem=${maintenanceWorkMem} -c max_parallel_maintenance_workers=1 -c synchronous_commit=off`,
    );
    const pool = new pg.Pool({ connectionString: url.toString(), max: Math.max(4, ...scanParallelisms) });
    try {
      const mode = await detectVectorMode(pool);
      if (engine === 'pgvector' && mode.kind !== 'pgvector') {
        console.log(`pgvector: skipped (${mode.reason})`);
        results.push({ engine, size, dims, skipped: mode.reason });
        break;
      }
      const storeWith = (efSearch: number | undefined, scanParallelism?: number | undefined) =>
        createPostgresVectorStore({
          pool,
          collection: 'bench',
          vectorMode: engine === 'exact' ? 'exact' : 'auto',
          hnswEfSearch: efSearch,
          scanParallelism,
        });
      const space: EmbeddingSpace = {
        provider: 'bench',
        model: 'synthetic',
        dimensions: dims,
        normalisation: 'l2',
      };
      const collection = storeWith(undefined).collectionOf(space);
      await pool.query('INSERT INTO vector_collections (name, dimensions) VALUES ($1, $2)', [
        collection,
        dims,
      ]);
      let centres: number[][] = [];
      if (clusters > 0) {
        await pool.query(
          `CREATE TABLE bench_centres AS
             SELECT k, array_agg(random() - 0.5 ORDER BY i) AS v
               FROM generate_series(0, ${clusters - 1}) AS k, generate_series(1, ${dims}) AS i GROUP BY k`,
        );
        const { rows } = await pool.query<{ v: number[] }>('SELECT v FROM bench_centres ORDER BY k');
        centres = rows.map((row) => row.v.map(Number));
      }
      const queryVector = (): number[] => {
        const centre = centres[Math.floor(Math.random() * centres.length)];
        return centre
          ? centre.map((x) => x + noise * (Math.random() - 0.5))
          : Array.from({ length: dims }, () => Math.random() - 0.5);
      };
      const loadStarted = performance.now();
      for (let start = 0; start < size; start += 10_000) {
        const count = Math.min(10_000, size - start);
        const raw =
          clusters > 0
            ? // unnest reads the centre once (c.v[i] would detoast the whole array for every component)
              `(SELECT array_agg(x + ${noise} * (random() - 0.5) ORDER BY i) FROM unnest(c.v) WITH ORDINALITY AS u(x, i))`
            : `(SELECT array_agg(random() - 0.5) FROM generate_series(1, ${dims}) WHERE g >= 0)`;
        const column = engine === 'exact' ? 'vector_f32' : 'embedding';
        const value =
          engine === 'exact'
            ? `(SELECT string_agg(float4send((x / n)::real), ''::bytea ORDER BY i) FROM (
                 SELECT x, i, sqrt(sum(x * x) OVER ()) AS n FROM unnest(${raw}) WITH ORDINALITY AS t(x, i)) s)`
            : `${raw}::public.vector`;
        await pool.query(
          `INSERT INTO vector_points (collection, id, document_id, version, chunk_index, knowledge_base, payload, ${column})
           SELECT $1, gen_random_uuid(), 'doc-' || (g / 50), 1, g % 50, 'kb-' || abs(hashint4(g) % ${Math.max(1, bases)}),
                  jsonb_build_object('source', 'synthetic', 'text', 'synthetic point', 'headingPath', '[]'::jsonb,
                                     'embeddingModel', 'bench:synthetic'),
                  ${value}
             FROM generate_series($2::int, $3::int) AS g
             ${clusters > 0 ? `JOIN bench_centres c ON c.k = g % ${clusters}` : ''}`,
          [collection, start, start + count - 1],
        );
      }
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      const indexStarted = performance.now();
      await storeWith(undefined).ensureSpace(space); // builds the HNSW index in pgvector mode
      const indexSeconds = (performance.now() - indexStarted) / 1000;
      await pool.query('ANALYZE vector_points');
      await waitForQuiet();
      const vectors = Array.from({ length: queries }, queryVector);
      const filters: Array<VectorFilter | undefined> =
        bases > 1 ? [undefined, { knowledgeBases: ['kb-0'] }] : [undefined];
      // The exact top 10 of the first queries (pgvector only: the exact scan is exact by construction).
      const truths = new Map<VectorFilter | undefined, string[][]>();
      for (const filter of engine === 'pgvector' ? filters : []) {
        const type = `public.vector(${dims})`;
        const truth: string[][] = [];
        for (const vector of vectors.slice(0, recallQueries)) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN; SET LOCAL enable_indexscan = off');
            const exact = await client.query<{ id: string }>(
              `SELECT id FROM vector_points WHERE collection = $1 ${filter ? "AND knowledge_base = 'kb-0'" : ''}
                ORDER BY (embedding::${type}) OPERATOR(public.<=>) $2::${type} LIMIT 10`,
              [collection, `[${vector.join(',')}]`],
            );
            await client.query('COMMIT');
            truth.push(exact.rows.map((row) => row.id));
          } finally {
            client.release();
          }
        }
        truths.set(filter, truth);
      }
      const settings = (
        engine === 'pgvector'
          ? efSearches.map((efSearch) => ({ efSearch, scanParallelism: undefined }))
          : scanParallelisms.map((scanParallelism) => ({ efSearch: undefined, scanParallelism }))
      ).flatMap((setting) => filters.map((filter) => ({ ...setting, filter })));
      for (const { efSearch, scanParallelism, filter } of settings) {
        const truth = truths.get(filter) ?? [];
        const store = storeWith(efSearch, scanParallelism);
        for (let warm = 0; warm < 3; warm += 1)
          await store.search(space, queryVector(), { limit: 10, filter });
        const load1Before = await load1();
        const timings: number[] = [];
        let hits = 0;
        let found = 0;
        for (const [index, vector] of vectors.entries()) {
          const started = performance.now();
          const answer = await store.search(space, vector, { limit: 10, filter });
          timings.push(performance.now() - started);
          hits += answer.length;
          const exact = truth[index];
          if (exact) found += answer.filter((hit) => exact.includes(hit.id)).length;
        }
        const load1After = await load1();
        const row = {
          engine,
          size,
          dims,
          clusters,
          queries,
          ...(efSearch === undefined ? {} : { efSearch }),
          ...(scanParallelism === undefined ? {} : { scanParallelism }),
          ...(filter ? { filter: `knowledge base 1 of ${bases}` } : {}),
          p50Ms: Math.round(percentile(timings, 50) * 10) / 10,
          p99Ms: Math.round(percentile(timings, 99) * 10) / 10,
          meanHits: hits / queries,
          ...(truth.length > 0
            ? {
                recallAt10: Math.round((found / (truth.length * 10)) * 1000) / 1000,
                recallQueries: truth.length,
              }
            : {}),
          loadSeconds: Math.round(loadSeconds),
          indexSeconds: Math.round(indexSeconds),
          // The machine is shared: the 1-minute load average just before and after the timed queries.
          load1: [load1Before, load1After],
        };
        results.push(row);
        console.log(JSON.stringify(row));
      }
    } finally {
      await pool.end();
      await db.drop();
      current = undefined;
    }
  }
}
if (out)
  await writeFile(
    out,
    `${JSON.stringify({ benchmark: 'retrieval-latency', date: new Date().toISOString(), results }, null, 2)}\n`,
  );
process.exit(0);
