import { AegisError } from '@aegis/core';
import { z } from 'zod';
import { picoToUsd, usdToPico } from './money.ts';
import type { Usage } from './types.ts';

const usdPerMillion = z
  .string()
  .regex(/^\d+(\.\d{1,6})?$/, 'a USD decimal string with at most 6 decimals, e.g. "0.05"');

const modelPriceSchema = z.object({
  /** USD per 1M input tokens that were not served from the provider's prompt cache. */
  inputPerMillion: usdPerMillion,
  /** USD per 1M cached input tokens; defaults to the input price when the provider has no cache discount. */
  cachedInputPerMillion: usdPerMillion.optional(),
  /** USD per 1M output tokens (reasoning tokens included, as providers bill them). */
  outputPerMillion: usdPerMillion,
  /** USD per image, for providers that bill images per piece rather than as tokens. */
  perImage: usdPerMillion.optional(),
  /** Upper bound of the tokens one image can cost on this model (drives the worst-case reservation). */
  maxImageTokens: z.number().int().nonnegative().optional(),
});

export const priceTableSchema = z.object({
  /** Changes whenever any price changes; written on every ledger row. */
  version: z.string().min(1),
  currency: z.literal('USD'),
  /** Keyed by `provider:model`. A `provider:*` entry prices every model of a provider (e.g. `ollama:*` = free). */
  models: z.record(z.string().regex(/^[a-z0-9-]+:.+$/), modelPriceSchema),
});

export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

/** Prices parsed into pico-USD per million tokens (exact integers). */
export interface ResolvedPrice {
  key: string;
  version: string;
  inputPerMillionPico: bigint;
  cachedInputPerMillionPico: bigint;
  outputPerMillionPico: bigint;
  perImagePico: bigint;
  maxImageTokens: number;
  free: boolean;
}

const DEFAULT_MAX_IMAGE_TOKENS = 2_560;

export function parsePriceTable(input: unknown): PriceTable {
  const parsed = priceTableSchema.safeParse(input);
  if (!parsed.success) {
    throw new AegisError('CONFIG_INVALID', `invalid price table: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Looks prices up by `provider:model`, then `provider:*`; returns undefined when neither is listed. */
export function resolvePrice(table: PriceTable, provider: string, model: string): ResolvedPrice | undefined {
  const key = table.models[`${provider}:${model}`] ? `${provider}:${model}` : `${provider}:*`;
  const price = table.models[key];
  if (!price) return undefined;
  const input = usdToPico(price.inputPerMillion);
  const output = usdToPico(price.outputPerMillion);
  const perImage = usdToPico(price.perImage ?? '0');
  return {
    key,
    version: table.version,
    inputPerMillionPico: input,
    cachedInputPerMillionPico: price.cachedInputPerMillion ? usdToPico(price.cachedInputPerMillion) : input,
    outputPerMillionPico: output,
    perImagePico: perImage,
    maxImageTokens: price.maxImageTokens ?? DEFAULT_MAX_IMAGE_TOKENS,
    free: input === 0n && output === 0n && perImage === 0n,
  };
}

/**
 * Exact cost of one attempt in pico-USD. Cached tokens are the part of `inputTokens` billed at the cached
 * rate, so uncached = input - cached. Division by 1e6 is exact because prices carry at most 6 decimals.
 */
export function costPico(
  price: ResolvedPrice,
  usage: Pick<Usage, 'inputTokens' | 'cachedInputTokens' | 'outputTokens' | 'images'>,
): bigint {
  const cached = BigInt(Math.min(usage.cachedInputTokens, usage.inputTokens));
  const uncached = BigInt(usage.inputTokens) - cached;
  const tokens =
    uncached * price.inputPerMillionPico +
    cached * price.cachedInputPerMillionPico +
    BigInt(usage.outputTokens) * price.outputPerMillionPico;
  return tokens / 1_000_000n + BigInt(usage.images) * price.perImagePico;
}

export function costUsd(price: ResolvedPrice, usage: Parameters<typeof costPico>[1]): string {
  return picoToUsd(costPico(price, usage));
}
