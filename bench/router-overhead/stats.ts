/** Latency summary of one mode at one concurrency, in milliseconds (throughput in requests per second). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  throughputPerSec: number;
}

/** Nearest-rank percentile of an ascending array; `q` in [0, 1]. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** `wallMs` is the summed wall time of the blocks that produced the samples, so throughput excludes pauses between blocks. */
export function summarize(samples: readonly number[], wallMs: number): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    throughputPerSec: wallMs > 0 ? (sorted.length * 1000) / wallMs : Number.NaN,
  };
}

/** Rounds to microseconds: finer digits are noise at these sample sizes and only bloat the JSON. */
export function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}
