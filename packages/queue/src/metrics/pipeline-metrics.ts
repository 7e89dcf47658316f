import { type GraphStore, STAGES, type Stage, VERSION_STATUSES, type VectorStore } from '@aegis/core';
import { type Gauge, gauge, histogram, type Registry } from '@aegis/observability';
import { collectDefaultMetrics } from 'prom-client';
import type { StageProcessorDeps } from '../stage-processor.ts';
import type { StageQueues } from '../stage-queues.ts';
import { boundedReader, type ReadResult } from './bounded-reader.ts';

/** Outcomes the stage processor reports through `onStageFinished`. */
export const STAGE_OUTCOMES = ['completed', 'failed', 'cancelled', 'delayed'] as const;
export type StageFinishOutcome = (typeof STAGE_OUTCOMES)[number];

/** The `onStageFinished` hook of `StageProcessorDeps`. */
export type OnStageFinished = NonNullable<StageProcessorDeps['onStageFinished']>;

/** The part of a pg pool the document gauge uses. */
export interface MetricsSqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Options for `registerPipelineMetrics`: where the collect-on-scrape gauges read from. */
export interface PipelineMetricsDeps {
  /** The stage queues; job counts and the oldest waiting job are read from each. */
  queues: Pick<StageQueues, 'queue'>;
  /** Postgres: document status counts come from `documents` / `document_versions`. */
  pool: MetricsSqlClient;
  vectors: Pick<VectorStore, 'count'>;
  graph: Pick<GraphStore, 'counts'>;
  /** `collection` label of `aegis_vector_points`. Default `aegis_documents` (QDRANT_COLLECTION's default). */
  collection?: string | undefined;
  /** Longest a scrape waits for one source (Postgres, Redis, vector store, graph store), in ms. Default 2000. */
  timeoutMs?: number | undefined;
  /** How long a source's result is reused across scrapes, in ms. Default 5000. */
  cacheMs?: number | undefined;
  /** Also register prom-client's process metrics on the registry (once per registry). Default true. */
  processMetrics?: boolean | undefined;
  /** Clock in ms (queue ages, cache). Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** What `registerPipelineMetrics` gives back. */
export interface PipelineMetrics {
  /** Pass as `onStageFinished` in the stage processor deps: observes `aegis_stage_duration_seconds`. */
  onStageFinished: OnStageFinished;
}

/** Seconds: stages range from a few milliseconds (memory check) to many minutes (big PDFs, graph extraction). */
export const STAGE_DURATION_BUCKETS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

/** Every document version status (migration 20260105), so a status with no documents shows 0, not nothing. */
export const DOCUMENT_STATUSES = VERSION_STATUSES;

/**
 * BullMQ job states counted per queue (`Queue.getJobCounts`); `waiting-children` included. BullMQ 6 has no
 * separate `paused` list any more (a paused queue keeps its jobs in `waiting`): `aegis_queue_paused` says
 * whether a queue is paused.
 */
export const QUEUE_JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'completed',
  'prioritized',
  'waiting-children',
] as const;

const DEFAULT_COLLECTION = 'aegis_documents';
const SAMPLE_METRIC = 'process_cpu_user_seconds_total';

interface QueueSnapshot {
  counts: Record<string, number>;
  /** Seconds the oldest waiting job has waited; 0 when none waits. */
  oldestWaitingSeconds: number;
  paused: boolean;
}

/**
 * Gauges whose values are read when Prometheus scrapes (`collect`). `gauge()` is idempotent per name, so the
 * collect hook is (re)attached here: the latest registration's sources win on a shared registry.
 */
function collectedGauge<L extends string>(
  registry: Registry,
  definition: { name: string; help: string; labelNames?: readonly L[] },
  collect: (metric: Gauge<L>) => Promise<void>,
): Gauge<L> {
  const metric = gauge(registry, definition);
  (metric as unknown as { collect: () => Promise<void> }).collect = () => collect(metric);
  return metric;
}

