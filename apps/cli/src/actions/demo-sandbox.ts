import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase, runMigrations } from '@aegis/stores';
import { Redis } from 'ioredis';
import pg from 'pg';

/** What a demo owns: nothing of it outlives `teardown()`. */
export interface DemoSandbox {
  id: string;
  /** Its own Postgres schema (documents, keys, ledger, budgets and leases live there). */
  schema: string;
  /** Its own hash-tagged queue prefix (jobs, breakers, rate limits, progress channels). */
  queuePrefix: string;
  /** Its own folder (blobs, watched inbox), under the system's temp folder. */
  dir: string;
  /** The environment that points a configuration at the sandbox. */
  env: Record<string, string>;
  /** Drops the schema, deletes every Redis key under the prefix and removes the folder. Idempotent. */
  teardown(): Promise<void>;
}

/** A database URL whose connections use `schema` (and only it). */
function inSchema(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** The URL without a `search_path` option (the database's default schema). */
function withoutSchema(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.delete('options');
  return url.toString();
}

/** Deletes every key matching `pattern` (SCAN, so a large Redis is not blocked). */
export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  redis.on('error', () => {});
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * Creates a demo's sandbox in the configured Postgres database and Redis: schema `aegis_demo_<id>` (migrated),
 * queue prefix `{aegis-demo-<id>}` and a temp folder. A failure half-way tears down what was made.
 */
export async function createDemoSandbox(options: {
  databaseUrl: string;
  redisUrl: string;
}): Promise<DemoSandbox> {
  const id = randomBytes(4).toString('hex');
  const schema = `aegis_demo_${id}`;
  const queuePrefix = `{aegis-demo-${id}}`;
  const adminUrl = withoutSchema(options.databaseUrl);
  let dir: string | undefined;
  let schemaCreated = false;
  let done: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    done ??= (async () => {
      const failures: unknown[] = [];
      const attempt = async (step: () => Promise<unknown>): Promise<void> => {
        await step().catch((error: unknown) => failures.push(error));
      };
      if (schemaCreated)
        await attempt(async () => {
          const client = new pg.Client({ connectionString: adminUrl });
          client.on('error', () => {});
          await client.connect();
          try {
            await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`);
          } finally {
            await client.end();
          }
        });
      // `{` and `}` are literal in a SCAN pattern; the prefix's keys all start with it.
      await attempt(() => deleteRedisKeys(options.redisUrl, `${queuePrefix}*`));
      if (dir !== undefined) await attempt(() => rm(dir as string, { recursive: true, force: true }));
      if (failures.length > 0)
        throw new AggregateError(failures, `demo sandbox ${id} was not removed completely`);
    })();
    return done;
  };
  try {
    dir = await mkdtemp(path.join(tmpdir(), `aegis-demo-${id}-`));
    await ensureDatabase(adminUrl);
    schemaCreated = true;
    await runMigrations({ databaseUrl: adminUrl, schema });
  } catch (error) {
    await teardown().catch(() => {});
    throw error;
  }
  return {
    id,
    schema,
    queuePrefix,
    dir,
    env: {
      DATABASE_URL: inSchema(options.databaseUrl, schema),
      QUEUE_PREFIX: queuePrefix,
      BLOB_DIR: path.join(dir, 'blobs'),
      INBOX_DIR: path.join(dir, 'inbox'),
      // Already migrated above; the demo's workers must not migrate the default schema.
      MIGRATE_ON_START: 'false',
    },
    teardown,
  };
}

/**
 * Runs `cleanup` once when the process is told to stop (Ctrl-C, SIGTERM, SIGHUP) or its output pipe closes
 * (`aegis demo | head`), then exits (130 for a signal, 141 like SIGPIPE for a closed pipe). Returns a function
 * that removes the handlers.
 */
export function cleanupOnInterrupt(cleanup: () => Promise<void>): () => void {
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    void cleanup()
      .catch((error: unknown) => {
        process.stderr.write(
          `demo clean-up failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      })
      .finally(() => process.exit(code));
  };
  const onSignal = (): void => stop(130);
  const onPipe = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') stop(141);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  process.stdout.on('error', onPipe);
  process.stderr.on('error', onPipe);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
    process.stdout.off('error', onPipe);
    process.stderr.off('error', onPipe);
  };
}

/**
 * What a demo started, to close in reverse order. A resource still starting when the demo is interrupted is
 * waited for and then closed too, so nothing it creates afterwards outlives the sandbox's teardown.
 */
export class DemoResources {
  readonly #starting = new Set<Promise<unknown>>();
  readonly #closers: Array<() => Promise<unknown>> = [];

  /** Awaits `starting` and remembers how to close what it gives. */
  async own<T>(starting: Promise<T>, close: (value: T) => Promise<unknown>): Promise<T> {
    this.#starting.add(starting);
    try {
      const value = await starting;
      this.#closers.push(() => close(value));
      return value;
    } finally {
      this.#starting.delete(starting);
    }
  }

  /** Waits for whatever is starting, then closes everything, newest first (errors ignored). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#starting]);
    for (const close of this.#closers.splice(0).reverse()) await close().catch(() => {});
  }
}
