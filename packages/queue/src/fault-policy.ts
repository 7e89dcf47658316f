import { type ErrorCode, isAegisError, outageOf } from '@aegis/core';

/**
 * How the stage processor treats faults that are not the document's (ADR 012). Infrastructure outages and
 * provider outages delay the job without consuming one of its attempts; only the document's own problems do.
 */
export interface FaultPolicy {
  /** First pause after an infrastructure outage, in ms; doubles per consecutive outage. Default 1000. */
  outageRetryBaseMs: number;
  /** Longest pause between two tries during an infrastructure outage, in ms. Default 30000. */
  outageRetryMaxDelayMs: number;
  /** Pause between two tries while no model provider can serve, in ms. Default 15000. */
  providerRetryDelayMs: number;
  /**
   * How long a stage run may wait for a model provider in total before it fails with
   * NO_PROVIDER_AVAILABLE (enrich-images instead completes with warnings), in ms. Default 1800000 (30 min).
   */
  providerOutageMaxWaitMs: number;
}

export const DEFAULT_FAULT_POLICY: FaultPolicy = {
  outageRetryBaseMs: 1_000,
  outageRetryMaxDelayMs: 30_000,
  providerRetryDelayMs: 15_000,
  providerOutageMaxWaitMs: 30 * 60_000,
};

/** What a stage failure is, for the processor and the reconciler. */
export type FaultKind =
  /** Postgres, Redis, a store or the blob folder is out of reach: wait, no attempt consumed. */
  | 'outage'
  /** No provider of the chain could serve (all failing, cooling down or circuit-open): wait, bounded. */
  | 'provider-outage'
  /** Anything else: the document's own problem, or a provider refusing it; attempts apply. */
  | 'document';

export function faultKindOf(error: unknown): FaultKind {
  if (outageOf(error) !== undefined) return 'outage';
  if (isAegisError(error, 'NO_PROVIDER_AVAILABLE')) return 'provider-outage';
  return 'document';
}

/** The pause before the n-th consecutive outage retry (0-based), with jitter so workers do not stampede. */
export function outageDelayMs(policy: FaultPolicy, consecutive: number, random = Math.random): number {
  const base = Math.min(
    policy.outageRetryMaxDelayMs,
    policy.outageRetryBaseMs * 2 ** Math.min(consecutive, 20),
  );
  return Math.round(base * (0.75 + random() * 0.25));
}

/**
 * BullMQ's `failedReason` of our jobs starts with the error code (`PDF_INVALID: ...`), so a failure the processor
 * could not write to Postgres can be reconciled into Postgres later with its code.
 */
export function failedReason(code: string, message: string): string {
  return `${code}: ${message}`;
}

/** The code at the start of a failedReason, when it is one of ours. */
export function codeOfFailedReason(
  reason: string | undefined,
  known: Record<string, unknown>,
): ErrorCode | undefined {
  const match = /^([A-Z][A-Z0-9_]+): /.exec(reason ?? '');
  return match?.[1] !== undefined && match[1] in known ? (match[1] as ErrorCode) : undefined;
}

/** BullMQ's own reason when the workers running a job died more often than `maxStalledCount` allows. */
export const STALLED_REASON = /stalled more than allowable limit/;
