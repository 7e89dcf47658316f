import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiHarness,
  createApiHarness,
  TEST_METRICS_TOKEN,
} from '../../apps/api/src/test-support/api-harness.ts';
import { startWorker } from '../support/fault-model.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';
import { alertExpressions, dashboardExpressions, promqlSelectors } from './promql.ts';

/** Series Prometheus adds itself. */
const FROM_PROMETHEUS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/** Metric names the dashboard and the alert rules read. */
function referencedMetrics(): string[] {
  const names = new Set<string>();
  for (const { expr } of [...dashboardExpressions(), ...alertExpressions()])
    for (const selector of promqlSelectors(expr))
      if (!FROM_PROMETHEUS.has(selector.metric)) names.add(selector.metric);
  return [...names].sort();
}

/** Names of the series that have at least one sample in a Prometheus text exposition. */
function sampled(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? ''),
  );
}

/** TYPE lines: name -> type. */
function types(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1] as string, match[2] as string]),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('metrics at start-up, before any document', { timeout: 120_000 }, () => {
  let pipeline: PipelineHarness;
  let api: ApiHarness;
  beforeAll(async () => {
    [pipeline, api] = await Promise.all([createPipelineHarness({ startWorkers: false }), createApiHarness()]);
  });
  afterAll(async () => {
    await Promise.all([pipeline?.close(), api?.close()]);
  });

  it('a fresh worker process serves every series the dashboard and alerts read, counters named _total', async () => {
    const port = await freePort();
    const worker = startWorker({ harness: pipeline, workers: [] }, { METRICS_PORT: String(port) });
    try {
      let text: string | undefined;
      // Until the process listens (a condition, not a duration).
      while (text === undefined) {
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (response) => (response.ok ? response.text() : undefined),
          () => undefined,
        );
        if (text === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const present = sampled(text);
      const missing = referencedMetrics().filter((name) => !present.has(name));
      expect(missing).toEqual([]);
      const counters = [...types(text)].filter(([, type]) => type === 'counter').map(([name]) => name);
      expect(counters.length).toBeGreaterThan(4);
      expect(counters.filter((name) => !name.endsWith('_total'))).toEqual([]);
    } finally {
      worker.kill('SIGKILL');
    }
  });

  it('the API serves them too', async () => {
    const response = await api.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    const present = sampled(response.body);
    expect(referencedMetrics().filter((name) => !present.has(name))).toEqual([]);
  });

  it('the check can fail: a name the code does not export is reported missing', () => {
    expect(referencedMetrics()).toContain('llm_cost_usd_total');
    expect(sampled('llm_cost_usd_total{provider="x"} 0\n').has('llm_cost_usd')).toBe(false);
  });
});
