import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const markdown = (topic: string) =>
  new TextEncoder().encode(
    `# Notes on ${topic}\n\nAndreas Gal wrote about TraceMonkey at Mozilla. The tracing compiler records hot loops.\n\n` +
      `## Details\n\nBrendan Eich created JavaScript at Netscape. ${topic} is discussed with Graydon Hoare.\n\n` +
      `${'Type specialisation removes boxing overhead in hot paths. '.repeat(40)}\n`,
  );

async function counts(harness: PipelineHarness, documentId: string) {
  const { rows } = await harness.db.pool.query<{ version: number; pages: number; chunks: number }>(
    `SELECT v.version,
            (SELECT count(*)::int FROM document_pages p WHERE p.document_id = v.document_id AND p.version = v.version) AS pages,
            (SELECT count(*)::int FROM document_chunks c WHERE c.document_id = v.document_id AND c.version = v.version) AS chunks
       FROM document_versions v WHERE v.document_id = $1 ORDER BY v.version`,
    [documentId],
  );
  return rows;
}

describe('document life cycle', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness();
  });
  afterAll(async () => harness.close());

  it('does no work for the same bytes again: 0 model calls, 0 store writes', async () => {
    const { producer, pipeline } = harness.runtime;
    const first = await producer.ingest({ data: markdown('tracing'), displayName: 'same.md' });
    expect(first.created).toBe(true);
    expect(await harness.waitForVersion(first.documentId, first.version)).toBe('completed');
    const requests = harness.sim.stats().requests;
    const points = await pipeline.vectors.count({ documentId: first.documentId });
    const ledger = await harness.db.pool.query('SELECT 1 FROM llm_ledger');

    const again = await producer.ingest({ data: markdown('tracing'), displayName: 'copy-of-same.md' });
    expect(again).toMatchObject({
      documentId: first.documentId,
      version: first.version,
      created: false,
      status: 'completed',
    });
    expect(harness.sim.stats().requests).toBe(requests);
    expect(await pipeline.vectors.count({ documentId: first.documentId })).toBe(points);
    expect((await harness.db.pool.query('SELECT 1 FROM llm_ledger')).rowCount).toBe(ledger.rowCount);
    expect(await counts(harness, first.documentId)).toHaveLength(1);
  });

  it('replaces the old version when a changed file from the same source completes, leaving no orphans', async () => {
    const { producer, pipeline } = harness.runtime;
    const sourceKey = '/inbox/notes.md';
    const v1 = await producer.ingest({ data: markdown('trace trees'), displayName: 'notes.md', sourceKey });
    expect(await harness.waitForVersion(v1.documentId, v1.version)).toBe('completed');
    const v2 = await producer.ingest({ data: markdown('side exits'), displayName: 'notes.md', sourceKey });
    expect(v2).toMatchObject({ documentId: v1.documentId, version: 2, created: true });
    expect(await harness.waitForVersion(v2.documentId, v2.version)).toBe('completed');

    const chunks = await pipeline.repository.loadChunks(v2.documentId, 2);
    expect(await pipeline.vectors.count({ documentId: v1.documentId })).toBe(chunks.length);
    expect(await pipeline.vectors.count({ documentId: v1.documentId, version: 1 })).toBe(0);
    expect((await pipeline.graph.counts({ documentId: v1.documentId, version: 1 })).chunks).toBe(0);
    expect((await pipeline.graph.counts({ documentId: v1.documentId, version: 2 })).chunks).toBe(
      chunks.length,
    );
    expect(await counts(harness, v1.documentId)).toEqual([
      { version: 1, pages: 0, chunks: 0 },
      { version: 2, pages: 1, chunks: chunks.length },
    ]);
    expect((await pipeline.repository.getVersion(v1.documentId, 1))?.status).toBe('superseded');
  });

  it('retries the graph stage with no extraction, vision or embedding calls', async () => {
    const { producer } = harness.runtime;
    const image = await sharp({
      create: { width: 400, height: 300, channels: 3, background: { r: 10, g: 90, b: 200 } },
    })
      .composite([
        {
          input: Buffer.from(
            '<svg width="200" height="100"><rect x="10" y="10" width="180" height="80" fill="yellow"/></svg>',
          ),
          top: 50,
          left: 50,
        },
      ])
      .png()
      .toBuffer();
    const registration = await producer.ingest({ data: new Uint8Array(image), displayName: 'diagram.png' });
    expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('completed');
    const before = harness.sim.stats().byProvider;

    await producer.retry(registration.documentId, registration.version, 'graph');
    expect(
      await harness.waitForVersion(registration.documentId, registration.version, ['completed', 'failed']),
    ).toBe('completed');
    const after = harness.sim.stats().byProvider;
    expect(after).toEqual(before);
    const runs = await harness.runtime.pipeline.repository.stageRuns(
      registration.documentId,
      registration.version,
    );
    expect(runs.find((run) => run.stage === 'graph')).toMatchObject({ status: 'completed', run: 2 });
  });
});
