import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createTestRedis,
  type ProviderSimulator,
  startProviderSimulator,
  type TestRedis,
} from '@aegis/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));
const BASE_URL = process.env.AEGIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The scenario with real processes: the operator sets $1.60; shells with other variables come and go. */
describe('aegis budgets and aegis migrate on a fresh database', { timeout: 240_000 }, () => {
  let sim: ProviderSimulator;
  let redis: TestRedis;
  let databaseUrl: string;
  let admin: pg.Client;
  const name = `aegis_caps_${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    sim = await startProviderSimulator();
    redis = createTestRedis();
    const url = new URL(BASE_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
    await redis.cleanup();
    await sim.close();
  });

  /** A shell with only connection settings, plus whatever `env` adds: no inherited BUDGET_* variables. */
  const aegis = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: databaseUrl,
        REDIS_URL: process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        QUEUE_PREFIX: `{${redis.prefix.slice(0, -1)}}`,
        OLLAMA_URL: sim.ollamaUrl,
        LOG_LEVEL: 'warn',
        ...env,
      },
      timeout: 120_000,
    }).then(
      (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  async function dashscopeCap(): Promise<{ cap: string | null; changes: number }> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const cap = await client.query<{ limit_usd: string | null }>(
        "SELECT limit_usd FROM llm_budget_limits WHERE provider = 'dashscope'",
      );
      const audit = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_log WHERE action = 'budget.set' AND target = 'dashscope'",
      );
      return { cap: cap.rows[0]?.limit_usd ?? null, changes: audit.rows[0]?.n ?? 0 };
    } finally {
      await client.end();
    }
  }

  it('only `budgets set` and `migrate` with an explicit variable change a cap; search and migrate without it do not', async () => {
    const created = await aegis(['migrate']);
    expect(created.code, created.stderr).toBe(0);
    expect(await dashscopeCap()).toEqual({ cap: '10.000000000000', changes: 0 });

    const set = await aegis(['budgets', 'set', 'dashscope', '1.60', '--reason', 'pilot month']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/dashscope: cap changed from \$10 to \$1\.6/);
    expect(await dashscopeCap()).toEqual({ cap: '1.600000000000', changes: 1 });

    // The shell, with a stale value (and, as before the fix, defaults for the unset ones), running a read
    // command that starts the whole runtime and its router.
    const search = await aegis(['search', 'anything', '--json'], {
      BUDGET_DASHSCOPE_MONTHLY_USD: '10',
      DASHSCOPE_API_KEY: 'sk-sim',
    });
    expect(search.code, search.stderr).toBe(0);
    expect(await dashscopeCap()).toEqual({ cap: '1.600000000000', changes: 1 });
    const unset = await aegis(['migrate'], { BUDGET_DASHSCOPE_MONTHLY_USD: '' });
    expect(unset.code, unset.stderr).toBe(0);
    expect(await dashscopeCap()).toEqual({ cap: '1.600000000000', changes: 1 });

    const configured = await aegis(['migrate'], { BUDGET_DASHSCOPE_MONTHLY_USD: '2' });
    expect(configured.stdout).toMatch(/Budget cap of dashscope: \$1\.6 -> \$2/);
    expect(await dashscopeCap()).toEqual({ cap: '2.000000000000', changes: 2 });

    const listed = await aegis(['budgets', 'list', '--json']);
    const caps = JSON.parse(listed.stdout) as Array<{
      provider: string;
      limitUsd: string;
      updatedBy: string;
    }>;
    expect(caps.find((cap) => cap.provider === 'dashscope')).toMatchObject({
      limitUsd: '2.000000000000',
      updatedBy: expect.stringMatching(/^migrate:/),
    });

    const bad = await aegis(['budgets', 'set', 'dashscope', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/VALIDATION_FAILED/);
    expect(await dashscopeCap()).toEqual({ cap: '2.000000000000', changes: 2 });
  });
});
