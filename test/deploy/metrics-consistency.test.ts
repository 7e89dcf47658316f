import path from 'node:path';
import type { GraphCounts } from '@aegis/core';
import { createRouterMetrics } from '@aegis/llm-router';
import { createMetricsRegistry, type Registry } from '@aegis/observability';
import { type PipelineMetricsDeps, registerPipelineMetrics } from '@aegis/queue';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertExpressions, dashboardExpressions, promqlSelectors } from './promql.ts';

const RECORDING_RULES = path.join(import.meta.dirname, '../../deploy/prometheus/recording-rules.yml');

/** Series Prometheus itself adds to every target; no process exports them. */
const PROMETHEUS_SERIES = new Map<string, string[]>([
  ['up', []],
  ['scrape_duration_seconds', []],
  ['scrape_samples_scraped', []],
]);
/** Labels Prometheus attaches to every scraped series (target labels). */
const TARGET_LABELS = ['job', 'instance'];

/** Stub sources: only the metric names and labels matter here, not the values. */
const stubDeps: PipelineMetricsDeps = {
  queues: {
    queue: () =>
      ({
        getJobCounts: async () => ({}),
        getJobs: async () => [],
        isPaused: async () => false,
      }) as unknown as ReturnType<PipelineMetricsDeps['queues']['queue']>,
  },
  pool: { query: async () => ({ rows: [] }) },
  vectors: { count: async () => 0 },
  graph: {
    counts: async (): Promise<GraphCounts> => ({ documents: 0, chunks: 0, entities: 0, relations: 0 }),
  },
};

/** Every series name the code exports, with its label names (histograms: _bucket/_sum/_count; le on buckets). */
async function exportedSeries(registry: Registry): Promise<Map<string, string[]>> {
  const series = new Map(PROMETHEUS_SERIES);
  for (const metric of await registry.getMetricsAsJSON()) {
    const single = registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] } | undefined;
    const labels = [...(single?.labelNames ?? [])];
    const type = String(metric.type);
    if (type === 'histogram') {
      series.set(`${metric.name}_bucket`, [...labels, 'le']);
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else if (type === 'summary') {
      series.set(metric.name, [...labels, 'quantile']);
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else {
      series.set(metric.name, labels);
    }
  }
  return series;
}

/** Problems of the expressions against what the code exports: unknown metrics, unknown matcher labels. */
function problems(exported: Map<string, string[]>, expressions: { where: string; expr: string }[]): string[] {
  const found: string[] = [];
  for (const { where, expr } of expressions) {
    for (const selector of promqlSelectors(expr)) {
      const labels = exported.get(selector.metric);
      if (labels === undefined) {
        found.push(`${where}: metric ${selector.metric} is not exported by the code`);
        continue;
      }
      for (const label of selector.labels)
        if (!labels.includes(label) && !TARGET_LABELS.includes(label))
          found.push(`${where}: metric ${selector.metric} has no label ${label}`);
    }
  }
  return found;
}

let exported: Map<string, string[]>;
beforeAll(async () => {
  const registry = createMetricsRegistry();
  createRouterMetrics(registry);
  registerPipelineMetrics(registry, { ...stubDeps, processMetrics: true });
  exported = await exportedSeries(registry);
});

describe('dashboard and alert rules query only metrics the code exports', () => {
  it('exports the pipeline, store and router metrics the deployment relies on', () => {
    for (const name of [
      'llm_requests_total',
      'llm_latency_seconds_bucket',
      'llm_cost_usd_total',
      'llm_tokens_used_total',
      'monthly_budget_used_ratio',
      'llm_circuit_breaker_state',
      'aegis_stage_duration_seconds_count',
      'aegis_documents',
      'aegis_queue_jobs',
      'aegis_queue_oldest_waiting_seconds',
      'aegis_vector_points',
      'aegis_graph_entities',
      'aegis_graph_relations',
      'process_resident_memory_bytes',
    ])
      expect(exported.has(name), name).toBe(true);
  });

  it('the Grafana dashboard', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(7);
    expect(problems(exported, expressions)).toEqual([]);
  });

  it('names every counter with _total (Prometheus conventions)', async () => {
    const registry = createMetricsRegistry();
    createRouterMetrics(registry);
    registerPipelineMetrics(registry, { ...stubDeps, processMetrics: true });
    const counters = (await registry.getMetricsAsJSON())
      .filter((metric) => String(metric.type) === 'counter')
      .map((metric) => metric.name);
    expect(counters.length).toBeGreaterThan(4);
    expect(counters.filter((name) => !name.endsWith('_total'))).toEqual([]);
  });

  it('keeps the seed names as recording rules over exported series', () => {
    const rules = alertExpressions(RECORDING_RULES);
    expect(rules.map((rule) => rule.where).sort()).toEqual(
      [
        'llm_cost_usd',
        'llm_tokens_used',
        'neo4j_entities_count',
        'neo4j_relations_count',
        'qdrant_points_count',
      ].map((name) => `alert ${name}`),
    );
    expect(problems(exported, rules)).toEqual([]);
    // A recorded name is not also exported (it would be two series under one name).
    for (const { where } of rules) expect(exported.has(where.replace('alert ', '')), where).toBe(false);
  });

  it('the Prometheus alert rules', () => {
    const expressions = alertExpressions();
    const alerts = expressions.map((e) => e.where);
    for (const alert of [
      'LlmBudgetOver80Percent',
      'LlmFailureRateHigh',
      'PipelineFailureRateHigh',
      'QueueStuck',
    ])
      expect(alerts).toContain(`alert ${alert}`);
    expect(alerts).toContain('alert LlmCircuitBreakerOpen');
    expect(problems(exported, expressions)).toEqual([]);
  });

  it('catches a wrong metric name or label (the check can fail)', () => {
    const wrong = [
      { where: 'fixture', expr: 'sum by (provider) (rate(llm_request_total[5m]))' },
      { where: 'fixture', expr: 'histogram_quantile(0.95, sum by (le) (rate(llm_latency_bucket[5m])))' },
      { where: 'fixture', expr: 'sum(rate(aegis_stage_duration_seconds_count{stag="graph"}[5m])) * 60' },
      { where: 'fixture', expr: 'max by (queue) (aegis_queue_oldest_waiting_seconds) > 900' },
    ];
    expect(problems(exported, wrong)).toEqual([
      'fixture: metric llm_request_total is not exported by the code',
      'fixture: metric llm_latency_bucket is not exported by the code',
      'fixture: metric aegis_stage_duration_seconds_count has no label stag',
    ]);
  });

  it('extracts selectors from the PromQL shapes the deployment uses', () => {
    expect(
      promqlSelectors(
        'sum by (provider) (rate(llm_errors_total[10m])) / sum by (provider) (rate(llm_requests_total[10m])) > 0.2 and sum(up{job=~"api|worker"}) > 0.01',
      ),
    ).toEqual([
      { metric: 'up', labels: ['job'] },
      { metric: 'llm_errors_total', labels: [] },
      { metric: 'llm_requests_total', labels: [] },
    ]);
    expect(
      promqlSelectors(
        'histogram_quantile(0.95, sum by (le, stage) (rate(aegis_stage_duration_seconds_bucket{outcome="completed", stage!="x"}[15m])))',
      ),
    ).toEqual([{ metric: 'aegis_stage_duration_seconds_bucket', labels: ['outcome', 'stage'] }]);
  });
});
