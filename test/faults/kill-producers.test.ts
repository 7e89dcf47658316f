import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiKeyStore } from '@aegis/stores';
import { freePort } from '@aegis/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../deploy/promql.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

// Made at run time: a literal here would be a published secret (test/deploy/published-secrets.test.ts).
const PEPPER = randomBytes(24).toString('hex');
const FINAL = new Set(['completed', 'completed_with_warnings', 'failed', 'cancelled']);

// Distinct bytes per surface and run: equal bytes would be one document (content identity), whatever the name.
const note = (label: string, n: number) =>
  `# Note ${label}.${n}\n\n${Array.from({ length: 4 + (n % 3) }, (_, p) => `Paragraph ${p} of note ${label}.${n}: Grace Hopper and the Harvard Mark I.`).join('\n\n')}\n`;

/** Kill schedules: how long each producer process lives before its SIGKILL (the last one is left running). */
const killSchedules = fc.array(fc.integer({ min: 0, max: 2_500 }), { minLength: 1, maxLength: 3 });

/**
 * Producers (the watcher and the API) killed with SIGKILL at any moment of their work: mid-read, between
 * registering and enqueuing, between a document's final state and filing the file. After a restart every file
 * ends as exactly one document in a final state, and the watcher files every file it was given.
 */
describe('kill -9 of the watcher or the API at any moment', { timeout: 600_000 }, () => {
  let harness: PipelineHarness;
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    // The stage workers run in this process; the producers are the processes killed.
    harness = await createPipelineHarness({
      env: { API_KEY_PEPPER: PEPPER, WORKER_LOCK_DURATION_MS: '3000', MIGRATE_ON_START: 'false' },
    });
  });
  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await harness?.close();
  });

  function spawnApp(
    app: 'watcher' | 'api',
    env: Record<string, string>,
    readyLine: string,
  ): Promise<ChildProcess> {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'apps', app, 'src', 'main.ts')], {
      env: { ...process.env, ...harness.env, METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.stderr?.resume();
    return new Promise((resolve, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`${app} exited (${code ?? signal}) before it was ready`)),
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes(readyLine)) resolve(child);
      });
    });
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Every version of the documents named `names` final, one document per name; returns their statuses. */
  async function settled(names: string[], timeoutMs: number): Promise<Map<string, string[]>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await harness.db.pool.query<{ display_name: string; status: string }>(
        `SELECT d.display_name, v.status FROM documents d JOIN document_versions v ON v.document_id = d.id
          WHERE d.display_name = ANY($1)`,
        [names],
      );
      const byName = new Map<string, string[]>();
      for (const row of rows)
        byName.set(row.display_name, [...(byName.get(row.display_name) ?? []), row.status]);
      const done = names.every((name) => byName.get(name)?.every((status) => FINAL.has(status)));
      if (done || Date.now() > deadline) return byName;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('watcher: every file ends filed under processed/ as one completed document', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(killSchedules, async (lifetimes) => {
        run += 1;
        const inbox = await realpath(await mkdtemp(path.join(tmpdir(), 'aegis-kill-watcher-')));
        const names = Array.from({ length: 5 }, (_, n) => `watch-${run}-${n}.md`);
        try {
          for (const [n, name] of names.entries())
            await writeFile(path.join(inbox, name), note(`watcher-${run}`, n));
          const env = { INBOX_DIR: inbox, WATCH_STABLE_MS: '100' };
          for (const lifetime of lifetimes) {
            const watcher = await spawnApp('watcher', env, 'watching the inbox');
            await new Promise((resolve) => setTimeout(resolve, lifetime));
            await kill(watcher);
          }
          const last = await spawnApp('watcher', env, 'watching the inbox');
          const statuses = await settled(names, 120_000);
          // Filing follows the final state: wait until the inbox holds nothing but its two folders.
          const deadline = Date.now() + 60_000;
          let left = await readdir(inbox);
          while (left.some((entry) => entry !== 'processed' && entry !== 'failed') && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            left = await readdir(inbox);
          }
          await kill(last);
          for (const name of names) {
            expect(statuses.get(name), name).toBeDefined();
            expect(
              statuses.get(name)?.every((status) => status === 'completed'),
              `${name}: ${statuses.get(name)}`,
            ).toBe(true);
          }
          expect(left.filter((entry) => entry !== 'processed' && entry !== 'failed')).toEqual([]);
          expect((await readdir(path.join(inbox, 'processed'))).sort()).toEqual([...names].sort());
          const { rows } = await harness.db.pool.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM documents WHERE display_name = ANY($1)',
            [names],
          );
          expect(rows[0]?.n).toBe(names.length);
        } finally {
          await rm(inbox, { recursive: true, force: true });
        }
      }),
      { numRuns: 2, seed: 20261130, endOnFailure: true },
    );
  });

  it('API: uploads a client repeats after the kill end as one completed document each', async () => {
    const key = (
      await createApiKeyStore({ pool: harness.db.pool, pepper: PEPPER }).create('kill-api', ['ingest'])
    ).key;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(killSchedules, async (lifetimes) => {
        run += 1;
        const names = Array.from({ length: 5 }, (_, n) => `upload-${run}-${n}.md`);
        const answered = new Set<string>();
        const port = await freePort();
        const env = { API_HOST: '127.0.0.1', API_PORT: String(port) };
        // A client that sends every file not yet answered with a registration, as a retrying client would.
        const sendAll = () =>
          Promise.all(
            names
              .filter((name) => !answered.has(name))
              .map(async (name) => {
                const form = new FormData();
                form.append(
                  'file',
                  new Blob([note(`api-${run}`, names.indexOf(name))], { type: 'text/markdown' }),
                  name,
                );
                const response = await fetch(`http://127.0.0.1:${port}/v1/documents`, {
                  method: 'POST',
                  headers: { 'x-api-key': key },
                  body: form,
                }).catch(() => undefined);
                if (response && response.status < 300) answered.add(name);
                else await response?.body?.cancel();
              }),
          );
        for (const lifetime of lifetimes) {
          const api = await spawnApp('api', env, 'Server listening');
          const sending = sendAll();
          await new Promise((resolve) => setTimeout(resolve, lifetime));
          await kill(api);
          await sending;
        }
        const last = await spawnApp('api', env, 'Server listening');
        await sendAll();
        expect([...answered].sort()).toEqual([...names].sort());
        const statuses = await settled(names, 120_000);
        await kill(last);
        for (const name of names)
          expect(
            statuses.get(name)?.every((status) => status === 'completed'),
            `${name}: ${statuses.get(name)}`,
          ).toBe(true);
        const { rows } = await harness.db.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM documents WHERE display_name = ANY($1)',
          [names],
        );
        expect(rows[0]?.n).toBe(names.length);
      }),
      { numRuns: 2, seed: 20261130, endOnFailure: true },
    );
  });
});
