import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { Accounting, BudgetStatus } from './accounting/accounting.ts';
import type { BreakerState, CircuitBreaker } from './breaker/circuit-breaker.ts';
import type { PriceTable } from './prices.ts';
import type { ChatMessage, ImageInput, ProviderAdapter } from './providers/provider.ts';
import type { Logger } from './route-executor.ts';
import type { RoutingConfig } from './routing-config.ts';
import type { TaskReadiness } from './task-readiness.ts';
import type { CallMeta, CallOptions, TaskType } from './types.ts';

export interface RouterOptions {
  providers: readonly ProviderAdapter[];
  routing: RoutingConfig;
  prices: PriceTable;
  accounting: Accounting;
  breaker: CircuitBreaker;
  /** Registry for the router's metrics; a private one when omitted. */
  registry?: Registry | undefined;
  logger?: Logger | undefined;
  /** Fraction of a budget at which a `budget.warning` event fires. Default 0.8. */
  budgetWarnRatio?: number | undefined;
  /** Per-attempt timeout in ms unless the chain entry sets one. Default 120000. */
  requestTimeoutMs?: number | undefined;
  /** Output cap in tokens when neither the call nor the entry sets one; bounds the reservation. Default 4096. */
  maxOutputTokens?: number | undefined;
  /** After this long the reaper settles a reservation whose holder never came back, in ms. Default 600000. */
  reservationTtlMs?: number | undefined;
  /** How often `start()` runs the reservation reaper, in ms (0 = never). Default 60000. */
  reaperIntervalMs?: number | undefined;
  /** Texts per embedding request. Default 64. */
  embedBatchSize?: number | undefined;
  /** Passes over a chain before giving up. Default 2. */
  maxPasses?: number | undefined;
  /** Longest wait for a breaker to reopen between passes, in ms. Default 5000. */
  maxWaitMs?: number | undefined;
  /** Health cache of local providers, in ms. Default 10000 (healthy) / 2000 (unhealthy). */
  localHealthTtlMs?: number | undefined;
  onEvent?: ((event: RouterEvent) => void) | undefined;
  random?: (() => number) | undefined;
}

export type RouterEvent =
  | { type: 'budget.warning'; provider: string; usedRatio: number; status: BudgetStatus }
  | { type: 'breaker.transition'; provider: string; from: BreakerState; to: BreakerState };

export interface GenerateRequest extends CallOptions {
  messages: ChatMessage[];
  maxOutputTokens?: number | undefined;
  temperature?: number | undefined;
  /** Stream the reply and receive text deltas as they arrive. */
  onText?: ((delta: string) => void) | undefined;
}

export interface GenerateResult extends CallMeta {
  text: string;
}

export interface GenerateJsonRequest<T> extends GenerateRequest {
  schema: z.ZodType<T>;
}

export interface GenerateJsonResult<T> extends CallMeta {
  value: T;
  /** True when the first reply was invalid and the one repair attempt fixed it. */
  repaired: boolean;
}

export interface EmbedRequest extends Omit<CallOptions, 'task'> {
  texts: string[];
  /**
   * Use only this provider and model (e.g. the one that embedded a document's earlier batches), so vectors
   * of one collection never come from two models. It must be an entry of the embedding chain.
   */
  pin?: { provider: string; model: string } | undefined;
}

export interface EmbedResult extends CallMeta {
  vectors: number[][];
  dimensions: number;
}

export interface DescribeImageRequest extends Omit<CallOptions, 'task'> {
  image: ImageInput;
  /** The instruction; the pipeline passes its versioned prompt. Defaults to VISION_PROMPT. */
  prompt?: string | undefined;
  maxOutputTokens?: number | undefined;
}

export interface DescribeImageResult extends CallMeta {
  text: string;
}

export interface ProviderStatus {
  name: string;
  kind: ProviderAdapter['kind'];
  local: boolean;
  enabled: boolean;
  reason?: string | undefined;
}

export interface Router {
  generate(request: GenerateRequest): Promise<GenerateResult>;
  generateJson<T>(request: GenerateJsonRequest<T>): Promise<GenerateJsonResult<T>>;
  embed(request: EmbedRequest): Promise<EmbedResult>;
  describeImage(request: DescribeImageRequest): Promise<DescribeImageResult>;
  providers(): ProviderStatus[];
  /**
   * Whether `task` could be served right now, entry by entry, without calling a model or taking a breaker
   * probe (configured, reachable, model pulled or key accepted, breaker not open, budget not spent). With
   * `pin`, only that provider/model counts (a knowledge base bound to its embedding model). `mode` defaults
   * to the configured routing mode.
   */
  taskReadiness(
    task: TaskType,
    options?: { pin?: { provider: string; model: string } | undefined; mode?: CallOptions['mode'] },
  ): Promise<TaskReadiness>;
  /**
   * Publishes budget gauges and starts the reservation reaper. It never writes a budget cap: caps change only
   * through budget-caps.ts (an operator's audited act), and every process enforces the caps in Postgres.
   */
  start(): Promise<void>;
  /** Writes every queued ledger row now (e.g. before reporting a document's cost as final). */
  flush(): Promise<void>;
  /** Stops the reaper and flushes the ledger. */
  close(): Promise<void>;
}
