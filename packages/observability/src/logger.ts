import type { DestinationStream, Level, LevelWithSilent, Logger as PinoLogger } from 'pino';
import { pino } from 'pino';
import { createSanitizer, REDACTED } from './sanitize.ts';
import { createSecretMasker } from './secret-masker.ts';

/** The logger every package receives; a plain pino logger. */
export type Logger = PinoLogger;

/** Options for `createLogger`. */
export interface CreateLoggerOptions {
  /** Minimum level. Default `info`. */
  level?: LevelWithSilent;
  /** `name` field on every line, e.g. the service or stage. Default: none. */
  name?: string;
  /** Where lines go. Default: stdout (pino's default). Tests pass a capturing stream. */
  destination?: DestinationStream;
  /**
   * More field names to redact at any depth, e.g. the config package's secret env names
   * (`secretKeyNames()` from `@aegis/config`); the common ones (apiKey, password, token...) are built in.
   */
  secretKeys?: readonly string[];
  /** Exact secret values (from the loaded config) to mask wherever they appear in text. */
  secretValues?: readonly string[];
  /** Fields on every line (service, version...). Default: none. */
  base?: Record<string, unknown>;
}

/** Field paths redacted by pino itself, before and independent of the deep sanitizer. */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  'apiKey',
  'api_key',
  'password',
  'token',
  'secret',
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-api-key"]',
  'config.*.apiKey',
  'config.*.password',
  'config.*.*.apiKey',
  'config.*.*.password',
  'config.*.*.*.apiKey',
  'config.api.apiKeyPepper',
  'config.api.sessionSecret',
  'config.metrics.token',
];

function pathSegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key.replace(/"/g, '\\"')}"]`;
}

function joinPath(prefix: string, key: string): string {
  const segment = pathSegment(key);
  return segment.startsWith('[') ? `${prefix}${segment}` : `${prefix}.${segment}`;
}

/**
 * Creates a pino logger that never writes credentials. Three layers, because each misses something:
 * - pino `redact` paths (fixed depth) for the well-known fields and `secretKeys`, censor `[redacted]`;
 * - a deep sanitizer on every logged object and child binding: secret-looking field names at any depth,
 *   errors serialized with their causes;
 * - string masking on messages, format arguments and every string field: URL passwords
 *   (`postgres://user:***@host`), `Bearer ***`, credential query parameters, provider API keys.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const secretKeys = options.secretKeys ?? [];
  // The same masking as stored and returned errors: every spelling of each value (URL-encoded, JSON-escaped).
  const masker = createSecretMasker({ secretValues: options.secretValues });
  const sanitize = createSanitizer({ secretKeys, secretValues: masker.values });
  const mask = masker.mask;
  const paths = [
    ...DEFAULT_REDACT_PATHS,
    ...secretKeys.flatMap((key) => [pathSegment(key), joinPath('*', key), joinPath('config', key)]),
  ];

  const logger = pino(
    {
      level: options.level ?? 'info',
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.base === undefined ? {} : { base: options.base }),
      redact: { paths: [...new Set(paths)], censor: REDACTED },
      serializers: {
        // Replaces pino's default err serializer: same shape, but with credentials masked.
        err: (value: unknown) => sanitize(value),
      },
      formatters: {
        bindings: (bindings) => sanitize(bindings) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args: Parameters<PinoLogger['info']>, method, _level: number) {
          if (args.length === 0) return method.apply(this, args);
          const [first, ...rest] = args as unknown[];
          let out: unknown[];
          if (first instanceof Error) {
            // pino would take the message verbatim from the error; hand it a masked one instead.
            out = [{ err: sanitize(first) }, ...rest.map(sanitizeArg)];
            if (typeof rest[0] !== 'string') out.splice(1, 0, mask(first.message));
          } else {
            out = [first, ...rest].map(sanitizeArg);
          }
          return method.apply(this, out as Parameters<PinoLogger['info']>);
        },
      },
    },
    options.destination,
  );

  // pino applies `formatters.bindings` only to the root's base bindings, not to `child()` bindings. Children
  // inherit from their parent by prototype, so this own property covers grandchildren as well.
  const { child, setBindings } = logger;
  logger.child = function sanitizedChild(this: Logger, bindings, childOptions) {
    return child.call(this, sanitize(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  logger.setBindings = function sanitizedSetBindings(this: Logger, bindings) {
    setBindings.call(this, sanitize(bindings) as typeof bindings);
  };
  return logger;

  function sanitizeArg(arg: unknown): unknown {
    return typeof arg === 'string' ? mask(arg) : sanitize(arg);
  }
}

export type { DestinationStream, Level, LevelWithSilent };
