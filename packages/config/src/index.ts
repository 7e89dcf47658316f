export type { AppConfig, CloudProviderConfig } from './app-config.ts';
export { toAppConfig } from './app-config.ts';
export type { CliRemoteSettings } from './cli-settings.ts';
export { loadCliRemoteSettings } from './cli-settings.ts';
export type {
  CloudProviderName,
  Environment,
  FlatConfig,
  GraphStoreKind,
  LlmRoutingMode,
  LogLevel,
  VectorStoreKind,
} from './config-schema.ts';
export {
  CLOUD_PROVIDERS,
  configSchema,
  ENVIRONMENTS,
  GRAPH_STORES,
  LLM_ROUTING_MODES,
  LOG_LEVELS,
  VECTOR_STORES,
} from './config-schema.ts';
export type { EnvVarDescription } from './describe-env.ts';
export { describeEnv, envKeys, SECRET_ENV_KEYS } from './describe-env.ts';
export { loadDotEnv } from './dot-env.ts';
export type { EnvGroup, EnvVarMeta } from './env-var.ts';
export { configProblems, loadConfig, normalizeEnv } from './load-config.ts';
export {
  configuredSecretValues,
  maskSecrets,
  maskUrlCredentials,
  REDACTED,
  SECRET_CONFIG_FIELDS,
  secretKeyNames,
} from './mask-secrets.ts';
export { isPublishedSecret, PUBLISHED_SECRET_VALUES } from './published-secrets.ts';
export { renderEnvExample } from './render-env-example.ts';
export { estimatedEntropyBits, KNOWN_WEAK_SECRETS, secretWeaknesses } from './secret-strength.ts';
