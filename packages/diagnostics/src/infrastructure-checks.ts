import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { AppConfig } from '@aegis/config';
import type { GraphStore, VectorStore } from '@aegis/core';
import { describeError, withTimeout } from './describe-error.ts';
import type { Finding } from './finding.ts';

/** `host:port` of a URL, never its credentials. */
export function hostOf(url: string, defaultPort: number): string {
  const parsed = URL.parse(url);
  if (!parsed) return '(unparsable URL)';
  return `${parsed.hostname}:${parsed.port || defaultPort}`;
}

/** The few Redis commands the checks use. */
export interface RedisLike {
  ping(): Promise<unknown>;
  config(subcommand: 'GET', parameter: string): Promise<unknown>;
}

export async function checkRedis(config: AppConfig, redis: RedisLike, timeoutMs: number): Promise<Finding[]> {
  const where = hostOf(config.redis.url, 6379);
  const base = { id: 'redis', name: 'Redis', required: true } as const;
  try {
    await withTimeout(redis.ping(), timeoutMs);
  } catch (error) {
    const { text } = describeError(error);
    return [
      {
        ...base,
        status: 'fail',
        detail: `Redis at ${where} ${text}`,
        fix: /password/.test(text)
          ? 'put the right password in REDIS_URL (redis://:password@host:port)'
          : `start Redis at ${where} (e.g. \`redis-server\`), or point REDIS_URL at a running one`,
      },
    ];
  }
  const policy = await withTimeout(redis.config('GET', 'maxmemory-policy'), timeoutMs).then(
    (reply) => (Array.isArray(reply) ? String(reply[1]) : undefined),
    () => undefined,
  );
  const eviction: Finding =
    policy === undefined || policy === 'noeviction'
      ? {
          id: 'redis-eviction',
          name: 'Redis eviction policy',
          required: true,
          status: policy === undefined ? 'warn' : 'ok',
          detail:
            policy === undefined
              ? 'CONFIG GET is not allowed here (managed Redis?); make sure maxmemory-policy is noeviction'
              : 'noeviction (queue keys are never evicted)',
        }
      : {
          id: 'redis-eviction',
          name: 'Redis eviction policy',
          required: true,
          status: 'fail',
          detail: `maxmemory-policy is ${policy}: Redis may evict queue keys and lose jobs`,
          fix: `${redisCli(config.redis.url)} CONFIG SET maxmemory-policy noeviction, and set it in redis.conf so it survives a restart`,
        };
  return [{ ...base, status: 'ok', detail: `reachable at ${where}` }, eviction];
}

/** A redis-cli invocation for the configured server (host, port, TLS; the password asked for, never printed). */
export function redisCli(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return 'redis-cli';
  const parts = ['redis-cli', '-h', parsed.hostname, '-p', parsed.port || '6379'];
  if (parsed.protocol === 'rediss:') parts.push('--tls');
  if (parsed.password) parts.push('--askpass');
  const db = parsed.pathname.replace('/', '');
  if (db && db !== '0') parts.push('-n', db);
  return parts.join(' ');
}

export interface PostgresLike {
  query(sql: string): Promise<unknown>;
}

export async function checkPostgres(
  config: AppConfig,
  pool: PostgresLike,
  pendingMigrations: () => Promise<string[]>,
  timeoutMs: number,
): Promise<Finding[]> {
  const parsed = URL.parse(config.database.url);
  const where = `${hostOf(config.database.url, 5432)}/${parsed?.pathname.replace('/', '') ?? ''}`;
  try {
    await withTimeout(pool.query('SELECT 1'), timeoutMs);
  } catch (error) {
    const { code, text } = describeError(error);
    const fix =
      code === '3D000'
        ? '`npm run migrate` creates the database and its tables'
        : code === '28P01' || code === '28000'
          ? 'fix the user or password in DATABASE_URL'
          : `start Postgres at ${hostOf(config.database.url, 5432)}, or point DATABASE_URL at a running one`;
    return [
      {
        id: 'postgres',
        name: 'Postgres',
        required: true,
        status: 'fail',
        detail: `Postgres at ${where} ${text}`,
        fix,
      },
    ];
  }
  const pending = await withTimeout(pendingMigrations(), timeoutMs).catch((error: unknown) => error);
  const migrations: Finding = Array.isArray(pending)
    ? pending.length === 0
      ? { id: 'migrations', name: 'Migrations', required: true, status: 'ok', detail: 'all applied' }
      : {
          id: 'migrations',
          name: 'Migrations',
          required: true,
          status: 'fail',
          detail: `${pending.length} not applied yet (${pending.slice(0, 3).join(', ')}${pending.length > 3 ? ', ...' : ''})`,
          fix: '`npm run migrate` (safe to run while the system runs)',
        }
    : {
        id: 'migrations',
        name: 'Migrations',
        required: true,
        status: 'fail',
        detail: `cannot read the applied migrations: ${describeError(pending).text}`,
      };
  return [
    { id: 'postgres', name: 'Postgres', required: true, status: 'ok', detail: `reachable at ${where}` },
    migrations,
  ];
}

