import type { ErrorCode } from '@aegis/core';

/** What a call is for; each task type has its own chain of provider:model entries in the routing config. */
export type TaskType = 'embedding' | 'extraction' | 'generation' | 'vision';

/** Which providers a chain may use: Ollama first then cloud, cloud only, or Ollama only. */
export type RoutingMode = 'local-first' | 'cloud-only' | 'local-only';

/** Who a call is billed to. Written on every ledger row; never used as a metric label. */
export interface Attribution {
  documentId?: string | undefined;
  /** Pipeline stage, e.g. `graph`, or the surface, e.g. `api`. */
  stage?: string | undefined;
  userId?: string | undefined;
}

/**
 * Token counts of one attempt. `cachedInputTokens` is the part of `inputTokens` billed at the cached rate;
 * `reasoningTokens` the part of `outputTokens` a thinking model spent on hidden reasoning (priced as output).
 */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** Images sent with the request (vision), for per-image prices. */
  images: number;
  /**
   * `provider` when the counts came from the provider's usage fields; `estimated` when we counted them
   * (a reply without usage, or an attempt the provider may bill although we got no usable reply).
   */
  source: 'provider' | 'estimated';
}

export type AttemptStatus = 'ok' | 'error' | 'cancelled';

/** Outcome of one upstream attempt or of one chain entry skipped before dispatch. */
export interface AttemptRecord {
  provider: string;
  model: string;
  /** `dispatched`: a request went upstream (and a ledger row was written). `skipped`: decided locally. */
  kind: 'dispatched' | 'skipped';
  status: AttemptStatus | 'skipped';
  /** Why it failed or was skipped (`CIRCUIT_OPEN`, `BUDGET_EXHAUSTED`, `PROVIDER_RATE_LIMITED`, ...). */
  errorCode?: ErrorCode | undefined;
  /** Human-readable reason, e.g. `prompt of 4211 tokens exceeds the local limit of 3000`. */
  reason?: string | undefined;
  httpStatus?: number | undefined;
  latencyMs: number;
  /** Ledger row id of a dispatched attempt. */
  ledgerId?: string | undefined;
  usage?: Usage | undefined;
  /** Exact cost in USD as a decimal string, e.g. `0.000012350000`. */
  costUsd?: string | undefined;
}

/** Options every router call accepts. */
export interface CallOptions {
  task: TaskType;
  signal?: AbortSignal | undefined;
  attribution?: Attribution | undefined;
  /** Overrides the configured routing mode for this call only. */
  mode?: RoutingMode | undefined;
}

/** What every router call returns besides its payload. */
export interface CallMeta {
  provider: string;
  model: string;
  /** Ledger request group: every attempt of this call shares it. */
  requestGroup: string;
  usage: Usage;
  /** Exact cost in USD of the successful attempt plus every failed attempt that was billed. */
  costUsd: string;
  /** Wall time of the whole call, all attempts and waits included, in milliseconds. */
  latencyMs: number;
  attempts: AttemptRecord[];
}
