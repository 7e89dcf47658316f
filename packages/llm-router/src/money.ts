import { AegisError } from '@aegis/core';

/**
 * Money is exact: amounts are BigInt pico-dollars (1e-12 USD) in code and NUMERIC(24,12) in Postgres.
 * A price of "0.05" USD per million tokens is 50_000 pico-USD per token-million, so
 * cost = tokens * pricePerMillionPico / 1e6 stays an integer for every price with <= 6 decimals.
 */
export const PICO_PER_USD = 1_000_000_000_000n;
const USD_SCALE = 12;
const DECIMAL = /^(\d+)(?:\.(\d{1,12}))?$/;

/** Parses a non-negative USD decimal string (at most 12 decimals) into pico-USD. */
export function usdToPico(usd: string): bigint {
  const match = DECIMAL.exec(usd.trim());
  if (!match)
    throw new AegisError(
      'VALIDATION_FAILED',
      `not a non-negative USD amount with at most 12 decimals: "${usd}"`,
    );
  const [, whole = '0', fraction = ''] = match;
  return BigInt(whole) * PICO_PER_USD + BigInt(fraction.padEnd(USD_SCALE, '0'));
}

/** Formats pico-USD as a fixed 12-decimal USD string, the form Postgres NUMERIC(24,12) returns. */
export function picoToUsd(pico: bigint): string {
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const whole = abs / PICO_PER_USD;
  const fraction = (abs % PICO_PER_USD).toString().padStart(USD_SCALE, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** For gauges and counters only: prom-client takes floats. Never use the result for accounting. */
export function picoToNumber(pico: bigint): number {
  return Number(pico) / 1e12;
}
