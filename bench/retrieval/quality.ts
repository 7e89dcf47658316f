/**
 * Retrieval quality on the real corpus: every file of ../shared/corpus/real is ingested through the whole
 * pipeline (real Postgres, Redis, lite stores with pgvector where installed), then each question of
 * questions.json is searched in keyword, vector and hybrid mode. A hit is relevant when it comes from the
 * question's file and its pages overlap the answer pages. Reports hit@1, hit@5 and MRR (over the top 10) per
 * mode, for two embedders: the provider simulator's hashing trick and the in-process static GloVe model.
 *
 *   npm run bench:retrieval:quality [-- --out bench/results/retrieval-quality-DATE.json]
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@aegis/config';
import { createLogger } from '@aegis/observability';
import { type SearchMode, searchDocuments } from '@aegis/pipeline';
import { createTestDatabase, createTestRedis, startProviderSimulator } from '@aegis/testkit';
import { startWorkerRuntime } from '@aegis/worker';
import type { Redis } from 'ioredis';
import { CORPUS_DIR, machineInfo, REPO_ROOT } from '../pipeline-throughput/environment.ts';

interface Question {
  q: string;
  file: string;
  pages: number[];
}

/** Hybrid is also measured with these keyword:vector weights (the default is 1:1, SEARCH_*_WEIGHT). */
const HYBRID_WEIGHTS: Array<[number, number]> = [
  [1, 1],
  [2, 1],
];
/** ... and with these reciprocal rank fusion k (default 60, SEARCH_RRF_K). */
const RRF_KS = [60, 20, 5];
const EMBEDDERS = [
  { name: 'simulator (hashing, ollama:bge-m3)', env: {} },
  {
    name: 'static (GloVe wink-glove-100d, in process)',
    env: { EMBEDDING_DEFAULT_MODEL: 'static:wink-glove-100d' },
  },
] as const;

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  const { questions } = JSON.parse(
    await readFile(join(REPO_ROOT, 'bench', 'retrieval', 'questions.json'), 'utf8'),
  ) as {
    questions: Question[];
  };
  const files = (await readdir(CORPUS_DIR)).filter((file) => !file.startsWith('.')).sort();
  const results: Record<string, Record<string, { hit1: number; hit5: number; mrr: number }>> = {};
  let machine: unknown;
  for (const embedder of EMBEDDERS) {
    const [sim, db] = await Promise.all([startProviderSimulator(), createTestDatabase({ max: 20 })]);
    const redis = createTestRedis();
    const env: Record<string, string> = {
      DATABASE_URL: db.connectionString,
      REDIS_URL: process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `{${redis.prefix.slice(0, -1)}}`,
      BLOB_DIR: await mkdtemp(join(tmpdir(), 'aegis-bench-blobs-')),
      OLLAMA_URL: sim.ollamaUrl,
      OPENAI_API_KEY: 'sk-sim',
      OPENAI_BASE_URL: sim.openaiBaseUrl('openai'),
      DASHSCOPE_API_KEY: 'sk-sim',
      DASHSCOPE_BASE_URL: sim.openaiBaseUrl('dashscope'),
      LOG_LEVEL: 'warn',
      ...embedder.env,
    };
    const config = loadConfig(env);
    const runtime = await startWorkerRuntime({
      config,
      logger: createLogger({ level: 'warn', name: 'bench' }),
      pool: db.pool,
      migrate: false,
    });
    machine ??= await machineInfo(db, redis.redis as unknown as Redis);
    const started = performance.now();
    const registrations = [];
    for (const file of files) {
      const data = await readFile(join(CORPUS_DIR, file));
      registrations.push(
        await runtime.producer.ingest({ data, displayName: file, sourceKey: join(CORPUS_DIR, file) }),
      );
    }
    for (const registration of registrations)
      await waitFinal(runtime, registration.documentId, registration.version);
    const ingestSeconds = (performance.now() - started) / 1000;
    const rows: Record<string, { hit1: number; hit5: number; mrr: number }> = {};
    const runs: Array<{
      label: string;
      mode: SearchMode;
      weights?: { keyword: number; vector: number };
      rrfK?: number;
    }> = [
      { label: 'keyword', mode: 'keyword' },
      { label: 'vector', mode: 'vector' },
      ...RRF_KS.flatMap((rrfK) =>
        HYBRID_WEIGHTS.map(([keyword, vector]) => ({
          label: `hybrid ${keyword}:${vector} k=${rrfK}`,
          mode: 'hybrid' as const,
          weights: { keyword, vector },
          rrfK,
        })),
      ),
    ];
    for (const { label, mode, weights, rrfK } of runs) {
      const pipeline =
        rrfK === undefined
          ? runtime.pipeline
          : {
              ...runtime.pipeline,
              options: { ...runtime.pipeline.options, search: { ...runtime.pipeline.options.search, rrfK } },
            };
      let hit1 = 0;
      let hit5 = 0;
      let reciprocal = 0;
      for (const question of questions) {
        const result = await searchDocuments(pipeline, {
          query: question.q,
          mode,
          limit: 10,
          weights,
        });
        const rank = result.hits.findIndex(
          (hit) =>
            hit.source === question.file &&
            hit.pageStart <= Math.max(...question.pages) &&
            hit.pageEnd >= Math.min(...question.pages),
        );
        if (rank === 0) hit1 += 1;
        if (rank >= 0 && rank < 5) hit5 += 1;
        if (rank >= 0) reciprocal += 1 / (rank + 1);
      }
      const n = questions.length;
      rows[label] = { hit1: round(hit1 / n), hit5: round(hit5 / n), mrr: round(reciprocal / n) };
    }
    results[embedder.name] = rows;
    console.log(`${embedder.name}: ingested ${files.length} files in ${ingestSeconds.toFixed(1)} s`);
    for (const [mode, row] of Object.entries(rows))
      console.log(
        `  ${mode.padEnd(8)} hit@1 ${row.hit1.toFixed(3)}  hit@5 ${row.hit5.toFixed(3)}  MRR ${row.mrr.toFixed(3)}`,
      );
    await runtime.close();
    await sim.close();
    await redis.cleanup();
    await db.drop();
  }
  const report = { benchmark: 'retrieval-quality', questions: questions.length, files, machine, results };
  if (out) await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
}

async function waitFinal(
  runtime: Awaited<ReturnType<typeof startWorkerRuntime>>,
  documentId: string,
  version: number,
) {
  for (;;) {
    const record = await runtime.pipeline.repository.getVersion(documentId, version);
    if (record && ['completed', 'failed', 'cancelled'].includes(record.status)) return record.status;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;

await main();
process.exit(0);