/**
 * The pipeline's Prometheus metrics on `registry` (idempotent per registry):
 *
 * - `aegis_stage_duration_seconds{stage,outcome}` histogram, fed by the returned `onStageFinished`;
 * - `aegis_documents{status}`: documents by the status of their latest version (Postgres);
 * - `aegis_queue_jobs{queue,state}`, `aegis_queue_oldest_waiting_seconds{queue}`, `aegis_queue_paused{queue}` (BullMQ);
 * - `aegis_vector_points{collection}` (the vector store's point count, whichever adapter: Qdrant or Postgres);
 * - `aegis_graph_entities`, `aegis_graph_relations` (the graph store's counts, whichever adapter: Neo4j or
 *   Postgres). The seed names `qdrant_points_count`, `neo4j_entities_count` and `neo4j_relations_count` are
 *   recording rules (deploy/prometheus/recording-rules.yml);
 * - `aegis_metrics_source_up{source}`: 1 when the source's last read succeeded, 0 when it failed or timed out;
 * - prom-client's process metrics (once per registry).
 *
 * Collect-on-scrape gauges never hang a scrape: each source is read at most once per `cacheMs`, given up after
 * `timeoutMs`, and a failing source keeps its last values while `aegis_metrics_source_up` says it failed.
 * Queue and document gauges describe shared state, so every process reports the same numbers: aggregate them
 * with `max`, not `sum`, across instances.
 */
