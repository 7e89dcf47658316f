import { AegisError } from '@aegis/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Options for `createMetricsRegistry`. */
export interface MetricsRegistryOptions {
  /** Labels added to every metric of this registry, e.g. `{ service: 'worker' }`. Default: none. */
  defaultLabels?: Record<string, string>;
  /**
   * Also collect prom-client's process metrics (CPU, memory, event-loop lag, GC) into this registry.
   * Default `false`: apps turn it on once per process; tests and libraries leave it off.
   */
  collectProcessMetrics?: boolean;
}

/**
 * A fresh prom-client registry. The global default registry is never used, so two apps (or two tests)
 * in one process cannot collide.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels(options.defaultLabels);
  if (options.collectProcessMetrics === true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Definition shared by the metric helpers. */
export interface MetricDefinition<L extends string = string> {
  /** Prometheus name, snake_case with a unit suffix (`_seconds`, `_bytes`, `_total` for counters). */
  name: string;
  help: string;
  /** Label names; an existing metric must have the same set. Default: none. */
  labelNames?: readonly L[];
}

/** Histogram definition; `buckets` are upper bounds in the metric's unit, ascending. */
export interface HistogramDefinition<L extends string = string> extends MetricDefinition<L> {
  /** Default: prom-client's defaults (0.005 to 10, tuned for seconds). */
  buckets?: readonly number[];
}

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

/**
 * Returns the metric already registered under `definition.name` when it has the same type and label set,
 * so modules sharing a registry can each declare what they use. A different type or label set under the
 * same name is a programming error and throws, rather than silently recording into the wrong shape.
 */
function existing<T>(registry: Registry, kind: MetricClass, definition: MetricDefinition): T | undefined {
  const metric = registry.getSingleMetric(definition.name);
  if (metric === undefined) return undefined;
  const wanted = [...(definition.labelNames ?? [])].sort();
  const actual = [
    ...(((metric as unknown as { labelNames?: string[] }).labelNames ?? []) as string[]),
  ].sort();
  if (!(metric instanceof kind) || wanted.join(',') !== actual.join(',')) {
    throw new AegisError(
      'INTERNAL',
      `metric ${definition.name} is already registered as a ${metric.constructor.name} with labels [${actual.join(', ')}]; cannot redeclare it as a ${kind.name} with labels [${wanted.join(', ')}]`,
      { details: { metric: definition.name } },
    );
  }
  return metric as T;
}

/** Gets or creates a counter on `registry` (idempotent per name). */
export function counter<L extends string>(registry: Registry, definition: MetricDefinition<L>): Counter<L> {
  return (
    existing<Counter<L>>(registry, Counter, definition) ??
    new Counter<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      registers: [registry],
    })
  );
}

/** Gets or creates a gauge on `registry` (idempotent per name). */
export function gauge<L extends string>(registry: Registry, definition: MetricDefinition<L>): Gauge<L> {
  return (
    existing<Gauge<L>>(registry, Gauge, definition) ??
    new Gauge<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      registers: [registry],
    })
  );
}

/** Gets or creates a histogram on `registry` (idempotent per name; the first declaration's buckets win). */
export function histogram<L extends string>(
  registry: Registry,
  definition: HistogramDefinition<L>,
): Histogram<L> {
  return (
    existing<Histogram<L>>(registry, Histogram, definition) ??
    new Histogram<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      registers: [registry],
      ...(definition.buckets === undefined ? {} : { buckets: [...definition.buckets] }),
    })
  );
}
