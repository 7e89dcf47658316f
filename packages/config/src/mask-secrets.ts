import type { AppConfig } from './app-config.ts';
import { SECRET_ENV_KEYS } from './describe-env.ts';

/** Field names in `AppConfig` that hold credentials (`llm.providers.*.apiKey`, `graphStore.neo4j.password`...). */
export const SECRET_CONFIG_FIELDS: readonly string[] = [
  'apiKey',
  'password',
  'apiKeyPepper',
  'sessionSecret',
  'token',
];

/**
 * Every key name a logger should redact for this config: the secret env names and the nested field names.
 * Pass to `createLogger({ secretKeys })` from `@aegis/observability`.
 */
export function secretKeyNames(): string[] {
  return [...SECRET_ENV_KEYS, ...SECRET_CONFIG_FIELDS];
}

/** Replacement for a set secret; unset secrets stay `undefined` so "is it configured?" remains visible. */
export const REDACTED = '[redacted]';

// scheme://user:password@  ->  scheme://user:***@ ; the password may not contain '/', '@' or whitespace unescaped.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s/@]+)@/gi;

/** Masks the password of any `scheme://user:password@host` inside `text`. */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@');
}

/**
 * A deep copy of `config` safe to log or print (`aegis doctor`): secret fields become `[redacted]` and
 * passwords inside URLs become `***`. Works on `AppConfig` and on a flat env record alike.
 */
export function maskSecrets<T extends AppConfig | Readonly<Record<string, unknown>>>(config: T): T {
  const secretNames = new Set<string>([...SECRET_ENV_KEYS, ...SECRET_CONFIG_FIELDS]);
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (key !== undefined && secretNames.has(key) && value !== undefined && value !== null) return REDACTED;
    if (typeof value === 'string') return maskUrlCredentials(value);
    if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(config, undefined) as T;
}

const SECRET_QUERY_PARAMETER = /^(api[_-]?key|key|token|access[_-]?token|secret|password|sig|signature)$/i;

/** Credentials inside one URL: its password (raw and decoded) and secret-named query parameters. */
function urlSecrets(text: string): string[] {
  const url = URL.parse(text.trim());
  if (url === null) return [];
  const found: string[] = [];
  if (url.password !== '') {
    found.push(url.password);
    try {
      found.push(decodeURIComponent(url.password));
    } catch {
      // a malformed escape: the raw spelling is still collected
    }
  }
  for (const [name, value] of url.searchParams)
    if (SECRET_QUERY_PARAMETER.test(name) && value !== '') found.push(value);
  return found;
}

/**
 * Every secret value in `config`: the secret fields (provider keys, passwords, pepper, session secret, metrics
 * token) and credentials inside any URL (DATABASE_URL and REDIS_URL passwords, a key in a base URL's query).
 * Give them to the logger and the secret masker (`@aegis/observability`), so errors that echo one are masked
 * even when its format matches no pattern.
 */
export function configuredSecretValues(config: AppConfig): string[] {
  const secretNames = new Set<string>([...SECRET_ENV_KEYS, ...SECRET_CONFIG_FIELDS]);
  const found = new Set<string>();
  const walk = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') {
      if (key !== undefined && secretNames.has(key)) found.add(value);
      else if (value.includes('://')) for (const secret of urlSecrets(value)) found.add(secret);
      return;
    }
    if (Array.isArray(value)) for (const item of value) walk(item, undefined);
    else if (value !== null && typeof value === 'object')
      for (const [childKey, child] of Object.entries(value)) walk(child, childKey);
  };
  walk(config, undefined);
  return [...found].filter((value) => value.trim() !== '');
}
