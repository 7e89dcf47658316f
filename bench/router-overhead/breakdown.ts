import type { Accounting, CircuitBreaker, GenerateRequest, ProviderAdapter } from '@aegis/llm-router';
import type { Environment } from './environment.ts';
import { type Call, runBlock } from './load.ts';
import { type LatencySummary, roundMs, summarize } from './stats.ts';

/** The router's pieces, each timed around the port the router awaits. */
export const PIECES = ['breakerAcquire', 'budgetReserve', 'providerChat', 'breakerSuccess'] as const;
export type Piece = (typeof PIECES)[number];

export interface PieceStats {
  mean: number;
  p50: number;
  p99: number;
}

export interface BreakdownResult {
  concurrency: number;
  calls: number;
  direct: PieceStats;
  routerTotal: PieceStats;
  pieces: Record<Piece, PieceStats>;
  /**
   * Mean router time outside the awaited ports: routing, token estimation, hashing, metrics, ledger enqueue,
   * promise plumbing (= total - acquire - reserve - chat). breakerSuccess is not awaited on the call path.
   */
  otherMean: number;
  /** Mean provider adapter call minus mean direct SDK call: what the adapter adds around the same SDK. */
  adapterOverDirectMean: number;
}

function timed<A extends unknown[], R>(
  into: number[],
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    const started = performance.now();
    try {
      return await fn(...args);
    } finally {
      into.push(performance.now() - started);
    }
  };
}

function stats(samples: number[]): PieceStats {
  const summary: LatencySummary = summarize(samples, 0);
  return { mean: roundMs(summary.mean), p50: roundMs(summary.p50), p99: roundMs(summary.p99) };
}

export interface BreakdownPlan {
  concurrency: number;
  warmup: number;
  rounds: number;
  block: number;
}

/**
 * Times the router's awaited pieces on a second, instrumented router (the wrappers add a few performance.now()
 * calls, so this phase is kept out of the headline comparison). Direct SDK blocks are interleaved as the baseline.
 */
export async function runBreakdown(
  env: Environment,
  direct: Call,
  request: GenerateRequest,
  plan: BreakdownPlan,
  onRouterCall: () => void,
): Promise<BreakdownResult> {
  const times: Record<Piece, number[]> = {
    breakerAcquire: [],
    budgetReserve: [],
    providerChat: [],
    breakerSuccess: [],
  };
  const { router, accounting } = await env.makeRouter({
    accounting: (inner): Accounting => ({ ...inner, reserve: timed(times.budgetReserve, inner.reserve) }),
    breaker: (inner): CircuitBreaker => ({
      ...inner,
      acquire: timed(times.breakerAcquire, inner.acquire),
      recordSuccess: timed(times.breakerSuccess, inner.recordSuccess),
    }),
    provider: (inner): ProviderAdapter => ({ ...inner, chat: timed(times.providerChat, inner.chat) }),
  });
  const routed: Call = () => {
    onRouterCall();
    return router.generate(request);
  };

  const scratch: number[] = [];
  await runBlock(direct, plan.warmup, plan.concurrency, scratch);
  await runBlock(routed, plan.warmup, plan.concurrency, scratch);
  await accounting.flush();
  for (const piece of PIECES) times[piece].length = 0;

  const directSamples: number[] = [];
  const routerSamples: number[] = [];
  for (let round = 0; round < plan.rounds; round += 1) {
    const order = round % 2 === 0 ? ['direct', 'router'] : ['router', 'direct'];
    for (const which of order) {
      if (which === 'direct') await runBlock(direct, plan.block, plan.concurrency, directSamples);
      else {
        await runBlock(routed, plan.block, plan.concurrency, routerSamples);
        await accounting.flush();
      }
    }
    await env.resetSimulator();
  }

  const pieces = Object.fromEntries(PIECES.map((piece) => [piece, stats(times[piece])])) as Record<
    Piece,
    PieceStats
  >;
  const routerTotal = stats(routerSamples);
  const directStats = stats(directSamples);
  return {
    concurrency: plan.concurrency,
    calls: routerSamples.length,
    direct: directStats,
    routerTotal,
    pieces,
    otherMean: roundMs(
      routerTotal.mean - pieces.breakerAcquire.mean - pieces.budgetReserve.mean - pieces.providerChat.mean,
    ),
    adapterOverDirectMean: roundMs(pieces.providerChat.mean - directStats.mean),
  };
}
