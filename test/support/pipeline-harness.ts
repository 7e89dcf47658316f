import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AppConfig, loadConfig } from '@aegis/config';
import type { VersionStatus } from '@aegis/core';
import type { DestinationStream } from '@aegis/observability';
import { progressChannel } from '@aegis/queue';
import {
  createTestDatabase,
  createTestRedis,
  type ProviderSimulator,
  startProviderSimulator,
  type TestDatabase,
  type TestRedis,
} from '@aegis/testkit';
import { createAppLogger, startWorkerRuntime, type WorkerRuntime } from '@aegis/worker';
import { Redis } from 'ioredis';

export interface PipelineHarness {
  sim: ProviderSimulator;
  db: TestDatabase;
  redis: TestRedis;
  config: AppConfig;
  /** Environment that makes a separate worker process use the same simulator, schema, prefix and blobs. */
  env: Record<string, string>;
  runtime: WorkerRuntime;
  /** Resolves when the version reaches one of `statuses` (default: any final state), via progress events. */
  waitForVersion(
    documentId: string,
    version: number,
    statuses?: VersionStatus[],
    timeoutMs?: number,
  ): Promise<VersionStatus>;
  close(): Promise<void>;
}

const FINAL: VersionStatus[] = ['completed', 'completed_with_warnings', 'failed', 'cancelled'];

/** The whole pipeline in this process: real Postgres and Redis, the simulator for every model, Postgres lite stores. */
export async function createPipelineHarness(
  options: {
    env?: Record<string, string>;
    startWorkers?: boolean;
    redisUrl?: string;
    databaseUrl?: string;
    /** Where the runtime's log lines go (default stdout), e.g. a capture for secret checks. */
    logDestination?: DestinationStream;
    /** A password put into DATABASE_URL (the test server trusts local connections, so it is a secret to mask only). */
    databasePassword?: string;
  } = {},
): Promise<PipelineHarness> {
  const [sim, db] = await Promise.all([
    startProviderSimulator(),
    createTestDatabase({ max: 20, databaseUrl: options.databaseUrl }),
  ]);
  const redis = createTestRedis(options.redisUrl ? { url: options.redisUrl } : {});
  const blobDir = await mkdtemp(path.join(tmpdir(), 'aegis-blobs-'));
  const env: Record<string, string> = {
    DATABASE_URL:
      options.databasePassword === undefined
        ? db.connectionString
        : db.connectionString.replace(
            '://postgres@',
            `://postgres:${encodeURIComponent(options.databasePassword)}@`,
          ),
    REDIS_URL: options.redisUrl ?? process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `{${redis.prefix.slice(0, -1)}}`,
    BLOB_DIR: blobDir,
    OLLAMA_URL: sim.ollamaUrl,
    DASHSCOPE_API_KEY: 'sk-sim-dashscope',
    DASHSCOPE_BASE_URL: sim.openaiBaseUrl('dashscope'),
    OPENAI_API_KEY: 'sk-sim-openai',
    OPENAI_BASE_URL: sim.openaiBaseUrl('openai'),
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_MS: '1000',
    // OCR takes seconds per page on a loaded CI machine; the suites that test it (structure.test.ts) turn it on.
    OCR_ENGINE: 'off',
    ...options.env,
  };
  const config = loadConfig(env);
  // The production logger: configured secret values are masked as in every app.
  const logger = createAppLogger(config, {
    name: 'test-worker',
    level: 'warn',
    destination: options.logDestination,
  });
  const runtime = await startWorkerRuntime({
    config,
    logger,
    pool: db.pool,
    migrate: false,
    stages: options.startWorkers === false ? [] : undefined,
  });

  async function waitForVersion(
    documentId: string,
    version: number,
    statuses = FINAL,
    timeoutMs = 120_000,
  ): Promise<VersionStatus> {
    const listener = new Redis(env.REDIS_URL as string);
    try {
      const channel = progressChannel(config.redis.queuePrefix);
      const reached = new Promise<VersionStatus>((resolve) => {
        listener.on('message', (_channel: string, message: string) => {
          const event = JSON.parse(message) as {
            type: string;
            documentId: string;
            version: number;
            status: VersionStatus;
          };
          if (
            event.type === 'version' &&
            event.documentId === documentId &&
            event.version === version &&
            statuses.includes(event.status)
          )
            resolve(event.status);
        });
      });
      await listener.subscribe(channel);
      // The state may have been reached before we subscribed: Postgres is the truth.
      const current = await runtime.pipeline.repository.getVersion(documentId, version);
      if (current && statuses.includes(current.status)) return current.status;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `version ${documentId}/${version} did not reach ${statuses.join('|')} in ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([reached, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      listener.disconnect();
    }
  }

  return {
    sim,
    db,
    redis,
    config,
    env,
    runtime,
    waitForVersion,
    async close() {
      await runtime.close();
      // Queues live under the hash-tagged prefix `{test-…}`, which redis.cleanup() (prefix `test-…:`) doesn't match.
      const admin = new Redis(env.REDIS_URL as string);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${config.redis.queuePrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await admin.unlink(...keys);
      } while (cursor !== '0');
      admin.disconnect();
      await sim.close();
      await redis.cleanup();
      await db.drop();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}
