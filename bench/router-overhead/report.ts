import type { BreakdownResult } from './breakdown.ts';
import type { CompareResult } from './compare.ts';

const fmt = (value: number): string => value.toFixed(3);
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;

/** The comparison as a Markdown table, ready to paste into BENCHMARKS.md. */
export function compareTable(result: CompareResult): string {
  const lines = [
    `Concurrency ${result.concurrency} (${result.modes.direct.count} requests per mode):`,
    '',
    '| mode | p50 ms | p90 ms | p99 ms | mean ms | added p50 | added p90 | added p99 | throughput req/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const name of ['direct', 'router', 'portkey'] as const) {
    const mode = result.modes[name];
    const added = name === 'direct' ? undefined : result.added[name];
    lines.push(
      `| ${name} | ${fmt(mode.p50)} | ${fmt(mode.p90)} | ${fmt(mode.p99)} | ${fmt(mode.mean)} | ${
        added ? signed(added.p50) : '—'
      } | ${added ? signed(added.p90) : '—'} | ${added ? signed(added.p99) : '—'} | ${mode.throughputPerSec} |`,
    );
  }
  return lines.join('\n');
}

export function breakdownTable(results: readonly BreakdownResult[]): string {
  const lines = [
    '| concurrency | direct mean | router mean | breaker acquire mean / p99 | budget reserve mean / p99 | provider chat mean / p99 | other router JS (mean) | adapter over direct (mean) | breaker success (not awaited) mean |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const result of results) {
    const { pieces } = result;
    lines.push(
      `| ${result.concurrency} | ${fmt(result.direct.mean)} | ${fmt(result.routerTotal.mean)} | ${fmt(
        pieces.breakerAcquire.mean,
      )} / ${fmt(pieces.breakerAcquire.p99)} | ${fmt(pieces.budgetReserve.mean)} / ${fmt(
        pieces.budgetReserve.p99,
      )} | ${fmt(pieces.providerChat.mean)} / ${fmt(pieces.providerChat.p99)} | ${fmt(result.otherMean)} | ${signed(
        result.adapterOverDirectMean,
      )} | ${fmt(pieces.breakerSuccess.mean)} |`,
    );
  }
  return lines.join('\n');
}
