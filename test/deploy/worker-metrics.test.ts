import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const document = new TextEncoder().encode(
  `# Metrics\n\nAndreas Gal wrote about TraceMonkey at Mozilla.\n\n${'Hot loops are recorded and compiled. '.repeat(30)}\n`,
);

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The worker runtime wires the pipeline metrics: one document through the pipeline shows up in a scrape. */
describe('worker runtime metrics', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness();
  });
  afterAll(async () => harness.close());

  it('observes stage durations and reads documents, queues and stores on scrape', async () => {
    const { producer, registry } = harness.runtime;
    const ingested = await producer.ingest({ data: document, displayName: 'metrics.md' });
    expect(await harness.waitForVersion(ingested.documentId, ingested.version)).toBe('completed');

    const text = await registry.metrics();
    for (const stage of ['memory-check', 'extract', 'chunk', 'embed', 'graph'])
      expect(
        sample(text, `aegis_stage_duration_seconds_count{stage="${stage}",outcome="completed"}`),
        stage,
      ).toBe(1);
    expect(sample(text, 'aegis_documents{status="completed"}')).toBe(1);
    expect(sample(text, 'aegis_queue_jobs{queue="graph",state="completed"}')).toBe(1);
    expect(sample(text, 'aegis_queue_jobs{queue="extract",state="waiting"}')).toBe(0);
    expect(sample(text, 'aegis_vector_points{collection="aegis_documents"}')).toBeGreaterThan(0);
    expect(sample(text, 'aegis_graph_entities')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('llm_requests_total{');
    // The test runtime serves no HTTP endpoint: only the worker app turns the metrics server on.
    expect(harness.runtime.metricsPort).toBeUndefined();
  });
});
