export { csvField, csvRecord } from './accounting/csv.ts';
export type {
  Accounting,
  BudgetCap,
  BudgetCaps,
  BudgetCapsOptions,
  BudgetStatus,
  CapActor,
  CapChange,
  CapChangeResult,
  CapLogger,
  CostGroup,
  CostTotals,
  DocumentCost,
  ExportedLedgerRow,
  ExportLedgerOptions,
  LedgerRow,
  LedgerStatus,
  MonthlyCostRow,
  MonthlyCostsOptions,
  PostgresAccounting,
  PostgresAccountingOptions,
  Reservation,
  ReservationContext,
  ReserveRequest,
  ReserveResult,
} from './accounting/index.ts';
export {
  createBudgetCaps,
  createPostgresAccounting,
  documentCost,
  exportLedger,
  formatCap,
  monthlyCosts,
  parseCapUsd,
  utcMonth,
} from './accounting/index.ts';
export type {
  BreakerFailure,
  BreakerFailureKind,
  BreakerPermit,
  BreakerPolicy,
  BreakerSnapshot,
  BreakerState,
  CircuitBreaker,
} from './breaker/circuit-breaker.ts';
export { DEFAULT_BREAKER_POLICY } from './breaker/circuit-breaker.ts';
export type {
  BreakerTransitionListener,
  RedisCircuitBreakerOptions,
} from './breaker/redis-circuit-breaker.ts';
export { createRedisCircuitBreaker } from './breaker/redis-circuit-breaker.ts';
export { DEFAULT_PRICE_TABLE } from './default-prices.ts';
export type { ConfiguredRouter, RouterConnections } from './from-config.ts';
export { configuredCaps, createRouterFromConfig } from './from-config.ts';
export { extractJson } from './json-reply.ts';
export { createLocalHealth } from './local-health.ts';
export type { RouterMetrics } from './metrics.ts';
export { createRouterMetrics, LATENCY_BUCKETS } from './metrics.ts';
export { PICO_PER_USD, picoToNumber, picoToUsd, usdToPico } from './money.ts';
export type { ModelPrice, PriceTable, ResolvedPrice } from './prices.ts';
export { costPico, costUsd, parsePriceTable, priceTableSchema, resolvePrice } from './prices.ts';
export type { OllamaProviderOptions } from './providers/ollama-provider.ts';
export { createOllamaProvider } from './providers/ollama-provider.ts';
export type { OpenAiCompatibleProviderOptions } from './providers/openai-compatible-provider.ts';
export { createOpenAiCompatibleProvider } from './providers/openai-compatible-provider.ts';
export type {
  ChatMessage,
  ImageInput,
  ProviderAdapter,
  ProviderFailure,
  ProviderUsage,
} from './providers/provider.ts';
export type { StaticEmbeddingProviderOptions } from './providers/static-embedding/static-embedding-provider.ts';
export { createStaticEmbeddingProvider } from './providers/static-embedding/static-embedding-provider.ts';
export {
  BUILT_IN_STATIC_MODEL,
  staticEmbeddingOptions,
} from './providers/static-embedding/static-embedding-wiring.ts';
export type { StaticModel } from './providers/static-embedding/static-model.ts';
export { loadStaticModel } from './providers/static-embedding/static-model-files.ts';
export type { HeaderSource } from './retry-after.ts';
export { MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from './retry-after.ts';
export type { Logger } from './route-executor.ts';
export { createRouter, VISION_PROMPT } from './router.ts';
export type {
  DescribeImageRequest,
  DescribeImageResult,
  EmbedRequest,
  EmbedResult,
  GenerateJsonRequest,
  GenerateJsonResult,
  GenerateRequest,
  GenerateResult,
  ProviderStatus,
  Router,
  RouterEvent,
  RouterOptions,
} from './router-types.ts';
export type { ChainEntry, RoutingConfig } from './routing-config.ts';
export {
  chainFor,
  DEFAULT_ROUTING_CONFIG,
  parseRoutingConfig,
  routingConfigSchema,
  TASK_TYPES,
} from './routing-config.ts';
export type { EntryReadiness, TaskReadiness } from './task-readiness.ts';
export { createCloudHealth, taskReadiness } from './task-readiness.ts';
export { countTextTokens, estimatePromptTokens, promptTokenUpperBound } from './tokens.ts';
export type {
  AttemptRecord,
  AttemptStatus,
  Attribution,
  CallMeta,
  CallOptions,
  RoutingMode,
  TaskType,
  Usage,
} from './types.ts';
