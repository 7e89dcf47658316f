import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AppConfig, loadConfig } from '@aegis/config';
import { createLogger } from '@aegis/observability';
import { type ApiKeyRole, createApiKeyStore } from '@aegis/stores';
import {
  createTestDatabase,
  createTestRedis,
  type ProviderSimulator,
  startProviderSimulator,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
  type TestRedis,
} from '@aegis/testkit';
import { startWorkerRuntime, type WorkerRuntime } from '@aegis/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';

export const TEST_PEPPER = 'test-pepper-0123456789abcdef0123456789';
export const TEST_METRICS_TOKEN = 'metrics-token-0123456789abcdef';

export interface ApiHarness {
  app: FastifyInstance;
  config: AppConfig;
  runtime: WorkerRuntime;
  db: TestDatabase;
  redis: TestRedis;
  sim: ProviderSimulator;
  /** Uploads are streamed here (the test lists it to prove nothing is left behind). */
  uploadDir: string;
  blobDir: string;
  /** The only folder path ingestion may read from (INGEST_PATH_ROOTS). */
  ingestRoot: string;
  /** With `throughProxies`: cut these to make Postgres or Redis unreachable for the API (and only for it). */
  proxies: { postgres: TcpProxy; redis: TcpProxy } | undefined;
  /** Creates a key (scoped to knowledge bases when given) and returns its plaintext. */
  key(roles: ApiKeyRole[], name?: string, knowledgeBases?: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * The API over a producer-only runtime (no workers, so jobs stay countable): real Postgres (private schema)
 * and Redis (private queue prefix), the provider simulator for models, and private temp/blob/root folders.
 */
export async function createApiHarness(
  options: { env?: Record<string, string>; throughProxies?: boolean } = {},
): Promise<ApiHarness> {
  const [sim, db] = await Promise.all([startProviderSimulator(), createTestDatabase({ max: 20 })]);
  const redis = createTestRedis();
  const redisUrl = new URL(process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const database = new URL(db.connectionString);
  const proxies = options.throughProxies
    ? {
        postgres: await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) }),
        redis: await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) }),
      }
    : undefined;
  const [blobDir, uploadDir, ingestRoot] = await Promise.all([
    mkdtemp(path.join(tmpdir(), 'aegis-api-blobs-')),
    mkdtemp(path.join(tmpdir(), 'aegis-api-uploads-')),
    mkdtemp(path.join(tmpdir(), 'aegis-api-root-')),
  ]);
  const env: Record<string, string> = {
    DATABASE_URL: proxies ? db.connectionStringVia(proxies.postgres) : db.connectionString,
    REDIS_URL: proxies ? `redis://127.0.0.1:${proxies.redis.port}` : redisUrl.toString(),
    QUEUE_PREFIX: `{${redis.prefix.slice(0, -1)}}`,
    BLOB_DIR: blobDir,
    OLLAMA_URL: sim.ollamaUrl,
    OPENAI_API_KEY: 'sk-sim-openai',
    OPENAI_BASE_URL: sim.openaiBaseUrl('openai'),
    LOG_LEVEL: 'warn',
    API_KEY_PEPPER: TEST_PEPPER,
    SESSION_SECRET: `session-secret-${randomUUID()}`,
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    INGEST_PATH_ROOTS: ingestRoot,
    RATE_LIMIT_MAX: '100000',
    AUTH_FAILURE_MAX: '100000',
    ...options.env,
  };
  const config = loadConfig(env);
  const logger = createLogger({ level: 'warn', name: 'test-api' });
  const runtime = await startWorkerRuntime({
    config,
    logger,
    pool: proxies ? undefined : db.pool,
    migrate: false,
    stages: [],
  });
  const app = await buildApp({ config, runtime, logger, uploadTempDir: uploadDir });
  await app.ready();
  const keys = createApiKeyStore({ pool: db.pool, pepper: TEST_PEPPER });
  return {
    app,
    config,
    runtime,
    db,
    redis,
    sim,
    proxies,
    uploadDir,
    blobDir,
    ingestRoot,
    async key(roles, name = `test-${roles.join('-')}`, knowledgeBases = undefined) {
      return (await keys.create(name, roles, { knowledgeBases })).key;
    },
    async close() {
      await proxies?.postgres.restore();
      await proxies?.redis.restore();
      await app.close();
      await runtime.close();
      await proxies?.postgres.close();
      await proxies?.redis.close();
      await sim.close();
      await redis.cleanup();
      await db.drop();
      await Promise.all(
        [blobDir, uploadDir, ingestRoot].map((dir) => rm(dir, { recursive: true, force: true })),
      );
    },
  };
}

/** A multipart/form-data body with one file part (and text fields before it), for `app.inject`. */
export function multipartFile(
  filename: string,
  data: Uint8Array,
  contentType = 'application/octet-stream',
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----aegis${randomUUID().replaceAll('-', '')}`;
  const fieldParts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const head = Buffer.from(
    `${fieldParts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, data, tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Values for the path parameters of every route (ours and Bull Board's), for tests that call each route. */
export const SAMPLE_PARAMS: Readonly<Record<string, string>> = {
  id: 'no-such-document',
  queueName: 'extract',
  jobId: 'no-such-job',
  queueStatus: 'failed',
  schedulerId: 'no-such-scheduler',
};

/** A route pattern with its parameters filled: each with its sample, or one of them with `override.value`. */
export function concreteUrl(url: string, override?: { name: string; value: string }): string {
  return url
    .replace(/:(\w+)/g, (_, name: string) =>
      override?.name === name ? override.value : (SAMPLE_PARAMS[name] ?? 'x'),
    )
    .replace('*', 'main.js');
}
