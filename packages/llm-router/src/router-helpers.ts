import { createHash } from 'node:crypto';
import { AegisError } from '@aegis/core';
import { type PriceTable, resolvePrice } from './prices.ts';
import type { ProviderAdapter } from './providers/provider.ts';
import type { Logger } from './route-executor.ts';
import { type RoutingConfig, TASK_TYPES } from './routing-config.ts';

/** How much of an invalid reply the repair attempt shows the model, in characters. */
export const REPAIR_EXCERPT_CHARS = 2_000;

export function excerpt(text: string, limit: number): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}… [${text.length - limit} more characters cut]`;
}

export const NO_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Computes on first use, then remembers (tokenizing a prompt is only worth it when a local entry asks). */
export function once<T>(compute: () => T): () => T {
  let value: { result: T } | undefined;
  return () => {
    value ??= { result: compute() };
    return value.result;
  };
}

export function hashOf(parts: Array<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

export function validateRouting(
  routing: RoutingConfig,
  adapters: ReadonlyMap<string, ProviderAdapter>,
  prices: PriceTable,
): void {
  const problems: string[] = [];
  for (const task of TASK_TYPES) {
    for (const entry of routing.tasks[task]) {
      const adapter = adapters.get(entry.provider);
      if (!adapter) problems.push(`${task}: provider "${entry.provider}" is not configured`);
      else if (!adapter.disabledReason && !resolvePrice(prices, entry.provider, entry.model)) {
        problems.push(
          `${task}: no price for ${entry.provider}:${entry.model} in price table ${prices.version}`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new AegisError(
      'CONFIG_INVALID',
      `routing config does not match providers and prices:\n${problems.join('\n')}`,
      { details: { problems } },
    );
  }
}
