import { type Call, runBlock } from './load.ts';
import { type LatencySummary, percentile, roundMs, summarize } from './stats.ts';

export const MODE_NAMES = ['direct', 'router', 'portkey'] as const;
export type ModeName = (typeof MODE_NAMES)[number];

export interface Mode {
  name: ModeName;
  call: Call;
  /** Untimed work after each block, e.g. flushing the router's write-behind ledger so it cannot spill into the next mode's block. */
  afterBlock?: (() => Promise<void>) | undefined;
}

export interface ComparePlan {
  concurrency: number;
  /** Requests per mode before measuring: JIT, connection pools, prepared statements. */
  warmup: number;
  rounds: number;
  /** Requests per mode per round. */
  block: number;
  /** Called between rounds (untimed). */
  betweenRounds?: (() => Promise<void>) | undefined;
}

export interface Added {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export interface CompareResult {
  concurrency: number;
  plan: Omit<ComparePlan, 'betweenRounds'>;
  modes: Record<ModeName, LatencySummary>;
  /** Mode percentile minus direct percentile at the same percentile (an approximation, see BENCHMARKS.md). */
  added: Record<Exclude<ModeName, 'direct'>, Added>;
  /** p50 of each block, per mode, in round order: shows drift and block-to-block variance. */
  blockP50s: Record<ModeName, number[]>;
}

/**
 * Interleaves the modes in rounds of one block each, rotating which mode goes first, so machine drift (other
 * processes, thermal, GC of earlier blocks) falls on every mode alike.
 */
export async function compareModes(modes: readonly Mode[], plan: ComparePlan): Promise<CompareResult> {
  const scratch: number[] = [];
  for (const mode of modes) {
    await runBlock(mode.call, plan.warmup, plan.concurrency, scratch);
    await mode.afterBlock?.();
  }
  await plan.betweenRounds?.();

  const samples = new Map<ModeName, number[]>(modes.map((mode) => [mode.name, []]));
  const wall = new Map<ModeName, number>(modes.map((mode) => [mode.name, 0]));
  const blockP50s = new Map<ModeName, number[]>(modes.map((mode) => [mode.name, []]));
  for (let round = 0; round < plan.rounds; round += 1) {
    for (let offset = 0; offset < modes.length; offset += 1) {
      const mode = modes[(round + offset) % modes.length] as Mode;
      const block: number[] = [];
      const wallMs = await runBlock(mode.call, plan.block, plan.concurrency, block);
      await mode.afterBlock?.();
      samples.get(mode.name)?.push(...block);
      wall.set(mode.name, (wall.get(mode.name) ?? 0) + wallMs);
      blockP50s.get(mode.name)?.push(roundMs(percentile(Float64Array.from(block).sort(), 0.5)));
    }
    await plan.betweenRounds?.();
  }

  const summaries = {} as Record<ModeName, LatencySummary>;
  for (const mode of modes) {
    summaries[mode.name] = rounded(summarize(samples.get(mode.name) ?? [], wall.get(mode.name) ?? 0));
  }
  const direct = summaries.direct;
  const addedOver = (summary: LatencySummary): Added => ({
    p50: roundMs(summary.p50 - direct.p50),
    p90: roundMs(summary.p90 - direct.p90),
    p99: roundMs(summary.p99 - direct.p99),
    mean: roundMs(summary.mean - direct.mean),
  });
  const { betweenRounds: _ignored, ...planRecord } = plan;
  return {
    concurrency: plan.concurrency,
    plan: planRecord,
    modes: summaries,
    added: { router: addedOver(summaries.router), portkey: addedOver(summaries.portkey) },
    blockP50s: Object.fromEntries(blockP50s) as Record<ModeName, number[]>,
  };
}

function rounded(summary: LatencySummary): LatencySummary {
  return {
    count: summary.count,
    p50: roundMs(summary.p50),
    p90: roundMs(summary.p90),
    p99: roundMs(summary.p99),
    mean: roundMs(summary.mean),
    min: roundMs(summary.min),
    max: roundMs(summary.max),
    throughputPerSec: Math.round(summary.throughputPerSec),
  };
}
