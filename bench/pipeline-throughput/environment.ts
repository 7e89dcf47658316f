/**
 * What the pipeline benchmarks share: the provider simulator in its own process (latency 0), a fresh migrated
 * Postgres schema + Redis queue prefix + blob directory per measured round (so the same corpus bytes are new
 * documents every round and nothing is deduplicated), worker processes started the way a user starts them
 * (`node apps/worker/src/main.ts` with env), completion via the progress events, and cleanup that also runs on
 * failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AppConfig, loadConfig } from '@aegis/config';
import type { VersionStatus } from '@aegis/core';
import { createLogger } from '@aegis/observability';
import { progressChannel, readCapacity } from '@aegis/queue';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { startWorkerRuntime, type WorkerRuntime } from '@aegis/worker';
import { Redis } from 'ioredis';
import { type ChildServer, startChildServer } from '../router-overhead/child-server.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS_DIR = join(REPO_ROOT, '..', 'shared', 'corpus', 'real');
export const WORKER_MAIN = join(REPO_ROOT, 'apps', 'worker', 'src', 'main.ts');
const SIM_SCRIPT = join(REPO_ROOT, 'packages', 'testkit', 'src', 'bin', 'sim.ts');
const REDIS_URL = process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What the numbers were measured on. */
export interface MachineInfo {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  postgres: string;
  redis: string;
  /** 1-minute load average when the run started (the machine is shared with other sessions). */
  loadAverageAtStart: number;
}

export async function loadAverage(): Promise<number> {
  try {
    return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

export async function machineInfo(db: TestDatabase, redis: Redis): Promise<MachineInfo> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const [load, pgVersion, redisInfo] = await Promise.all([
    loadAverage(),
    db.pool.query<{ server_version: string }>('show server_version'),
    redis.info('server'),
  ]);
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    postgres: pgVersion.rows[0]?.server_version ?? 'unknown',
    redis: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? 'unknown',
    loadAverageAtStart: load,
  };
}

/** The simulator child, shared by every round: latency 0, deterministic answers. */
export async function startSimulator(): Promise<ChildServer> {
  return startChildServer({
    name: 'provider simulator',
    args: [SIM_SCRIPT, '--port', '0'],
    readyPattern: /listening on (http:\/\/\S+)/,
  });
}

/** Drops the simulator's request log (one record per request), which otherwise grows for the whole run. */
export async function resetSimulator(sim: ChildServer): Promise<void> {
  const response = await fetch(`${sim.ready}/__sim/reset`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`simulator reset answered ${response.status}`);
}

/** One isolated installation: its own schema, queue prefix and blob directory. */
export interface Round {
  db: TestDatabase;
  /** `{bench-<hex>}`: hash-tagged like the production `{aegis}`. */
  prefix: string;
  blobDir: string;
  /** Everything a worker process (or an in-process runtime) needs to land in this round's installation. */
  env: Record<string, string>;
  config: AppConfig;
  redis: Redis;
  children: ChildProcess[];
  close(): Promise<void>;
}

const openRounds = new Set<Round>();

/**
 * On SIGINT/SIGTERM: closes every open round (workers, Redis keys, schema, blobs) and `also` (e.g. the simulator),
 * then exits 130. Without it an interrupted run would leave schemas and queue keys behind.
 */
