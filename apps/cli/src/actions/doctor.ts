import { constants } from 'node:fs';
import { access, mkdir, readdir } from 'node:fs/promises';
import { type AppConfig, loadConfig } from '@aegis/config';
import { isAegisError } from '@aegis/core';
import {
  chainFor,
  createOllamaProvider,
  createPostgresAccounting,
  createRouterFromConfig,
  DEFAULT_ROUTING_CONFIG,
  TASK_TYPES,
} from '@aegis/llm-router';
import { assertNoEviction, createRedisConnection } from '@aegis/queue';
import { createPostgresPool, MIGRATIONS_DIR } from '@aegis/stores';
import { storesFromConfig } from '@aegis/worker';
import type { Redis } from 'ioredis';
import type pg from 'pg';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  warning?: boolean;
}

const TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)),
        TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function checkRedis(config: AppConfig, redis: Redis): Promise<Check> {
  try {
    await withTimeout(redis.ping(), 'Redis');
  } catch (error) {
    return {
      name: 'Redis',
      ok: false,
      detail: message(error),
      fix: `start Redis or fix REDIS_URL (${config.redis.url.replace(/:[^:@/]*@/, ':***@')})`,
    };
  }
  try {
    await assertNoEviction(redis);
    return { name: 'Redis', ok: true, detail: 'reachable, maxmemory-policy noeviction' };
  } catch (error) {
    return {
      name: 'Redis',
      ok: false,
      detail: message(error),
      fix: 'redis-cli config set maxmemory-policy noeviction (and persist it in redis.conf)',
    };
  }
}

async function checkPostgres(pool: pg.Pool): Promise<Check> {
  try {
    await withTimeout(pool.query('SELECT 1'), 'Postgres');
  } catch (error) {
    return {
      name: 'Postgres',
      ok: false,
      detail: message(error),
      fix: 'start Postgres or fix DATABASE_URL; `aegis migrate` creates the database',
    };
  }
  const files = (await readdir(MIGRATIONS_DIR))
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.replace(/\.sql$/, ''));
  const applied = await pool.query<{ name: string }>('SELECT name FROM pgmigrations').then(
    (result) => new Set(result.rows.map((row) => row.name)),
    () => new Set<string>(),
  );
  const pending = files.filter((file) => !applied.has(file));
  return pending.length === 0
    ? { name: 'Postgres', ok: true, detail: `reachable, ${files.length} migrations applied` }
    : {
        name: 'Postgres',
        ok: false,
        detail: `${pending.length} migration(s) pending: ${pending.join(', ')}`,
        fix: 'npm run migrate',
      };
}

async function checkBlobDir(config: AppConfig): Promise<Check> {
  try {
    await mkdir(config.pipeline.blobDir, { recursive: true });
    await access(config.pipeline.blobDir, constants.W_OK);
    return { name: 'Blob directory', ok: true, detail: `${config.pipeline.blobDir} is writable` };
  } catch (error) {
    return {
      name: 'Blob directory',
      ok: false,
      detail: message(error),
      fix: 'set BLOB_DIR to a writable folder shared by all workers',
    };
  }
}

async function checkStores(config: AppConfig, pool: pg.Pool): Promise<Check[]> {
  const { vectors, graph } = storesFromConfig(config, pool);
  const checks: Check[] = [];
  try {
    const collections = await withTimeout(vectors.collections(), 'the vector store');
    const engine = await withTimeout(vectors.engine(), 'the vector store');
    checks.push({
      name: `Vector store (${vectors.kind})`,
      ok: true,
      detail:
        (collections.length > 0
          ? collections
              .map((entry) => `${entry.name}: ${entry.points} points of ${entry.dimensions} dimensions`)
              .join('; ')
          : 'reachable; a collection per embedding model is created on first embed') +
        `. Search engine: ${engine.name} (${engine.detail})`,
    });
  } catch (error) {
    checks.push({
      name: `Vector store (${vectors.kind})`,
      ok: false,
      detail: message(error),
      fix:
        vectors.kind === 'qdrant'
          ? 'start Qdrant or fix QDRANT_URL / QDRANT_API_KEY'
          : 'run `npm run migrate`',
    });
  }
  try {
    const counts = await withTimeout(graph.counts(), 'the graph store');
    checks.push({
      name: `Graph store (${graph.kind})`,
      ok: true,
      detail: `${counts.entities} entities, ${counts.relations} relations`,
    });
  } catch (error) {
    checks.push({
      name: `Graph store (${graph.kind})`,
      ok: false,
      detail: message(error),
      fix:
        graph.kind === 'neo4j'
          ? 'start Neo4j or fix NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD'
          : 'run `npm run migrate`',
    });
  }
  await Promise.allSettled([vectors.close(), graph.close()]);
  return checks;
}

