import { AegisError } from '@aegis/core';
import { usdToPico } from '../money.ts';
import type { LedgerRow } from './accounting.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TASKS = new Set(['embedding', 'extraction', 'generation', 'vision']);
const STATUSES = new Set(['ok', 'error', 'cancelled', 'reaped']);
const USAGE_SOURCES = new Set(['provider', 'estimated']);
const MAX_INT4 = 2_147_483_647;
const MAX_INT2 = 32_767;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Rejects a row Postgres would reject, at `record` time. Write-behind means a bad row would otherwise
 * surface only in a later batch, far from the caller that made it.
 * @throws AegisError `VALIDATION_FAILED`
 */
export function validateLedgerRow(row: LedgerRow, reservationId: string | undefined): void {
  const problems: string[] = [];
  if (!isUuid(row.id)) problems.push('id must be a UUID');
  if (!isUuid(row.requestGroup)) problems.push('requestGroup must be a UUID');
  if (reservationId !== undefined && !isUuid(reservationId)) problems.push('reservationId must be a UUID');
  if (!isIntIn(row.attempt, 1, MAX_INT2)) problems.push(`attempt must be an integer in 1..${MAX_INT2}`);
  if (!(row.createdAt instanceof Date) || Number.isNaN(row.createdAt.getTime())) {
    problems.push('createdAt must be a valid Date');
  }
  if (!row.provider) problems.push('provider is required');
  if (!row.model) problems.push('model is required');
  if (!TASKS.has(row.task)) problems.push(`task "${row.task}" is not one of ${[...TASKS].join(', ')}`);
  if (!STATUSES.has(row.status))
    problems.push(`status "${row.status}" is not one of ${[...STATUSES].join(', ')}`);
  if (!USAGE_SOURCES.has(row.usageSource)) problems.push(`usageSource "${row.usageSource}" is invalid`);
  for (const field of ['inputTokens', 'cachedInputTokens', 'outputTokens', 'images', 'latencyMs'] as const) {
    if (!isIntIn(row[field], 0, MAX_INT4)) problems.push(`${field} must be an integer in 0..${MAX_INT4}`);
  }
  if (row.reasoningTokens !== undefined && !isIntIn(row.reasoningTokens, 0, MAX_INT4)) {
    problems.push(`reasoningTokens must be an integer in 0..${MAX_INT4}`);
  }
  if (row.httpStatus !== undefined && !isIntIn(row.httpStatus, 0, MAX_INT2)) {
    problems.push('httpStatus must be a small integer');
  }
  if (problems.length > 0) {
    throw new AegisError('VALIDATION_FAILED', `invalid ledger row ${row.id}: ${problems.join('; ')}`, {
      details: { ledgerId: row.id, problems },
    });
  }
  usdToPico(row.costUsd);
}

function isIntIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