export async function checkBlobDir(config: AppConfig): Promise<Finding> {
  const dir = config.pipeline.blobDir;
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return { id: 'blobs', name: 'Blob folder', required: true, status: 'ok', detail: `${dir} is writable` };
  } catch (error) {
    return {
      id: 'blobs',
      name: 'Blob folder',
      required: true,
      status: 'fail',
      detail: `${dir} is not writable (${describeError(error).text})`,
      fix: `create ${dir} writable by this user, or set BLOB_DIR to a folder shared by the API and every worker`,
    };
  }
}

export async function checkStores(
  config: AppConfig,
  stores: { vectors: VectorStore; graph: GraphStore },
  timeoutMs: number,
): Promise<Finding[]> {
  const { vectors, graph } = stores;
  const vectorFinding = await withTimeout(
    Promise.all([vectors.collections(), vectors.engine()]),
    timeoutMs,
  ).then(
    ([collections, engine]): Finding => ({
      id: 'vectors',
      name: `Vector store (${vectors.kind})`,
      required: true,
      status: 'ok',
      detail: `${
        collections.length > 0
          ? collections
              .map((entry) => `${entry.name}: ${entry.points} points of ${entry.dimensions} dimensions`)
              .join('; ')
          : 'reachable; a collection per embedding model is created on first embed'
      }. Search engine: ${engine.name} (${engine.detail})`,
    }),
    (error: unknown): Finding => ({
      id: 'vectors',
      name: `Vector store (${vectors.kind})`,
      required: true,
      status: 'fail',
      detail: describeError(error).text,
      fix:
        vectors.kind === 'qdrant'
          ? `start Qdrant at ${config.vectorStore.qdrant.url ?? 'QDRANT_URL'}, or fix QDRANT_URL / QDRANT_API_KEY`
          : '`npm run migrate`',
    }),
  );
  const graphFinding = await withTimeout(graph.counts(), timeoutMs).then(
    (counts): Finding => ({
      id: 'graph',
      name: `Graph store (${graph.kind})`,
      required: true,
      status: 'ok',
      detail: `${counts.entities} entities, ${counts.relations} relations`,
    }),
    (error: unknown): Finding => ({
      id: 'graph',
      name: `Graph store (${graph.kind})`,
      required: true,
      status: 'fail',
      detail: describeError(error).text,
      fix:
        graph.kind === 'neo4j'
          ? 'start Neo4j, or fix NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD'
          : '`npm run migrate`',
    }),
  );
  return [vectorFinding, graphFinding];
}

export async function checkWorkers(countWorkers: () => Promise<number>, timeoutMs: number): Promise<Finding> {
  return withTimeout(countWorkers(), timeoutMs).then(
    (workers): Finding =>
      workers > 0
        ? { id: 'workers', name: 'Workers', required: false, status: 'ok', detail: `${workers} reporting` }
        : {
            id: 'workers',
            name: 'Workers',
            required: false,
            status: 'warn',
            detail: 'none running: documents wait in the queue until one starts',
            fix: '`npm run worker` (or `docker compose up -d worker`)',
          },
    (error: unknown): Finding => ({
      id: 'workers',
      name: 'Workers',
      required: false,
      status: 'warn',
      detail: `cannot count them (${describeError(error).text})`,
    }),
  );
}
