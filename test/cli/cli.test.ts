import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAegis } from '../support/cli.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('the aegis command', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  let dir: string;
  beforeAll(async () => {
    harness = await createPipelineHarness({ env: { MIGRATE_ON_START: 'false' } });
    dir = await mkdtemp(path.join(tmpdir(), 'aegis-cli-'));
  });
  afterAll(async () => {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  const aegis = (args: string[], env: Record<string, string> = {}) =>
    runAegis(args, { ...harness.env, ...env }, 120_000);

  it('ingests a folder with --wait, then shows status, searches, retries and refuses bad input', async () => {
    await writeFile(
      path.join(dir, 'turing.md'),
      '# Turing\n\nAlan Turing proposed the Turing machine in 1936 at Cambridge.',
    );
    await writeFile(
      path.join(dir, 'hopper.txt'),
      'Grace Hopper wrote the first compiler, A-0, for the UNIVAC I.',
    );
    await writeFile(path.join(dir, '.hidden.md'), '# skipped');
    const ingest = await aegis(['ingest', dir, '--wait']);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/turing\.md: completed/);
    expect(ingest.stdout).toMatch(/hopper\.txt: completed/);
    expect(ingest.stdout).not.toMatch(/hidden/);
    const documentId = /turing\.md: (\S+) queued/.exec(ingest.stdout)?.[1] ?? '';

    const again = await aegis(['ingest', path.join(dir, 'turing.md')]);
    expect(again.stdout).toMatch(/already ingested/);

    const status = await aegis(['status', documentId, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      documentId,
      activeVersion: 1,
      versions: [{ status: 'completed', progress: 1 }],
    });

    const search = await aegis(['search', 'Turing machine', '--json']);
    expect(JSON.parse(search.stdout).hits[0]).toMatchObject({ documentId, source: 'turing.md' });

    const retry = await aegis(['retry', documentId, '--stage', 'graph']);
    expect(retry.stdout).toMatch(/retrying graph/);
    expect(await harness.waitForVersion(documentId, 1, ['completed'])).toBe('completed');

    const bad = await aegis(['retry', documentId, '--stage', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--stage/);
    const unknown = await aegis(['frobnicate']);
    expect(unknown.code).toBe(2);

    // Named by a unique id prefix or by file name; a final version refuses cancel with a code (exit 6).
    const byPrefix = await aegis(['status', documentId.slice(0, 8), '--json']);
    expect(JSON.parse(byPrefix.stdout)).toMatchObject({ documentId });
    const byName = await aegis(['status', 'turing.md', '--json']);
    expect(JSON.parse(byName.stdout)).toMatchObject({ documentId });
    const missing = await aegis(['status', 'no-such-file.pdf']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^DOCUMENT_NOT_FOUND/);
    const cancel = await aegis(['cancel', 'turing.md', '--json']);
    expect(cancel.code).toBe(6);
    expect(JSON.parse(cancel.stderr)).toMatchObject({ error: { code: 'DOCUMENT_FINAL' } });
  });

  it('npm run demo ingests a corpus through the watcher and says plainly that the models are simulated', async () => {
    const corpus = path.join(dir, 'demo-corpus');
    await mkdir(corpus, { recursive: true });
    await writeFile(
      path.join(corpus, 'babbage.md'),
      '# Engines\n\nCharles Babbage designed the Analytical Engine; Ada Lovelace wrote its first program.',
    );
    await writeFile(path.join(corpus, 'noise.bin'), Buffer.from([0, 1, 2, 3, 250, 251, 252]));
    const demo = await aegis(['demo', '--exit', '--port', '0', '--corpus', corpus], {
      QUEUE_PREFIX: `{${harness.redis.prefix}demo}`,
      LOG_LEVEL: 'error',
    });
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/models are SIMULATED/);
    expect(demo.stdout).toMatch(/babbage\.md -> processed/);
    expect(demo.stdout).toMatch(/noise\.bin -> failed \(UNSUPPORTED_TYPE\)/);
    expect(demo.stdout).toMatch(/Bull Board\s+http:\/\/127\.0\.0\.1:\d+\/admin\/queues/);
  });
});
