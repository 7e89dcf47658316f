import { isAegisError, STAGES, type Stage, type VersionStatus } from '@aegis/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfWithImages } from '../support/pdf-with-images.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';
import { type ProgressWatch, watchProgress } from '../support/progress-watch.ts';

/** The states a user can retry from; `failed` fails at `failAt`, `mid-run` retries while embed is running. */
type Reachable = 'completed' | 'failed' | 'completed_with_warnings' | 'mid-run';
const REACHABLE: Reachable[] = ['completed', 'failed', 'completed_with_warnings', 'mid-run'];
const VISION_MODELS = new Set([
  'qwen2.5vl:7b',
  'qwen3-vl-30b-a3b-instruct',
  'qwen3-vl-30b-a3b-thinking',
  'gpt-4o',
]);
const after = (stage: Stage, other: Stage): boolean => STAGES.indexOf(stage) > STAGES.indexOf(other);
const FINAL: VersionStatus[] = ['completed', 'completed_with_warnings', 'failed', 'cancelled'];

describe('retry of any stage from any reachable state', { timeout: 600_000 }, () => {
  let harness: PipelineHarness;
  let progress: ProgressWatch;
  let documents = 0;
  beforeAll(async () => {
    harness = await createPipelineHarness({
      env: {
        LLM_EMBED_BATCH_SIZE: '2',
        LLM_REQUEST_TIMEOUT_MS: '3000',
        CHUNK_TARGET_TOKENS: '64',
        CHUNK_MAX_TOKENS: '96',
        CHUNK_OVERLAP_TOKENS: '8',
      },
    });
    progress = await watchProgress(harness.env.REDIS_URL as string, harness.config.redis.queuePrefix);
  });
  afterAll(async () => {
    progress.close();
    await harness.close();
  });

  /** Brings a fresh document into `state`; returns its registration. */
  async function reach(state: Reachable, failAt: 'embed' | 'graph') {
    const { producer } = harness.runtime;
    const { sim } = harness;
    sim.faults.clear();
    documents += 1;
    const data = await pdfWithImages({ topic: `Retry case ${documents}` });
    if (state === 'completed_with_warnings')
      sim.faults.add({ provider: 'ollama', route: 'chat', status: 400 });
    if (state === 'failed' && failAt === 'embed')
      sim.faults.add({ provider: 'ollama', route: 'embed', status: 400 });
    if (state === 'mid-run') sim.faults.add({ provider: 'ollama', route: 'embed', hang: true });
    if (state === 'failed' && failAt === 'graph')
      sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 300 });
    const enriched = progress.next(
      (event) => event.stage === 'enrich-images' && event.status === 'completed',
    );
    const embedding = progress.next((event) => event.stage === 'embed' && event.status === 'running');
    const registration = await producer.ingest({ data, displayName: `retry-${documents}.pdf` });
    if (state === 'completed_with_warnings') {
      await enriched;
      sim.faults.clear();
    }
    if (state === 'failed' && failAt === 'graph') {
      await embedding;
      sim.faults.clear();
      sim.faults.add({ provider: 'ollama', route: 'chat', status: 400 });
    }
    if (state === 'mid-run') {
      await embedding;
      await sim.waitForRequest((request) => request.route === 'embed', 30_000);
      return registration;
    }
    const reached = await harness.waitForVersion(registration.documentId, registration.version, FINAL);
    expect(reached).toBe(state === 'failed' ? 'failed' : state);
    return registration;
  }

  it('re-runs the stage and every later one under new runs, earlier stages make no model calls, finished work is not billed again, and the version reaches a final state', async () => {
    const examples: Array<[Stage, Reachable, 'embed' | 'graph']> = STAGES.flatMap((stage) =>
      REACHABLE.map(
        (state) =>
          [stage, state, stage === 'graph' ? 'graph' : 'embed'] as [Stage, Reachable, 'embed' | 'graph'],
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...STAGES),
        fc.constantFrom(...REACHABLE),
        fc.constantFrom<'embed' | 'graph'>('embed', 'graph'),
        async (stage, state, failAt) => {
          const { producer, pipeline } = harness.runtime;
          const { documentId, version } = await reach(state, failAt);
          const before = await pipeline.repository.stageRuns(documentId, version);
          const requestsBefore = harness.sim.requests.length;
          const completedBefore = new Set(
            before.filter((run) => run.status === 'completed').map((run) => run.stage),
          );
          const accepted = STAGES.slice(0, STAGES.indexOf(stage)).every((earlier) =>
            completedBefore.has(earlier),
          );

          const outcome = await producer.retry(documentId, version, stage).catch((error: unknown) => error);
          harness.sim.faults.clear();
          if (!accepted) {
            expect(isAegisError(outcome, 'VALIDATION_FAILED')).toBe(true);
            // Refused: nothing changed, and the run in progress still finishes by itself.
            const runs = await pipeline.repository.stageRuns(documentId, version);
            expect(runs.map((run) => run.run)).toEqual(before.map((run) => run.run));
            expect(await harness.waitForVersion(documentId, version, FINAL)).toBe('completed');
            return;
          }
          expect(outcome).toMatchObject({ run: (before.find((run) => run.stage === stage)?.run ?? 0) + 1 });
          const final = await harness.waitForVersion(documentId, version, FINAL);
          const expected =
            state === 'completed_with_warnings' && after(stage, 'enrich-images')
              ? 'completed_with_warnings'
              : 'completed';
          expect(final).toBe(expected);

          const runs = await pipeline.repository.stageRuns(documentId, version);
          for (const [index, run] of runs.entries()) {
            const previous = before[index]?.run ?? 0;
            expect(run.status).toBe('completed');
            expect(run.run).toBe(
              STAGES.indexOf(run.stage) >= STAGES.indexOf(stage) ? previous + 1 : previous,
            );
          }

          // Model calls the retry caused: none by stages before the retried one, none for work already paid.
          const calls = harness.sim.requests
            .slice(requestsBefore)
            .filter((request) => request.route !== 'tags');
          const vision = calls.filter(
            (request) => request.route === 'chat' && VISION_MODELS.has(request.model ?? ''),
          );
          const embeds = calls.filter((request) => request.route === 'embed');
          const extractions = calls.filter(
            (request) => request.route === 'chat' && !VISION_MODELS.has(request.model ?? ''),
          );
          if (state === 'completed') expect(calls).toHaveLength(0);
          if (state !== 'completed_with_warnings' || after(stage, 'enrich-images'))
            expect(vision).toHaveLength(0);
          if (state === 'failed' && failAt === 'graph') expect(embeds).toHaveLength(0);
          if (after(stage, 'embed')) expect(embeds).toHaveLength(0);
          if (state !== 'completed_with_warnings')
            expect(extractions.length).toBeLessThanOrEqual(
              (await pipeline.repository.loadChunks(documentId, version)).length,
            );

          // The stores hold exactly the version's chunks; every batch and chunk is billed once (no kill here).
          const chunks = await pipeline.repository.loadChunks(documentId, version);
          expect(await pipeline.vectors.count({ documentId })).toBe(chunks.length);
          expect((await pipeline.graph.counts({ documentId })).chunks).toBe(chunks.length);
          if (state !== 'completed_with_warnings') {
            const { rows } = await harness.db.pool.query<{ task: string; n: number }>(
              `SELECT task, count(*)::int AS n FROM llm_ledger WHERE document_id = $1 AND status = 'ok' GROUP BY task`,
              [documentId],
            );
            const billed = new Map(rows.map((row) => [row.task, row.n]));
            const batches = Math.ceil(chunks.length / 2);
            // Mid-run, the batch in flight when the retry superseded its run may be paid once more.
            expect(billed.get('embedding')).toBeGreaterThanOrEqual(batches);
            expect(billed.get('embedding')).toBeLessThanOrEqual(state === 'mid-run' ? batches + 1 : batches);
            expect(billed.get('extraction')).toBe(chunks.length);
          }
        },
      ),
      { numRuns: 4, seed: 7, examples, endOnFailure: true },
    );
  });
});
