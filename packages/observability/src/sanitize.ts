import { stdSerializers } from 'pino';
import { maskSecretsInString } from './mask-string.ts';

/** Replacement for the value of a secret field. */
export const REDACTED = '[redacted]';

/** Normalized (lowercase, alphanumerics only) field names that always hold credentials. */
const SECRET_FIELD_NAMES = new Set([
  'apikey',
  'password',
  'passwd',
  'pwd',
  'token',
  'secret',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'clientsecret',
  'privatekey',
  'xapikey',
  'credentials',
  'pepper',
]);

/** Suffixes that make a field a secret too: `openaiApiKey`, `neo4jPassword`, `sessionSecret`, `metricsToken`. */
const SECRET_FIELD_SUFFIXES = ['apikey', 'password', 'secret', 'token', 'pepper'];

const MAX_DEPTH = 12;

/** Lowercase alphanumerics only, so `OPENAI_API_KEY`, `openaiApiKey` and `openai-api-key` compare equal. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Options for `createSanitizer`. */
export interface SanitizerOptions {
  /** Extra field names to redact at any depth, matched case- and separator-insensitively (`OPENAI_API_KEY`). */
  secretKeys?: readonly string[];
  /** Exact secret values to mask wherever they appear inside strings. */
  secretValues?: readonly string[];
}

/** A function returning a redacted deep copy of any loggable value. */
export type Sanitizer = (value: unknown) => unknown;

/**
 * Builds a deep sanitizer: fields whose name looks like a credential become `[redacted]` at any depth,
 * strings have embedded credentials masked, errors are serialized (message, stack, causes, own fields) and
 * then sanitized. Cycles become `[Circular]`; nesting beyond 12 levels becomes `[Truncated]`. Never mutates
 * its input.
 */
export function createSanitizer(options: SanitizerOptions = {}): Sanitizer {
  const extra = new Set((options.secretKeys ?? []).map(normalizeKey));
  const secretValues = options.secretValues ?? [];
  const isSecretKey = (key: string): boolean => {
    const k = normalizeKey(key);
    return (
      SECRET_FIELD_NAMES.has(k) || extra.has(k) || SECRET_FIELD_SUFFIXES.some((suffix) => k.endsWith(suffix))
    );
  };

  const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return maskSecretsInString(value, secretValues);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Truncated]';
    if (value instanceof URL) return maskSecretsInString(value.href, secretValues);
    if (value instanceof Date || ArrayBuffer.isView(value)) return value;
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, seen));
      let source: object = value;
      if (value instanceof Error) {
        // The std serializer folds causes into message/stack and keeps custom fields (code, details...).
        source = { ...(stdSerializers.err(value) as unknown as Record<string, unknown>) };
      } else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        const json = (value as { toJSON: () => unknown }).toJSON();
        if (json === null || typeof json !== 'object') return walk(json, depth + 1, seen);
        source = json;
      } else if (value instanceof Map) {
        source = Object.fromEntries(value);
      } else if (value instanceof Set) {
        return [...value].map((item) => walk(item, depth + 1, seen));
      }
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(source)) {
        // Dropped as JSON would; keeping the key would let pino's redact paths print "[redacted]" for an unset secret.
        if (child === undefined) continue;
        out[key] = isSecretKey(key) && child !== null ? REDACTED : walk(child, depth + 1, seen);
      }
      return out;
    } finally {
      seen.delete(value);
    }
  };

  return (value) => walk(value, 0, new WeakSet());
}
