import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { VERSION as OPENAI_VERSION } from 'openai/version';
import type pg from 'pg';

/** What the numbers were measured on; benchmark figures mean nothing without it. */
export interface MachineInfo {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  postgres: string;
  redis: string;
  openaiSdk: string;
  portkeyGateway: string;
  /** 1-minute load average when the run started: other work on the machine skews every mode. */
  loadAverageAtStart: number;
  /** Which router code was measured: the work tree changes between commits, so a commit id would not say. */
  routerSource: SourceFingerprint;
}

export interface SourceFingerprint {
  /** sha256 (first 16 hex) over the paths and contents of the non-test sources and the migrations. */
  sha256: string;
  files: number;
  /** Modification time of the newest of those files. */
  newestChange: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FINGERPRINTED = ['packages/llm-router/src', 'packages/stores/migrations'];

async function sourceFingerprint(): Promise<SourceFingerprint> {
  const hash = createHash('sha256');
  let files = 0;
  let newest = 0;
  for (const root of FINGERPRINTED) {
    const entries = (await readdir(join(repoRoot, root), { recursive: true })).sort();
    for (const entry of entries) {
      if (!/\.(ts|sql)$/.test(entry) || entry.endsWith('.test.ts')) continue;
      const path = join(repoRoot, root, entry);
      const [text, info] = await Promise.all([readFile(path), stat(path)]);
      hash.update(`${root}/${entry}\0`).update(text).update('\0');
      files += 1;
      newest = Math.max(newest, info.mtimeMs);
    }
  }
  return { sha256: hash.digest('hex').slice(0, 16), files, newestChange: new Date(newest).toISOString() };
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function cpuModel(): Promise<string> {
  try {
    const text = await readFile('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

async function loadAverage(): Promise<number> {
  try {
    return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

export async function machineInfo(pool: pg.Pool, redis: Redis): Promise<MachineInfo> {
  const [model, load, pgVersion, redisInfo, routerSource] = await Promise.all([
    cpuModel(),
    loadAverage(),
    pool.query<{ server_version: string }>('show server_version'),
    redis.info('server'),
    sourceFingerprint(),
  ]);
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: model,
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    postgres: pgVersion.rows[0]?.server_version ?? 'unknown',
    redis: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? 'unknown',
    openaiSdk: OPENAI_VERSION,
    portkeyGateway: packageVersion('@portkey-ai/gateway'),
    loadAverageAtStart: load,
    routerSource,
  };
}
