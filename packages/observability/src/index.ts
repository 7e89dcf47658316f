export type { Counter, Gauge, Histogram, Registry } from 'prom-client';
export type { CreateLoggerOptions, DestinationStream, Level, LevelWithSilent, Logger } from './logger.ts';
export { createLogger, DEFAULT_REDACT_PATHS } from './logger.ts';
export { MASK, maskSecretsInString } from './mask-string.ts';
export type { HistogramDefinition, MetricDefinition, MetricsRegistryOptions } from './metrics.ts';
export { counter, createMetricsRegistry, gauge, histogram } from './metrics.ts';
export type { Sanitizer, SanitizerOptions } from './sanitize.ts';
export { createSanitizer, REDACTED } from './sanitize.ts';
export type { SecretMasker, SecretMaskerOptions } from './secret-masker.ts';
export {
  createSecretMasker,
  DEFAULT_EXCERPT_CHARS,
  MIN_SECRET_LENGTH,
  secretSpellings,
} from './secret-masker.ts';
export { exitOnSignals } from './shutdown.ts';
