import { AegisError } from '@aegis/core';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The UTC calendar month of `date` as `YYYY-MM`: budgets reset on the first of the month, UTC. */
export function utcMonth(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** `[start, end)` of a `YYYY-MM` month in UTC, for index-friendly `created_at` range filters. */
export function utcMonthRange(month: string): { start: Date; end: Date } {
  const match = MONTH.exec(month);
  if (!match) throw new AegisError('VALIDATION_FAILED', `month must be YYYY-MM, got "${month}"`);
  const year = Number(match[1]);
  const monthIndex = Number(match[2]) - 1;
  return { start: new Date(Date.UTC(year, monthIndex, 1)), end: new Date(Date.UTC(year, monthIndex + 1, 1)) };
}
