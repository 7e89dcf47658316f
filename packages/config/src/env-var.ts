import { z } from 'zod';

/** Which `.env.example` section a variable is rendered under; the order of first use is the file's order. */
export type EnvGroup =
  | 'Service'
  | 'Postgres'
  | 'Redis and queues'
  | 'Vector and graph stores'
  | 'Search'
  | 'LLM routing'
  | 'Ollama (local models)'
  | 'Static embeddings (in process)'
  | 'Cloud providers: OpenAI'
  | 'Cloud providers: DashScope'
  | 'Cloud providers: Groq'
  | 'Cloud providers: OpenRouter'
  | 'Budgets'
  | 'Circuit breakers'
  | 'Pipeline workers'
  | 'HTTP API and metrics'
  | 'Watched folder'
  | 'Webhooks'
  | 'API secrets'
  | 'CLI remote mode';

/** Documentation attached to every field of the config schema; read back by `describeEnv()`. */
export interface EnvVarMeta {
  /** Section header in `.env.example`. */
  group: EnvGroup;
  /** The raw string used when the variable is unset or empty; `undefined` means "no default". */
  default?: string;
  /** A credential: never logged, never echoed in error messages, left blank in `.env.example`. */
  secret: boolean;
  /**
   * A value shown commented out in `.env.example` for optional variables without a default
   * (e.g. the local Qdrant URL), so operators see the expected shape without enabling it.
   */
  example?: string;
}

/**
 * Metadata registry for the env schema. A dedicated registry (not zod's global one) so other packages'
 * schemas can never be mistaken for environment variables.
 */
export const envRegistry = z.registry<EnvVarMeta>();

/** Empty and whitespace-only strings count as unset, so `KEY=` in a .env file means "use the default". */
export function emptyToUndefined(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

interface EnvVarOptions<T extends z.ZodType<unknown, string>> {
  /** What the variable means, with units; becomes `.describe()` and the `.env.example` comment. */
  description: string;
  group: EnvGroup;
  secret?: boolean;
  example?: string;
  /** Parser for a present, non-empty value. */
  schema: T;
}

function register<S extends z.ZodType>(
  field: S,
  options: EnvVarOptions<z.ZodType<unknown, string>>,
  fallback?: string,
): S {
  const meta: EnvVarMeta = { group: options.group, secret: options.secret ?? false };
  if (fallback !== undefined) meta.default = fallback;
  if (options.example !== undefined) meta.example = options.example;
  envRegistry.add(field, meta);
  return field;
}

/**
 * Declares an environment variable with a default. The default is a raw string fed through the same parser
 * (zod `prefault`), so a bad default fails like a bad user value, and the documentation lives on the schema
 * itself so `.env.example` is rendered from the one source of truth.
 */
export function envVar<T extends z.ZodType<unknown, string>>(
  options: EnvVarOptions<T> & { default: string },
) {
  const field = z
    .preprocess(emptyToUndefined, options.schema.prefault(options.default as z.input<T>))
    .describe(options.description);
  return register(field, options, options.default);
}

/** Declares an environment variable without a default: unset (or empty) parses to `undefined`. */
export function optionalEnvVar<T extends z.ZodType<unknown, string>>(options: EnvVarOptions<T>) {
  const field = z.preprocess(emptyToUndefined, options.schema.optional()).describe(options.description);
  return register(field, options);
}
