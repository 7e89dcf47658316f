import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { getDocumentStatus } from '@aegis/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_AVAILABLE, CORPUS_DIR, corpusFile } from '../support/corpus.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe.skipIf(!CORPUS_AVAILABLE)(
  'real documents through all six stages (cloud models, simulated)',
  { timeout: 180_000 },
  () => {
    let harness: PipelineHarness;
    beforeAll(async () => {
      // cloud-only: every call is priced, so costs are real numbers to check against the ledger.
      harness = await createPipelineHarness({ env: { LLM_ROUTING_MODE: 'cloud-only' } });
    });
    afterAll(async () => harness.close());

    it.each(['tracemonkey.pdf', 'TAMReview.pdf', 'two_pages.pdf'])(
      '%s completes with pages, figures, entities and exact cost',
      async (name) => {
        const { repository } = harness.runtime.pipeline;
        const registration = await harness.runtime.producer.ingest({
          data: await corpusFile(`real/${name}`),
          displayName: name,
        });
        expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('completed');
        const { documentId, version } = registration;

        const record = await repository.getVersion(documentId, version);
        const chunks = await repository.loadChunks(documentId, version);
        expect(chunks.length).toBeGreaterThan(0);
        for (const chunk of chunks) {
          expect(chunk.pageStart).toBeGreaterThanOrEqual(1);
          expect(chunk.pageEnd).toBeGreaterThanOrEqual(chunk.pageStart);
          expect(chunk.pageEnd).toBeLessThanOrEqual(record?.pageCount ?? 0);
        }

        const images = await repository.loadImages(documentId, version);
        const described = images.filter((image) => image.status === 'described');
        expect(described.length).toBeGreaterThan(0);
        const withFigures = chunks.filter((chunk) => chunk.imageIds.length > 0);
        expect(withFigures.length).toBeGreaterThan(0);
        const describedIds = new Set(described.map((image) => image.id));
        for (const chunk of withFigures)
          for (const id of chunk.imageIds) expect(describedIds.has(id)).toBe(true);

        expect(await harness.runtime.pipeline.vectors.count({ documentId, version })).toBe(chunks.length);
        const entities = await harness.runtime.pipeline.graph.entitiesOfChunks(
          chunks.map((chunk) => chunk.pointId),
        );
        const linked = [...entities.values()].filter((list) => list.length > 0);
        expect(linked.length).toBeGreaterThan(0);
        expect(
          (await harness.runtime.pipeline.graph.counts({ documentId, version })).entities,
        ).toBeGreaterThan(0);

        const { rows } = await harness.db.pool.query<{
          stage: string | null;
          document_id: string | null;
          cost_usd: string;
        }>('SELECT stage, document_id, cost_usd FROM llm_ledger WHERE document_id = $1', [documentId]);
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(['enrich-images', 'embed', 'graph']).toContain(row.stage);
        const orphans = await harness.db.pool.query(
          'SELECT 1 FROM llm_ledger WHERE document_id IS NULL OR stage IS NULL',
        );
        expect(orphans.rowCount).toBe(0);
        const ledgerSum = rows.reduce((total, row) => total + BigInt(row.cost_usd.replace('.', '')), 0n);
        const status = await getDocumentStatus(harness.db.pool, documentId);
        expect(BigInt(status?.costUsd.replace('.', '') ?? '-1')).toBe(ledgerSum);
        expect(ledgerSum).toBeGreaterThan(0n);
        expect(status?.versions[0]).toMatchObject({ status: 'completed', progress: 1 });
      },
    );

    it('every real document of the corpus completes (text, fonts, scripts, images)', async () => {
      const files = (await readdir(fileURLToPath(new URL('real/', CORPUS_DIR)))).filter((file) =>
        file.endsWith('.pdf'),
      );
      const registrations = await Promise.all(
        files.map(async (file) => ({
          file,
          registration: await harness.runtime.producer.ingest({
            data: await corpusFile(`real/${file}`),
            displayName: file,
          }),
        })),
      );
      const outcomes: Record<string, string> = {};
      for (const { file, registration } of registrations) {
        const status = await harness.waitForVersion(registration.documentId, registration.version);
        const record = await harness.runtime.pipeline.repository.getVersion(
          registration.documentId,
          registration.version,
        );
        outcomes[file] =
          status === 'completed' ? status : `${status} ${record?.errorCode}: ${record?.errorMessage}`;
      }
      expect(
        Object.values(outcomes).every((outcome) => outcome === 'completed'),
        JSON.stringify(outcomes, null, 2),
      ).toBe(true);
    });
  },
);
