import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../support/cli.ts';

const REDIS_URL = process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface DemoRun {
  child: ChildProcess;
  stdout: () => string;
  /** Resolves when stdout has printed a line matching `pattern`. */
  printed(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

describe('demos run in a sandbox that nothing outlives', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let corpus: string;
  const redis = new Redis(REDIS_URL);

  beforeAll(async () => {
    db = await createTestDatabase();
    corpus = await mkdtemp(path.join(tmpdir(), 'aegis-demo-corpus-'));
    await writeFile(
      path.join(corpus, 'lovelace.md'),
      '# Notes\n\nAda Lovelace wrote about the Analytical Engine.',
    );
  });
  afterAll(async () => {
    redis.disconnect();
    await db?.drop();
    await rm(corpus, { recursive: true, force: true });
  });

  function startDemo(args: string[]): DemoRun {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      env: {
        ...process.env,
        DATABASE_URL: db.connectionString,
        REDIS_URL,
        LOG_LEVEL: 'error',
        QUEUE_PREFIX: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      for (const waiter of [...waiters])
        if (waiter.pattern.test(out)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
    });
    child.stderr?.resume();
    return {
      child,
      stdout: () => out,
      printed: (pattern) =>
        pattern.test(out) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pattern, resolve })),
      exited: once(child, 'exit').then(([code]) => code as number | null),
    };
  }

  /** What a sandbox could leave: its schema, Redis keys, folder; and rows in the configured (default) schema. */
  async function leftovers(output: string): Promise<string[]> {
    const id = /Sandbox ([0-9a-f]{8})/.exec(output)?.[1];
    if (!id) return [`no sandbox line in: ${output.slice(0, 300)}`];
    const found: string[] = [];
    const schemas = await db.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      `aegis_demo_${id}`,
    ]);
    if (schemas.rowCount) found.push(`schema aegis_demo_${id}`);
    const keys = await redis.keys(`*aegis-demo-${id}*`);
    if (keys.length > 0) found.push(`${keys.length} Redis keys, e.g. ${keys[0]}`);
    const folder = /folder (\S+) \(all removed/.exec(output)?.[1];
    if (folder === undefined || existsSync(folder)) found.push(`folder ${folder}`);
    for (const table of ['api_keys', 'llm_ledger', 'llm_budget_reservations', 'documents', 'events']) {
      const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      if (Number(rows[0]?.n) > 0) found.push(`${rows[0]?.n} rows in the configured schema's ${table}`);
    }
    return found;
  }

  it('aegis demo --exit ingests in its own schema, prefix and folder, then removes them', async () => {
    const run = startDemo(['demo', '--exit', '--port', '0', '--corpus', corpus]);
    expect(await run.exited, run.stdout()).toBe(0);
    expect(run.stdout()).toMatch(/lovelace\.md -> processed/);
    expect(await leftovers(run.stdout())).toEqual([]);
  });

  it('Ctrl-C while the demo runs, or while it starts, removes the sandbox', async () => {
    const running = startDemo(['demo', '--port', '0', '--corpus', corpus]);
    await running.printed(/Running until Ctrl-C/);
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(130);
    expect(await leftovers(running.stdout())).toEqual([]);

    const starting = startDemo(['demo', '--port', '0', '--corpus', corpus]);
    await starting.printed(/Sandbox [0-9a-f]{8}.*\n/);
    starting.child.kill('SIGINT');
    expect(await starting.exited).toBe(130);
    expect(await leftovers(starting.stdout())).toEqual([]);
  });

  it('a closed output pipe removes the sandbox', async () => {
    const run = startDemo(['demo', '--port', '0', '--corpus', corpus]);
    await run.printed(/Sandbox [0-9a-f]{8}.*\n/);
    const output = run.stdout();
    run.child.stdout?.destroy();
    expect(await run.exited).toBe(141);
    expect(await leftovers(output)).toEqual([]);
  });

  it('aegis llm-demo keeps its ledger rows in its own schema and removes it', async () => {
    const run = startDemo(['llm-demo']);
    expect(await run.exited, run.stdout()).toBe(0);
    expect(run.stdout()).toMatch(/from the ledger in Postgres/);
    const id = /Sandbox ([0-9a-f]{8})/.exec(run.stdout())?.[1];
    expect(id).toBeDefined();
    expect(await redis.keys(`*aegis-demo-${id}*`)).toEqual([]);
    const { rowCount } = await db.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      `aegis_demo_${id}`,
    ]);
    expect(rowCount).toBe(0);
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM llm_ledger');
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