async function checkOllama(config: AppConfig, routing: typeof DEFAULT_ROUTING_CONFIG): Promise<Check> {
  const needed = [
    ...new Set(
      TASK_TYPES.flatMap((task) =>
        chainFor(routing, task, 'local-only', (provider) => provider === 'ollama').map(
          (entry) => entry.model,
        ),
      ),
    ),
  ];
  if (config.llm.routingMode === 'cloud-only' || needed.length === 0)
    return { name: 'Ollama', ok: true, detail: 'not used (cloud-only routing)' };
  const ollama = createOllamaProvider({ baseUrl: config.llm.ollama.url });
  try {
    const models = new Set(
      (await ollama.listModels({ signal: AbortSignal.timeout(TIMEOUT_MS), timeoutMs: TIMEOUT_MS })).map(
        (model) => (model.includes(':') ? model : `${model}:latest`),
      ),
    );
    const missing = needed.filter((model) => !models.has(model.includes(':') ? model : `${model}:latest`));
    return missing.length === 0
      ? { name: 'Ollama', ok: true, detail: `reachable; ${needed.join(', ')} pulled` }
      : {
          name: 'Ollama',
          ok: false,
          warning: true,
          detail: `models not pulled: ${missing.join(', ')} (those calls go to the cloud)`,
          fix: missing.map((model) => `ollama pull ${model}`).join(' && '),
        };
  } catch (error) {
    return {
      name: 'Ollama',
      ok: false,
      warning: true,
      detail: `unreachable at ${config.llm.ollama.url} (${message(error)}); local-first calls fall through to the cloud`,
      fix: 'start Ollama or set OLLAMA_URL, or LLM_ROUTING_MODE=cloud-only',
    };
  }
}

function checkProviders(config: AppConfig): Check[] {
  const enabled = Object.entries(config.llm.providers)
    .filter(([, provider]) => provider.enabled)
    .map(([name]) => name);
  const disabled = Object.entries(config.llm.providers)
    .filter(([, provider]) => !provider.enabled)
    .map(([name]) => name);
  return [
    enabled.length > 0 || config.llm.routingMode !== 'cloud-only'
      ? {
          name: 'Cloud providers',
          ok: true,
          warning: enabled.length === 0,
          detail: `enabled: ${enabled.join(', ') || 'none'}; without a key: ${disabled.join(', ') || 'none'}`,
        }
      : {
          name: 'Cloud providers',
          ok: false,
          detail: 'cloud-only routing but no provider has an API key',
          fix: 'set e.g. DASHSCOPE_API_KEY or OPENAI_API_KEY',
        },
  ];
}

async function checkBudgets(pool: pg.Pool): Promise<Check> {
  const accounting = createPostgresAccounting({ pool, leases: false });
  try {
    const statuses = await withTimeout(accounting.status(), 'the budget tables');
    const over = statuses.filter(
      (status) => status.limitUsd !== null && Number(status.spentUsd) >= 0.8 * Number(status.limitUsd),
    );
    const summary = statuses
      .map(
        (status) =>
          `${status.provider} $${Number(status.spentUsd).toFixed(4)}/${status.limitUsd === null ? '∞' : `$${Number(status.limitUsd)}`}`,
      )
      .join(', ');
    return over.length === 0
      ? { name: 'Budgets', ok: true, detail: summary || 'no spend this month' }
      : {
          name: 'Budgets',
          ok: false,
          warning: true,
          detail: `over 80%: ${over.map((status) => status.provider).join(', ')} (${summary})`,
          fix: 'raise BUDGET_<PROVIDER>_MONTHLY_USD or route to other providers',
        };
  } catch (error) {
    return { name: 'Budgets', ok: false, detail: message(error), fix: 'run `npm run migrate`' };
  } finally {
    await accounting.close().catch(() => {});
  }
}

/** `aegis doctor`: checks every dependency and says what is wrong and how to fix it. Exit code 1 on any failure. */
export async function runDoctor(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    console.log(`✗ Configuration: ${message(error)}`);
    process.exitCode = 1;
    return;
  }
  console.log(`✓ Configuration (${config.environment})`);
  const redis = createRedisConnection(config.redis.url, 'producer');
  redis.on('error', () => {});
  const pool = createPostgresPool({
    url: config.database.url,
    max: 2,
    applicationName: 'aegis-doctor',
    connectionTimeoutMs: TIMEOUT_MS,
  });
  try {
    const routing = config.llm.routingFile
      ? await createRouterFromConfig(config, { pool, redis }).then(
          (built) => built.routing,
          () => DEFAULT_ROUTING_CONFIG,
        )
      : DEFAULT_ROUTING_CONFIG;
    const checks: Check[] = [
      await checkRedis(config, redis),
      await checkPostgres(pool),
      await checkBlobDir(config),
      ...(await checkStores(config, pool)),
      await checkOllama(config, routing),
      ...checkProviders(config),
      await checkBudgets(pool),
    ];
    for (const check of checks) {
      const mark = check.ok ? (check.warning ? '!' : '✓') : check.warning ? '!' : '✗';
      console.log(`${mark} ${check.name}: ${check.detail}${check.fix ? `\n    fix: ${check.fix}` : ''}`);
    }
    const failed = checks.filter((check) => !check.ok && !check.warning);
    console.log(
      failed.length === 0 ? '\nAll required checks passed.' : `\n${failed.length} problem(s) need fixing.`,
    );
    if (failed.length > 0) process.exitCode = 1;
  } catch (error) {
    console.log(`✗ ${isAegisError(error) ? error.code : 'INTERNAL'}: ${message(error)}`);
    process.exitCode = 1;
  } finally {
    redis.disconnect();
    await pool.end();
  }
}
