import { createHash, randomUUID } from 'node:crypto';
import type { GraphCounts } from '@aegis/core';
import { createMetricsRegistry, type Registry } from '@aegis/observability';
import { createPostgresGraphStore, createPostgresVectorStore } from '@aegis/stores';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@aegis/testkit';
import { FlowProducer } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStageQueues, type StageQueues } from '../stage-queues.ts';
import { registerPipelineMetrics } from './pipeline-metrics.ts';

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metrics = await registry.getMetricsAsJSON();
  const metric = metrics.find((candidate) => candidate.name === name);
  if (metric === undefined) throw new Error(`metric ${name} is not registered`);
  return metric.values as Sample[];
}

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await samples(registry, name)).find((sample) =>
    Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted),
  );
  if (found === undefined) throw new Error(`no sample of ${name} with ${JSON.stringify(labels)}`);
  return found.value;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

let db: TestDatabase;
let redis: TestRedis;
let queues: StageQueues;
let prefix: string;

async function addVersion(documentId: string, version: number, status: string): Promise<void> {
  await db.pool.query(
    `INSERT INTO documents (id, source_key, display_name, latest_version) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET latest_version = EXCLUDED.latest_version`,
    [documentId, `upload:${documentId}`, `${documentId}.txt`, version],
  );
  await db.pool.query(
    `INSERT INTO document_versions (document_id, version, sha256, byte_size, kind, mime_type, blob_path, status)
     VALUES ($1, $2, $3, 10, 'text', 'text/plain', 'x', $4)`,
    [documentId, version, sha(`${documentId}-${version}`), status],
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  redis = createTestRedis();
  prefix = redis.prefix.slice(0, -1);
  queues = createStageQueues({ connection: redis.redis, prefix });

  // Documents by the status of their latest version: d1's first version was superseded by a completed one.
  await addVersion('d1', 1, 'superseded');
  await addVersion('d1', 2, 'completed');
  await addVersion('d2', 1, 'failed');
  await addVersion('d3', 1, 'processing');
  await addVersion('d4', 1, 'processing');

  // Two waiting extract jobs, one delayed; a flow whose graph parent waits for its embed child.
  const extract = queues.queue('extract');
  await extract.add('extract', { documentId: 'd3', version: 1, run: 1 }, { jobId: 'd3-1-extract-1' });
  await extract.add('extract', { documentId: 'd4', version: 1, run: 1 }, { jobId: 'd4-1-extract-1' });
  await extract.add('extract', { documentId: 'd5', version: 1, run: 1 }, { delay: 600_000 });
  const flows = new FlowProducer({ connection: redis.redis, prefix });
  await flows.add({
    name: 'graph',
    queueName: 'graph',
    data: { documentId: 'd1', version: 2, run: 1 },
    children: [{ name: 'embed', queueName: 'embed', data: { documentId: 'd1', version: 2, run: 1 } }],
  });
  await flows.close();

  const vectors = createPostgresVectorStore({ pool: db.pool, collection: 'metrics_test' });
  const space = { provider: 'ollama', model: 'bge-m3', dimensions: 3, normalisation: 'l2' } as const;
  await vectors.ensureSpace(space);
  const payload = {
    documentId: 'd1',
    version: 2,
    pageStart: 1,
    pageEnd: 1,
    source: 'd1.txt',
    text: 'hello',
    headingPath: [],
    embeddingModel: 'ollama:bge-m3',
    knowledgeBase: 'default',
    kind: 'text',
    createdAt: '2026-01-01T00:00:00.000Z',
    metadata: {},
  };
  await vectors.upsert(space, [
    { id: randomUUID(), vector: [1, 0, 0], payload: { ...payload, chunkIndex: 0 } },
    { id: randomUUID(), vector: [0, 1, 0], payload: { ...payload, chunkIndex: 1 } },
  ]);
  const graph = createPostgresGraphStore({ pool: db.pool });
  await graph.ensureSchema();
  const chunkId = randomUUID();
  await graph.upsertChunks({ documentId: 'd1', version: 2, source: 'd1.txt' }, [
    { id: chunkId, chunkIndex: 0, pageStart: 1, pageEnd: 1, preview: 'hello' },
  ]);
  await graph.upsertEntities(
    { documentId: 'd1', version: 2 },
    [
      { key: 'mozilla|ORGANIZATION', name: 'Mozilla', type: 'ORGANIZATION', description: 'a foundation' },
      { key: 'firefox|PRODUCT', name: 'Firefox', type: 'PRODUCT', description: 'a browser' },
      { key: 'js|TECHNOLOGY', name: 'JS', type: 'TECHNOLOGY', description: 'a language' },
    ],
    [
      { chunkId, entityKey: 'mozilla|ORGANIZATION' },
      { chunkId, entityKey: 'firefox|PRODUCT' },
      { chunkId, entityKey: 'js|TECHNOLOGY' },
    ],
    [
      {
        sourceKey: 'mozilla|ORGANIZATION',
        targetKey: 'firefox|PRODUCT',
        type: 'DEVELOPS',
        description: 'makes',
        chunkId,
      },
    ],
  );
});

