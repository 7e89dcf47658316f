import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningApi, listenApi, runAegis } from '../support/cli.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

// A fresh pepper per run: no secret-looking literal in the repository.
const PEPPER = randomBytes(24).toString('hex');

describe('ingest --wait with no worker running', { timeout: 120_000 }, () => {
  let harness: PipelineHarness;
  let api: ListeningApi;
  let dir: string;
  beforeAll(async () => {
    harness = await createPipelineHarness({ startWorkers: false, env: { API_KEY_PEPPER: PEPPER } });
    api = await listenApi(harness, PEPPER);
    dir = await mkdtemp(path.join(tmpdir(), 'aegis-wait-'));
  });
  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('warns that no worker has taken the document and none runs, then stops at --timeout with exit 7', async () => {
    const file = path.join(dir, 'lonely.txt');
    await writeFile(file, 'Nobody will process this text while no worker runs.');
    const key = await api.key('waiter', ['ingest', 'read']);
    const remote = ['--url', api.url, '--api-key', key];
    const result = await runAegis(
      ['ingest', file, '--wait', '--warn-after', '1', '--timeout', '5', '--json', ...remote],
      {},
      60_000,
    );
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/no worker has taken lonely\.txt after 1 s, and no worker is running/);
    expect(result.stderr).toMatch(/stopped waiting after 5 s/);
    expect(JSON.parse(result.stdout)).toMatchObject({ unfinished: [file] });

    // Following progress needs the read role: said at once, before anything is uploaded.
    const ingestOnly = await api.key('uploader', ['ingest']);
    const refused = await runAegis(
      ['ingest', file, '--wait', '--url', api.url, '--api-key', ingestOnly],
      {},
      60_000,
    );
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^FORBIDDEN: --wait follows live progress/);
  });
});
