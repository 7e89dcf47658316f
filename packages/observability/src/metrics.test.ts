import { isAegisError } from '@aegis/core';
import { describe, expect, it } from 'vitest';
import { counter, createMetricsRegistry, gauge, histogram } from './metrics.ts';

describe('metrics helpers', () => {
  it('returns the same metric when two modules declare it on one registry', () => {
    const registry = createMetricsRegistry();
    const a = counter(registry, {
      name: 'llm_requests_total',
      help: 'LLM requests',
      labelNames: ['provider'],
    });
    const b = counter(registry, {
      name: 'llm_requests_total',
      help: 'LLM requests',
      labelNames: ['provider'],
    });
    expect(b).toBe(a);
    expect(gauge(registry, { name: 'g', help: 'g' })).toBe(gauge(registry, { name: 'g', help: 'g' }));
    const h = histogram(registry, { name: 'h_seconds', help: 'h', buckets: [0.1, 1] });
    expect(histogram(registry, { name: 'h_seconds', help: 'h', buckets: [0.1, 1] })).toBe(h);
  });

  it('keeps registries independent', () => {
    const one = createMetricsRegistry();
    const two = createMetricsRegistry();
    expect(counter(one, { name: 'c_total', help: 'c' })).not.toBe(
      counter(two, { name: 'c_total', help: 'c' }),
    );
  });

  it('refuses to redeclare a name with another type or label set', () => {
    const registry = createMetricsRegistry();
    counter(registry, { name: 'x_total', help: 'x', labelNames: ['a'] });
    const attempts = [
      () => gauge(registry, { name: 'x_total', help: 'x', labelNames: ['a'] }),
      () => counter(registry, { name: 'x_total', help: 'x', labelNames: ['b'] }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isAegisError(caught, 'INTERNAL')).toBe(true);
    }
  });

  it('renders Prometheus text with default labels and buckets', async () => {
    const registry = createMetricsRegistry({ defaultLabels: { service: 'worker' } });
    counter(registry, { name: 'llm_requests_total', help: 'LLM requests', labelNames: ['provider'] })
      .labels({ provider: 'openai' })
      .inc(2);
    gauge(registry, {
      name: 'monthly_budget_remaining_usd',
      help: 'Budget left',
      labelNames: ['provider'],
    }).set({ provider: 'groq' }, 4.5);
    histogram(registry, {
      name: 'llm_latency_seconds',
      help: 'Latency',
      labelNames: ['provider'],
      buckets: [0.1, 0.5, 1],
    }).observe({ provider: 'openai' }, 0.3);
    const text = await registry.metrics();
    expect(text).toContain('# HELP llm_requests_total LLM requests');
    expect(text).toContain('# TYPE llm_requests_total counter');
    expect(text).toContain('llm_requests_total{provider="openai",service="worker"} 2');
    expect(text).toContain('monthly_budget_remaining_usd{provider="groq",service="worker"} 4.5');
    expect(text).toContain('llm_latency_seconds_bucket{le="0.1",service="worker",provider="openai"} 0');
    expect(text).toContain('llm_latency_seconds_bucket{le="0.5",service="worker",provider="openai"} 1');
    expect(text).toContain('llm_latency_seconds_count{service="worker",provider="openai"} 1');
    expect(text).not.toContain('process_cpu');
  });

  it('collects process metrics only when asked', async () => {
    const registry = createMetricsRegistry({ collectProcessMetrics: true });
    expect(await registry.metrics()).toContain('process_cpu_user_seconds_total');
  });
});