afterAll(async () => {
  await queues?.close();
  await redis?.cleanup();
  await db?.drop();
});

function stores() {
  return {
    vectors: createPostgresVectorStore({ pool: db.pool, collection: 'metrics_test' }),
    graph: createPostgresGraphStore({ pool: db.pool }),
  };
}

describe('registerPipelineMetrics', () => {
  it('reads documents, queues, vector points and graph counts when scraped', async () => {
    const registry = createMetricsRegistry();
    const clock = Date.now() + 120_000;
    registerPipelineMetrics(registry, {
      queues,
      pool: db.pool,
      ...stores(),
      collection: 'metrics_test',
      now: () => clock,
    });

    expect(await value(registry, 'aegis_documents', { status: 'completed' })).toBe(1);
    expect(await value(registry, 'aegis_documents', { status: 'processing' })).toBe(2);
    expect(await value(registry, 'aegis_documents', { status: 'failed' })).toBe(1);
    // Only the latest version counts: d1's superseded first version is not a document of its own.
    expect(await value(registry, 'aegis_documents', { status: 'superseded' })).toBe(0);
    expect(await value(registry, 'aegis_documents', { status: 'queued' })).toBe(0);

    expect(await value(registry, 'aegis_queue_jobs', { queue: 'extract', state: 'waiting' })).toBe(2);
    expect(await value(registry, 'aegis_queue_jobs', { queue: 'extract', state: 'delayed' })).toBe(1);
    expect(await value(registry, 'aegis_queue_jobs', { queue: 'graph', state: 'waiting-children' })).toBe(1);
    expect(await value(registry, 'aegis_queue_jobs', { queue: 'embed', state: 'waiting' })).toBe(1);
    expect(await value(registry, 'aegis_queue_jobs', { queue: 'chunk', state: 'active' })).toBe(0);
    const states = new Set((await samples(registry, 'aegis_queue_jobs')).map((s) => s.labels.state));
    expect([...states].sort()).toEqual(
      ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children'].sort(),
    );
    // The clock runs two minutes ahead of the jobs' timestamps.
    const oldest = await value(registry, 'aegis_queue_oldest_waiting_seconds', { queue: 'extract' });
    expect(oldest).toBeGreaterThanOrEqual(119);
    expect(oldest).toBeLessThan(200);
    expect(await value(registry, 'aegis_queue_oldest_waiting_seconds', { queue: 'chunk' })).toBe(0);
    expect(await value(registry, 'aegis_queue_paused', { queue: 'extract' })).toBe(0);

    expect(await value(registry, 'aegis_vector_points', { collection: 'metrics_test' })).toBe(2);
    expect(await value(registry, 'aegis_graph_entities')).toBe(3);
    expect(await value(registry, 'aegis_graph_relations')).toBe(1);
    for (const source of ['postgres', 'redis', 'vectors', 'graph'])
      expect(await value(registry, 'aegis_metrics_source_up', { source })).toBe(1);
    expect(await value(registry, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('observes stage durations through the returned onStageFinished hook', async () => {
    const registry = createMetricsRegistry();
    const { onStageFinished } = registerPipelineMetrics(registry, { queues, pool: db.pool, ...stores() });
    onStageFinished('graph', 'completed', 1.5);
    onStageFinished('graph', 'completed', 0.2);
    onStageFinished('extract', 'failed', 3);
    const count = (await samples(registry, 'aegis_stage_duration_seconds')).filter(
      (s) => s.metricName === 'aegis_stage_duration_seconds_count',
    );
    const of = (stage: string, outcome: string) =>
      count.find((s) => s.labels.stage === stage && s.labels.outcome === outcome)?.value;
    expect(of('graph', 'completed')).toBe(2);
    expect(of('extract', 'failed')).toBe(1);
    // Completed series exist from the start, so throughput is 0 rather than absent before the first document.
    expect(of('chunk', 'completed')).toBe(0);
  });

  it('is idempotent per registry and registers process metrics once', async () => {
    const registry = createMetricsRegistry({ collectProcessMetrics: true });
    registerPipelineMetrics(registry, { queues, pool: db.pool, ...stores() });
    registerPipelineMetrics(registry, { queues, pool: db.pool, ...stores() });
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.filter((name) => name === 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(names.filter((name) => name === 'aegis_documents')).toHaveLength(1);
  });

  it('bounds a scrape when a source hangs, and marks that source down', async () => {
    const registry = createMetricsRegistry();
    let graphCalls = 0;
    const hanging = {
      counts: () => {
        graphCalls += 1;
        return new Promise<GraphCounts>(() => {});
      },
    };
    registerPipelineMetrics(registry, {
      queues,
      pool: db.pool,
      vectors: stores().vectors,
      graph: hanging,
      collection: 'metrics_test',
      timeoutMs: 200,
      cacheMs: 0,
    });
    const started = performance.now();
    const text = await registry.metrics();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(text).toContain('aegis_metrics_source_up{source="graph"} 0');
    expect(text).toContain('aegis_metrics_source_up{source="postgres"} 1');
    expect(text).toContain('aegis_vector_points{collection="metrics_test"} 2');
    // The stuck read is not repeated while it is still running: one call, however many scrapes.
    await registry.metrics();
    await registry.metrics();
    expect(graphCalls).toBe(1);
  });

  it('reads each source once per cache period, however many gauges and scrapes use it', async () => {
    const registry = createMetricsRegistry();
    let queries = 0;
    const pool = {
      query: (text: string, values?: unknown[]) => {
        queries += 1;
        return db.pool.query(text, values);
      },
    };
    let clock = Date.now();
    registerPipelineMetrics(registry, { queues, pool, ...stores(), cacheMs: 5_000, now: () => clock });
    await Promise.all([registry.metrics(), registry.metrics()]);
    await registry.metrics();
    expect(queries).toBe(1);
    clock += 5_001;
    await registry.metrics();
    expect(queries).toBe(2);
  });

  it('keeps the last values of a failing source and reports it down', async () => {
    const registry = createMetricsRegistry();
    let fail = false;
    const pool = {
      query: (text: string, values?: unknown[]) =>
        fail ? Promise.reject(new Error('connection refused')) : db.pool.query(text, values),
    };
    registerPipelineMetrics(registry, { queues, pool, ...stores(), cacheMs: 0 });
    expect(await value(registry, 'aegis_documents', { status: 'completed' })).toBe(1);
    fail = true;
    expect(await value(registry, 'aegis_metrics_source_up', { source: 'postgres' })).toBe(0);
    expect(await value(registry, 'aegis_documents', { status: 'completed' })).toBe(1);
  });
});
