import { readFile } from 'node:fs/promises';
import type { AppConfig } from '@aegis/config';
import { AegisError } from '@aegis/core';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { createPostgresAccounting, type PostgresAccounting } from './accounting/index.ts';
import type { CircuitBreaker } from './breaker/circuit-breaker.ts';
import { createRedisCircuitBreaker } from './breaker/redis-circuit-breaker.ts';
import { DEFAULT_PRICE_TABLE } from './default-prices.ts';
import { type PriceTable, parsePriceTable } from './prices.ts';
import { createOllamaProvider } from './providers/ollama-provider.ts';
import { createOpenAiCompatibleProvider } from './providers/openai-compatible-provider.ts';
import type { ProviderAdapter } from './providers/provider.ts';
import { createStaticEmbeddingProvider } from './providers/static-embedding/static-embedding-provider.ts';
import {
  embeddingChain,
  staticEmbeddingOptions,
} from './providers/static-embedding/static-embedding-wiring.ts';
import type { Logger } from './route-executor.ts';
import { createRouter } from './router.ts';
import type { Router, RouterEvent } from './router-types.ts';
import { DEFAULT_ROUTING_CONFIG, parseRoutingConfig, type RoutingConfig } from './routing-config.ts';

/**
 * The caps configuration asks for, per paid provider: a USD string, `null` (unlimited), or `undefined` (not
 * configured here, so the stored cap stays). Only `aegis migrate` applies them (budget-caps.ts).
 */
export function configuredCaps(config: AppConfig): Record<string, string | null | undefined> {
  return Object.fromEntries(
    Object.entries(config.llm.providers).map(([name, provider]) => [name, provider.monthlyBudgetUsd]),
  );
}

export interface RouterConnections {
  pool: pg.Pool;
  redis: Redis;
  registry?: Registry | undefined;
  logger?: Logger | undefined;
  onEvent?: ((event: RouterEvent) => void) | undefined;
  /** Injected for tests and benchmarks; defaults to the global fetch. */
  fetch?: typeof fetch | undefined;
}

export interface ConfiguredRouter {
  router: Router;
  accounting: PostgresAccounting;
  breaker: CircuitBreaker;
  providers: ProviderAdapter[];
  routing: RoutingConfig;
  prices: PriceTable;
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new AegisError(
      'CONFIG_INVALID',
      `cannot read the ${what} file ${path}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Builds the router exactly as every app runs it: providers from config (a cloud provider without a key is
 * disabled), routing and prices from their files or the built-in defaults, Postgres accounting, the Redis
 * breaker. The caller owns `pool` and `redis`; call `router.start()` to publish budget gauges and start the reaper. Budget caps are read from Postgres,
 * never written here (see budget-caps.ts).
 */
export async function createRouterFromConfig(
  config: AppConfig,
  connections: RouterConnections,
): Promise<ConfiguredRouter> {
  const { llm } = config;
  const routing = llm.routingFile
    ? parseRoutingConfig(await readJsonFile(llm.routingFile, 'routing'))
    : DEFAULT_ROUTING_CONFIG;
  const prices = llm.pricesFile
    ? parsePriceTable(await readJsonFile(llm.pricesFile, 'price table'))
    : DEFAULT_PRICE_TABLE;
  const effectiveRouting: RoutingConfig = {
    ...routing,
    mode: llm.routingMode,
    localMaxPromptTokens: llm.localMaxPromptTokens,
  };
  const providers: ProviderAdapter[] = [
    createOllamaProvider({ baseUrl: llm.ollama.url, fetch: connections.fetch }),
  ];
  providers.push(createStaticEmbeddingProvider(staticEmbeddingOptions(llm.staticEmbedding)));
  for (const [name, provider] of Object.entries(llm.providers)) {
    providers.push(
      createOpenAiCompatibleProvider({
        name,
        baseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        outputCapField: provider.outputCapField,
        fetch: connections.fetch,
      }),
    );
  }
  effectiveRouting.tasks = {
    ...effectiveRouting.tasks,
    embedding: embeddingChain(effectiveRouting.tasks.embedding, {
      customRouting: llm.routingFile !== undefined,
      providers,
      defaultModel: llm.embeddingDefaultModel,
    }),
  };
  const accounting = createPostgresAccounting({
    pool: connections.pool,
    onError: (error) =>
      connections.logger?.warn({ err: error }, 'ledger write failed; rows are kept and retried'),
  });
  const breaker = createRedisCircuitBreaker({
    redis: connections.redis,
    prefix: `${config.redis.queuePrefix}:llm:`,
    policy: {
      failureThreshold: llm.breaker.failureThreshold,
      baseCooldownMs: llm.breaker.baseCooldownMs,
      maxCooldownMs: llm.breaker.maxCooldownMs,
      probeLeaseMs: llm.breaker.probeLeaseMs,
    },
  });
  const router = createRouter({
    providers,
    routing: effectiveRouting,
    prices,
    accounting,
    breaker,
    registry: connections.registry,
    logger: connections.logger,
    onEvent: connections.onEvent,
    budgetWarnRatio: llm.budget.warnRatio,
    requestTimeoutMs: llm.requestTimeoutMs,
    maxOutputTokens: llm.maxOutputTokens,
    reservationTtlMs: llm.budget.reservationTtlMs,
    embedBatchSize: llm.embedBatchSize,
    localHealthTtlMs: llm.ollama.healthTtlMs,
  });
  return { router, accounting, breaker, providers, routing: effectiveRouting, prices };
}
