import { configSchema } from './config-schema.ts';
import type { EnvGroup } from './env-var.ts';
import { envRegistry } from './env-var.ts';

/** Documentation of one environment variable, as declared in `configSchema`. */
export interface EnvVarDescription {
  key: string;
  group: EnvGroup;
  /** Raw default string, or `undefined` when the variable has none. */
  default: string | undefined;
  description: string;
  /** A credential: never logged or echoed; blank in `.env.example`. */
  secret: boolean;
  /** Illustrative value for optional variables without a default. */
  example: string | undefined;
}

/** Every variable of `configSchema`, in schema order, with its default, description and secret flag. */
export function describeEnv(): EnvVarDescription[] {
  return Object.entries(configSchema.shape).map(([key, field]) => {
    const meta = envRegistry.get(field);
    if (meta === undefined) throw new Error(`config schema field ${key} was not declared with envVar()`);
    return {
      key,
      group: meta.group,
      default: meta.default,
      description: field.description ?? '',
      secret: meta.secret,
      example: meta.example,
    };
  });
}

/** All environment variable names the system reads, in schema order. */
export function envKeys(): string[] {
  return Object.keys(configSchema.shape);
}

/** Names of the variables holding credentials (API keys, passwords, peppers, tokens). */
export const SECRET_ENV_KEYS: readonly string[] = describeEnv()
  .filter((v) => v.secret)
  .map((v) => v.key);