export function registerPipelineMetrics(registry: Registry, deps: PipelineMetricsDeps): PipelineMetrics {
  const now = deps.now ?? Date.now;
  const reader = { timeoutMs: deps.timeoutMs ?? 2_000, cacheMs: deps.cacheMs ?? 5_000, now };
  const collection = deps.collection ?? DEFAULT_COLLECTION;

  if ((deps.processMetrics ?? true) && registry.getSingleMetric(SAMPLE_METRIC) === undefined)
    collectDefaultMetrics({ register: registry });

  const stageDuration = histogram(registry, {
    name: 'aegis_stage_duration_seconds',
    help: 'Duration of finished stage runs in seconds, by stage and outcome (completed, failed, cancelled, delayed).',
    labelNames: ['stage', 'outcome'],
    buckets: STAGE_DURATION_BUCKETS,
  });
  // Pre-create every series so throughput and failure-rate queries see 0 before the first document.
  for (const stage of STAGES) for (const outcome of STAGE_OUTCOMES) stageDuration.zero({ stage, outcome });

  const ifRead = <T>(result: ReadResult<T>): T | undefined => (result.ok ? result.value : undefined);

  const readDocuments = boundedReader(async () => {
    const { rows } = await deps.pool.query(
      `SELECT v.status, count(*)::int AS count
         FROM documents d
         JOIN document_versions v ON v.document_id = d.id AND v.version = d.latest_version
        GROUP BY v.status`,
    );
    return rows as { status: string; count: number }[];
  }, reader);

  const readQueues = boundedReader(async () => {
    const at = now();
    const entries = await Promise.all(
      STAGES.map(async (stage): Promise<[Stage, QueueSnapshot]> => {
        const queue = deps.queues.queue(stage);
        const [counts, oldest, paused] = await Promise.all([
          queue.getJobCounts(...QUEUE_JOB_STATES),
          queue.getJobs(['waiting'], 0, 0, true),
          queue.isPaused(),
        ]);
        const job = oldest[0];
        // A job that was delayed or retried has been waiting since it last became ready, not since it was added:
        // the later of its due time and its last start bounds that from below.
        const since =
          job === undefined ? at : Math.max(job.timestamp + (job.opts.delay ?? 0), job.processedOn ?? 0);
        return [stage, { counts, oldestWaitingSeconds: Math.max(0, (at - since) / 1000), paused }];
      }),
    );
    return entries;
  }, reader);

  const readPoints = boundedReader(() => deps.vectors.count(), reader);
  const readGraph = boundedReader(() => deps.graph.counts(), reader);
  const sources: [string, () => Promise<ReadResult<unknown>>][] = [
    ['postgres', readDocuments],
    ['redis', readQueues],
    ['vectors', readPoints],
    ['graph', readGraph],
  ];

  // prom-client collects every metric of a scrape at once; each gauge awaits the (shared, cached) reads it needs.
  collectedGauge(
    registry,
    {
      name: 'aegis_metrics_source_up',
      help: "1 when the metric source's last read succeeded, 0 when it failed or timed out (its gauges keep their last values).",
      labelNames: ['source'],
    },
    async (metric) => {
      const results = await Promise.all(sources.map(([, read]) => read()));
      sources.forEach(([source], index) => {
        metric.set({ source }, results[index]?.ok === true ? 1 : 0);
      });
    },
  );

  collectedGauge(
    registry,
    {
      name: 'aegis_documents',
      help: 'Documents by the status of their latest version (queued, processing, completed, failed, cancelling, cancelled).',
      labelNames: ['status'],
    },
    async (metric) => {
      const rows = ifRead(await readDocuments());
      if (rows === undefined) return;
      const byStatus = new Map<string, number>(DOCUMENT_STATUSES.map((status) => [status, 0]));
      for (const row of rows) byStatus.set(row.status, Number(row.count));
      for (const [status, count] of byStatus) metric.set({ status }, count);
    },
  );

  // Both queue gauges come from one read; each applies its part.
  const queueJobs = gauge(registry, {
    name: 'aegis_queue_jobs',
    help: 'BullMQ jobs per stage queue and state (waiting, active, delayed, failed, completed, prioritized, waiting-children, paused).',
    labelNames: ['queue', 'state'],
  });
  (queueJobs as unknown as { collect: () => Promise<void> }).collect = async () => {
    const entries = ifRead(await readQueues());
    if (entries === undefined) return;
    for (const [queue, snapshot] of entries)
      for (const state of QUEUE_JOB_STATES) queueJobs.set({ queue, state }, snapshot.counts[state] ?? 0);
  };
  collectedGauge(
    registry,
    {
      name: 'aegis_queue_oldest_waiting_seconds',
      help: 'Seconds the oldest waiting job of each stage queue has been ready to run; 0 when none waits.',
      labelNames: ['queue'],
    },
    async (metric) => {
      const result = await readQueues();
      if (!result.ok) return;
      for (const [queue, snapshot] of result.value) metric.set({ queue }, snapshot.oldestWaitingSeconds);
    },
  );

  collectedGauge(
    registry,
    {
      name: 'aegis_queue_paused',
      help: 'Whether each stage queue is paused (1) or not (0).',
      labelNames: ['queue'],
    },
    async (metric) => {
      const result = await readQueues();
      if (!result.ok) return;
      for (const [queue, snapshot] of result.value) metric.set({ queue }, snapshot.paused ? 1 : 0);
    },
  );

  collectedGauge(
    registry,
    {
      name: 'aegis_vector_points',
      help: 'Points in the vector collection (Qdrant, or the Postgres lite store).',
      labelNames: ['collection'],
    },
    async (metric) => {
      const count = ifRead(await readPoints());
      if (count !== undefined) metric.set({ collection }, count);
    },
  );
  collectedGauge(
    registry,
    {
      name: 'aegis_graph_entities',
      help: 'Entities in the knowledge graph (Neo4j, or the Postgres lite store).',
    },
    async (metric) => {
      const counts = ifRead(await readGraph());
      if (counts !== undefined) metric.set(counts.entities);
    },
  );
  collectedGauge(
    registry,
    {
      name: 'aegis_graph_relations',
      help: 'Relations in the knowledge graph (Neo4j, or the Postgres lite store).',
    },
    async (metric) => {
      const result = await readGraph();
      if (result.ok) metric.set(result.value.relations);
    },
  );

  return {
    onStageFinished(stage, outcome, seconds) {
      stageDuration.observe({ stage, outcome }, seconds);
    },
  };
}
