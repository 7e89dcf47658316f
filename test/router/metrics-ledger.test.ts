import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { solidPng } from '../support/images.ts';
import { createRouterHarness, type RouterHarness } from '../support/router-harness.ts';

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

describe('Prometheus counters after a mixed run', () => {
  let harness: RouterHarness;
  beforeAll(async () => {
    harness = await createRouterHarness();
  });
  afterAll(async () => harness.close());

  it('equal the ledger sums', async () => {
    const { router, accounting, registry } = harness.makeRouter();
    const { sim } = harness;
    const attribution = { documentId: 'doc-mixed', stage: 'graph' };
    sim.faults.add({ provider: 'ollama', route: 'chat', status: 500, times: 2 });
    sim.faults.add({ provider: 'dashscope', route: 'chat', status: 503, times: 1 });
    sim.faults.add({ provider: 'openai', route: 'chat', missingUsage: true, times: 1 });
    const calls: Array<Promise<unknown>> = [
      router.generate({
        task: 'generation',
        attribution,
        messages: [{ role: 'user', content: 'First question about Ada Lovelace.' }],
      }),
      router.generate({
        task: 'generation',
        attribution,
        messages: [{ role: 'user', content: 'Second question about Alan Turing.' }],
      }),
      router.generate({
        task: 'generation',
        mode: 'cloud-only',
        messages: [{ role: 'user', content: 'Cloud only, please.' }],
      }),
      router.generateJson({
        task: 'extraction',
        attribution,
        schema: z.object({ entities: z.array(z.object({ name: z.string() })) }),
        messages: [{ role: 'user', content: 'Grace Hopper worked with Howard Aiken at Harvard University.' }],
      }),
      router.embed({
        texts: Array.from({ length: 70 }, (_, index) => `chunk ${index} about tracing`),
        attribution,
      }),
      router.describeImage({
        image: { data: await solidPng(), mimeType: 'image/png' },
        mode: 'cloud-only',
        attribution,
      }),
    ];
    await Promise.allSettled(calls);
    sim.faults.add({ provider: 'dashscope', route: 'chat', hang: true, times: 1 });
    const controller = new AbortController();
    const hanging = router.generate({
      task: 'generation',
      mode: 'cloud-only',
      signal: controller.signal,
      messages: [{ role: 'user', content: 'hang' }],
    });
    await sim.waitForRequest(
      (request) =>
        request.provider === 'dashscope' &&
        request.route === 'chat' &&
        request.fault !== undefined &&
        'hang' in request.fault,
      5_000,
    );
    controller.abort();
    await hanging.catch(() => undefined);
    await accounting.flush();

    const metrics = (await registry.getMetricsAsJSON()) as Array<{ name: string; values: MetricValue[] }>;
    const series = (name: string) => metrics.find((metric) => metric.name === name)?.values ?? [];

    const { rows: byModel } = await harness.db.pool.query<{
      provider: string;
      model: string;
      task: string;
      requests: number;
      input: number;
      cached: number;
      output: number;
      cost: string;
    }>(`select provider, model, task, count(*)::int as requests, sum(input_tokens)::int as input, sum(cached_input_tokens)::int as cached,
               sum(output_tokens)::int as output, sum(cost_usd)::text as cost
          from llm_ledger group by provider, model, task`);
    expect(byModel.length).toBeGreaterThanOrEqual(5);
    for (const row of byModel) {
      const requests = series('llm_requests_total').find(
        (value) =>
          value.labels.provider === row.provider &&
          value.labels.model === row.model &&
          value.labels.task_type === row.task,
      );
      expect(requests?.value, `${row.provider}/${row.model}/${row.task}`).toBe(row.requests);
    }
    const { rows: byProviderModel } = await harness.db.pool.query<{
      provider: string;
      model: string;
      requests: number;
      input: number;
      cached: number;
      output: number;
      cost: string;
    }>(
      `select provider, model, count(*)::int as requests, sum(input_tokens)::int as input, sum(cached_input_tokens)::int as cached,
              sum(output_tokens)::int as output, sum(cost_usd)::text as cost from llm_ledger group by provider, model`,
    );
    for (const row of byProviderModel) {
      const labelled = (name: string, extra: Record<string, string> = {}) =>
        series(name).find(
          (value) =>
            value.labels.provider === row.provider &&
            value.labels.model === row.model &&
            Object.entries(extra).every(([key, wanted]) => value.labels[key] === wanted),
        )?.value;
      expect(labelled('llm_tokens_used_total', { token_type: 'input' })).toBe(row.input);
      expect(labelled('llm_tokens_used_total', { token_type: 'cached_input' })).toBe(row.cached);
      expect(labelled('llm_tokens_used_total', { token_type: 'output' })).toBe(row.output);
      expect(labelled('llm_cost_usd_total')).toBeCloseTo(Number(row.cost), 12);
      const latencyCount = series('llm_latency_seconds').find(
        (value) =>
          value.metricName === 'llm_latency_seconds_count' &&
          value.labels.provider === row.provider &&
          value.labels.model === row.model,
      )?.value;
      expect(latencyCount).toBe(row.requests);
    }
    const { rows: errors } = await harness.db.pool.query<{ provider: string; error_code: string; n: number }>(
      "select provider, error_code, count(*)::int as n from llm_ledger where status <> 'ok' group by provider, error_code",
    );
    expect(errors.map((row) => row.error_code).sort()).toEqual(
      expect.arrayContaining(['CANCELLED', 'PROVIDER_UNAVAILABLE']),
    );
    for (const row of errors) {
      const value = series('llm_errors_total').find(
        (candidate) =>
          candidate.labels.provider === row.provider &&
          candidate.labels.error_type === row.error_code.toLowerCase(),
      )?.value;
      expect(value, `${row.provider} ${row.error_code}`).toBe(row.n);
    }
    const totalErrors = series('llm_errors_total').reduce((total, value) => total + value.value, 0);
    expect(totalErrors).toBe(errors.reduce((total, row) => total + row.n, 0));
  });
});
