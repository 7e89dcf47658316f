import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '@aegis/api';
import { configuredSecretValues } from '@aegis/config';
import { createApiKeyStore } from '@aegis/stores';
import { arbitrarySecret, SECRET_CONTEXTS } from '@aegis/testkit';
import { startWatcher } from '@aegis/watcher';
import { createAppLogger } from '@aegis/worker';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** Every row of every table of the test schema, as text. */
async function postgresDump(harness: PipelineHarness): Promise<string> {
  const { rows: tables } = await harness.db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { table_name: table } of tables) {
    const { rows } = await harness.db.pool.query<{ row: string }>(`SELECT t::text AS row FROM "${table}" t`);
    parts.push(...rows.map((row) => row.row));
  }
  return parts.join('\n');
}

/** Every job hash under the queue prefix (failedReason, stacktrace, data), as text. */
async function redisDump(harness: PipelineHarness): Promise<string> {
  const redis = harness.runtime.redis;
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${harness.config.redis.queuePrefix}*`,
      'COUNT',
      500,
    );
    cursor = next;
    for (const key of keys)
      if ((await redis.type(key)) === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
  } while (cursor !== '0');
  return parts.join('\n');
}

/** Every file under `dir`, as text. */
async function filesDump(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, entry);
    if ((await stat(file)).isFile()) parts.push(entry, await readFile(file, 'utf8'));
  }
  return parts.join('\n');
}

/**
 * Secrets of random shapes, configured as the process's own credentials, come back inside provider error
 * bodies in the ways real providers, SDKs and proxies echo them. Wherever the failure goes (Postgres rows,
 * API responses, logs, the watcher's error report), no secret may appear.
 */
describe('no configured secret leaves through errors', { timeout: 300_000 }, () => {
  let harness: PipelineHarness;
  let inbox: string;
  const log: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      log.push(String(chunk));
      done();
    },
  });
  const secrets = {
    OPENAI_API_KEY: `zq${randomBytes(30).toString('base64url')}`,
    DASHSCOPE_API_KEY: randomBytes(20).toString('hex'),
    API_KEY_PEPPER: randomBytes(36).toString('base64'),
    SESSION_SECRET: randomBytes(36).toString('base64'),
    METRICS_TOKEN: randomBytes(24).toString('hex'),
    NEO4J_PASSWORD: `p@ss/${randomBytes(9).toString('base64url')}:%`,
  };
  const databasePassword = `db-${randomBytes(12).toString('base64url')}`;

  beforeAll(async () => {
    inbox = await mkdtemp(path.join(tmpdir(), 'aegis-leak-inbox-'));
    harness = await createPipelineHarness({
      env: { ...secrets, INBOX_DIR: inbox },
      logDestination: capture,
      databasePassword,
    });
  });
  afterAll(async () => {
    await harness?.close();
    await rm(inbox, { recursive: true, force: true });
  });

  it('keeps random secrets echoed by providers out of Postgres, API responses, logs and files (property)', async () => {
    const { runtime, sim, config } = harness;
    // A password inside DATABASE_URL counts as configured (trust auth ignores it, the masker must not).
    expect(configuredSecretValues(config)).toEqual(
      expect.arrayContaining([...Object.values(secrets), databasePassword]),
    );
    // The API and the watcher log through the production logger too, into the same capture, at info.
    const logger = createAppLogger(config, { name: 'test-surfaces', level: 'info', destination: capture });
    const app = await buildApp({ config, runtime, logger });
    const admin = (
      await createApiKeyStore({ pool: harness.db.pool, pepper: secrets.API_KEY_PEPPER }).create('leak-test', [
        'admin',
      ])
    ).key;
    const watcher = startWatcher({
      runtime,
      inboxDir: inbox,
      stableMs: 100,
      logger,
      checkIntervalMs: 500,
    });
    await watcher.ready;
    const every = [...Object.values(secrets), databasePassword];
    try {
      await fc.assert(
        fc.asyncProperty(
          arbitrarySecret,
          fc.integer({ min: 0, max: SECRET_CONTEXTS.length - 1 }),
          async (extra, context) => {
            // The providers echo every configured secret, in one of the ways real bodies carry them, next to
            // random text of a secret's shape.
            const wrap = SECRET_CONTEXTS[context] ?? String;
            const echoed = [...every].map((secret) => wrap(secret)).join(' ; ');
            sim.faults.clear();
            sim.faults.add({ provider: 'ollama', route: 'embed', status: 503, body: { error: echoed } });
            sim.faults.add({
              provider: 'openai',
              route: 'embed',
              status: 400,
              body: { error: { message: `${echoed} ${wrap(extra)}`, type: 'invalid_request_error' } },
            });
            const name = `leak-${randomUUID()}.md`;
            await writeFile(
              path.join(inbox, name),
              `# Leak test ${randomUUID()}\n\nSome text that will be chunked and embedded.\n`,
            );
            // The watcher registers it, the pipeline fails it at embed, the file moves to failed/.
            const report = await waitForFile(path.join(inbox, 'failed', `${name}.error.json`));
            expect(JSON.parse(report).code).toBe('PROVIDER_REJECTED');

            const documents = await app.inject({ url: '/v1/documents', headers: { 'x-api-key': admin } });
            const ids = (documents.json().documents as Array<{ documentId: string }>).map(
              (d) => d.documentId,
            );
            const responses = [documents.body];
            for (const id of ids)
              responses.push(
                (await app.inject({ url: `/v1/documents/${id}`, headers: { 'x-api-key': admin } })).body,
              );
            const places = {
              postgres: await postgresDump(harness),
              redis: await redisDump(harness),
              api: responses.join('\n'),
              logs: log.join(''),
              files: await filesDump(inbox),
            };
            expect(places.api).toContain('PROVIDER_REJECTED');
            expect(places.redis).toContain('PROVIDER_REJECTED');
            for (const [where, text] of Object.entries(places))
              for (const secret of every)
                expect(text.includes(secret), `${where} holds a secret`).toBe(false);
          },
        ),
        { numRuns: 4 },
      );
    } finally {
      await watcher.close();
      await app.close();
    }
  });
});

async function waitForFile(file: string, timeoutMs = 60_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return text;
    if (Date.now() - started > timeoutMs) throw new Error(`${file} did not appear in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