export function cleanupOnSignal(also: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: cleaning up`);
    void Promise.allSettled([...openRounds].map((round) => round.close()))
      .then(() => also())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

export async function createRound(sim: ChildServer, extraEnv: Record<string, string> = {}): Promise<Round> {
  const db = await createTestDatabase({ max: 4 });
  const prefix = `{bench-${db.schema.slice(2)}}`;
  const blobDir = await mkdtemp(join(tmpdir(), 'aegis-bench-blobs-'));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const env: Record<string, string> = {
    DATABASE_URL: db.connectionString,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    BLOB_DIR: blobDir,
    OLLAMA_URL: sim.ready,
    DASHSCOPE_API_KEY: 'sk-sim-dashscope',
    DASHSCOPE_BASE_URL: `${sim.ready}/dashscope/v1`,
    OPENAI_API_KEY: 'sk-sim-openai',
    OPENAI_BASE_URL: `${sim.ready}/openai/v1`,
    LOG_LEVEL: 'warn',
    MIGRATE_ON_START: 'false',
    // Several workers on one host: the default fixed metrics port (9464) would collide.
    METRICS_PORT: '0',
    // OCR on by default since 2026-11-30; OCR_ENGINE=off compares with the earlier, OCR-less runs.
    ...(process.env.OCR_ENGINE ? { OCR_ENGINE: process.env.OCR_ENGINE } : {}),
    ...extraEnv,
  };
  const children: ChildProcess[] = [];
  let closed = false;
  const round: Round = {
    db,
    prefix,
    blobDir,
    env,
    config: loadConfig(env),
    redis,
    children,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled(children.map((child) => stopProcess(child)));
      await deleteKeys(redis, prefix).catch((error: unknown) => console.error('redis cleanup failed', error));
      redis.disconnect();
      await db.drop().catch((error: unknown) => console.error('schema drop failed', error));
      await rm(blobDir, { recursive: true, force: true });
      openRounds.delete(round);
    },
  };
  openRounds.add(round);
  return round;
}

/** Deletes every key of the queue prefix (SCAN, not KEYS: the Redis server is shared). */
async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  // `{` and `}` are not glob metacharacters; the hex part cannot contain any.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** A runtime in this process that starts no stage workers: the producer (and, for the in-process variant, the deps). */
export function startProducerRuntime(round: Round): Promise<WorkerRuntime> {
  return startWorkerRuntime({
    config: round.config,
    logger: createLogger({ level: 'warn', name: 'bench-producer' }),
    stages: [],
    migrate: false,
  });
}

/**
 * `node apps/worker/src/main.ts` with the round's env and the memory settings `npm run worker` and the image use
 * (MALLOC_ARENA_MAX=2, 16 MiB semi-spaces), as a user starts a worker. Its stderr is kept for errors.
 */
export function spawnWorker(round: Round, extraEnv: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--max-semi-space-size=16', WORKER_MAIN], {
    env: { MALLOC_ARENA_MAX: '2', ...process.env, ...round.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  round.children.push(child);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL')
      console.error(`worker ${child.pid} exited (code ${code}, signal ${signal}):\n${tail}`);
  });
  return child;
}

/** Resolves once `count` workers of the round have published a capacity report (they are consuming). */
export async function waitForWorkers(round: Round, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await readCapacity(round.redis, round.prefix)).workers < count) {
    for (const child of round.children)
      if (child.exitCode !== null) throw new Error(`worker ${child.pid} exited during startup`);
    if (Date.now() > deadline) throw new Error(`${count} worker(s) not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM (graceful), SIGKILL after 10 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited.catch(() => {});
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return ticks / 100; // USER_HZ is 100 on Linux
}

const FINAL: readonly VersionStatus[] = ['completed', 'failed', 'cancelled'];

export interface Completion {
  status: VersionStatus;
  /** performance.now() when this process learnt of it. */
  at: number;
  errorCode?: string | undefined;
}

/**
 * Listens to the round's progress events; `waitFor` resolves when each key (`documentId/version`) reached a
 * final state. Postgres is polled every second as well, in case an event was missed (it is the truth).
 */
export async function listenForCompletions(round: Round): Promise<{
  waitFor(keys: readonly string[], timeoutMs: number): Promise<Map<string, Completion>>;
  close(): void;
}> {
  const listener = new Redis(round.env.REDIS_URL as string);
  const seen = new Map<string, Completion>();
  let wake: (() => void) | undefined;
  listener.on('message', (_channel: string, message: string) => {
    const event = JSON.parse(message) as {
      type: string;
      documentId: string;
      version: number;
      status: VersionStatus;
      errorCode?: string;
    };
    if (event.type !== 'version' || !FINAL.includes(event.status)) return;
    const key = `${event.documentId}/${event.version}`;
    if (!seen.has(key))
      seen.set(key, { status: event.status, at: performance.now(), errorCode: event.errorCode });
    wake?.();
  });
  await listener.subscribe(progressChannel(round.prefix));
  return {
    async waitFor(keys, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      let lastPoll = performance.now();
      while (!keys.every((key) => seen.has(key))) {
        // A worker that died (crash, OOM kill, someone else's kill) would otherwise leave us waiting for the timeout.
        const dead = round.children.find((child) => child.exitCode !== null || child.signalCode !== null);
        if (dead)
          throw new Error(`worker ${dead.pid} exited (code ${dead.exitCode}, signal ${dead.signalCode})`);
        if (performance.now() > deadline)
          throw new Error(
            `not finished within ${timeoutMs} ms: ${keys.filter((key) => !seen.has(key)).join(', ')}`,
          );
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1_000);
        });
        if (performance.now() - lastPoll >= 1_000) {
          lastPoll = performance.now();
          const { rows } = await round.db.pool.query<{
            document_id: string;
            version: number;
            status: VersionStatus;
            error_code: string | null;
          }>(
            "SELECT document_id, version, status, error_code FROM document_versions WHERE status IN ('completed', 'failed', 'cancelled')",
          );
          for (const row of rows) {
            const key = `${row.document_id}/${row.version}`;
            if (!seen.has(key))
              seen.set(key, {
                status: row.status,
                at: performance.now(),
                errorCode: row.error_code ?? undefined,
              });
          }
        }
      }
      return new Map(keys.map((key) => [key, seen.get(key) as Completion]));
    },
    close() {
      listener.disconnect();
    },
  };
}

/** Median, min, max and relative spread ((max - min) / median) of a list of numbers. */
export function summarise(values: readonly number[]): {
  median: number;
  min: number;
  max: number;
  spread: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  const min = sorted[0] ?? 0;
  const max = sorted[sorted.length - 1] ?? 0;
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / median };
}

export function isoDay(): string {
  return new Date().toISOString().slice(0, 10);
}
