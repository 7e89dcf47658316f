import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningApi, listenApi, runAegis } from '../support/cli.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

// A fresh pepper per run: no secret-looking literal in the repository.
const PEPPER = randomBytes(24).toString('hex');

/**
 * The CLI on a machine that has nothing but the API's URL and a key: the environment holds no DATABASE_URL or
 * REDIS_URL that could work (both point at closed ports), so every answer must have come over HTTP.
 */
describe('aegis against a remote API (--url, --api-key)', { timeout: 300_000 }, () => {
  let harness: PipelineHarness;
  let api: ListeningApi;
  let url: string;
  let ingestKey: string;
  let readKey: string;
  let dir: string;

  beforeAll(async () => {
    harness = await createPipelineHarness({ env: { API_KEY_PEPPER: PEPPER } });
    api = await listenApi(harness, PEPPER);
    url = api.url;
    ingestKey = await api.key('remote-uploader', ['ingest', 'read']);
    readKey = await api.key('remote-reader', ['read']);
    dir = await mkdtemp(path.join(tmpdir(), 'aegis-remote-'));
  });
  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const aegis = (args: string[], env: Record<string, string> = {}) =>
    runAegis(args, {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      AEGIS_URL: url,
      AEGIS_API_KEY: ingestKey,
      ...env,
    });

  it('ingests with --wait over SSE, then status, search, costs per key and cancel answer over HTTP', async () => {
    const file = path.join(dir, 'lovelace.md');
    await writeFile(file, '# Lovelace\n\nAda Lovelace wrote the first program for the Analytical Engine.');
    const ingest = await aegis(['ingest', file, '--wait', '--json']);
    expect(ingest.code, ingest.stderr).toBe(0);
    const registered = JSON.parse(ingest.stdout) as {
      documents: Array<{ documentId: string; status: string }>;
    };
    expect(registered.documents[0]?.status).toBe('completed');
    const documentId = registered.documents[0]?.documentId ?? '';

    // The same file again is no work; a changed file at the same path is a new version of the same document.
    expect((await aegis(['ingest', file])).stdout).toMatch(/already ingested/);
    await writeFile(file, '# Lovelace\n\nAda Lovelace wrote notes on the Analytical Engine in 1843.');
    const second = JSON.parse((await aegis(['ingest', file, '--wait', '--json'])).stdout);
    expect(second.documents[0]).toMatchObject({ documentId, version: 2, status: 'completed' });

    const status = JSON.parse((await aegis(['status', documentId.slice(0, 6), '--json'])).stdout);
    expect(status).toMatchObject({ documentId, activeVersion: 2, latestVersion: 2 });
    const list = JSON.parse((await aegis(['status', '--json', '--url', url, '--api-key', readKey])).stdout);
    expect(list.documents.map((row: { documentId: string }) => row.documentId)).toContain(documentId);

    const search = JSON.parse((await aegis(['search', 'Analytical Engine', '--json'])).stdout);
    expect(search.hits[0]).toMatchObject({ documentId });

    // The key that ingested the document pays for its pipeline calls.
    const costs = JSON.parse((await aegis(['costs', '--by', 'key', '--json'])).stdout);
    const mine = costs.rows.find((row: { key: string }) => row.key === 'remote-uploader');
    expect(mine?.requests).toBeGreaterThan(0);
    expect(costs.total.requests).toBeGreaterThanOrEqual(mine.requests);

    const cancel = await aegis(['cancel', 'lovelace.md']);
    expect(cancel.code).toBe(6);
    expect(cancel.stderr).toMatch(/^DOCUMENT_FINAL/);
  });

  it('says which key or connection is wrong, with the documented exit codes', async () => {
    const forbidden = await aegis(['keys', 'list', '--json'], { AEGIS_API_KEY: readKey });
    expect(forbidden.code).toBe(4);
    expect(JSON.parse(forbidden.stderr)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const invalid = await aegis(['status'], { AEGIS_API_KEY: 'aegis_nope_nope' });
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toMatch(/^UNAUTHENTICATED/);
    const noKey = await aegis(['status'], { AEGIS_API_KEY: '' });
    expect(noKey.code).toBe(4);
    const down = await aegis(['status'], { AEGIS_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/^API_UNREACHABLE/);
    const missing = await aegis(['status', 'never-ingested.pdf']);
    expect(missing.code).toBe(3);
  });
});
