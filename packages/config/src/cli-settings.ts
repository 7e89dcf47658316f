import { AegisError } from '@aegis/core';
import { configSchema } from './config-schema.ts';
import { normalizeEnv } from './load-config.ts';

/** Where the `aegis` CLI sends its requests when it runs against a remote API. */
export interface CliRemoteSettings {
  /** AEGIS_URL: base URL of the API; undefined means local mode. */
  url: string | undefined;
  /** AEGIS_API_KEY. */
  apiKey: string | undefined;
}

const cliSchema = configSchema.pick({ AEGIS_URL: true, AEGIS_API_KEY: true });

/**
 * Reads only the CLI's remote-mode variables. The remote CLI runs on a laptop with none of the server's
 * configuration, so it must not need (or validate) the rest of the environment.
 *
 * @throws AegisError `CONFIG_INVALID` when AEGIS_URL is not an http(s) URL.
 */
export function loadCliRemoteSettings(env: Readonly<Record<string, string | undefined>>): CliRemoteSettings {
  const parsed = cliSchema.safeParse(normalizeEnv(env));
  if (!parsed.success)
    throw new AegisError(
      'CONFIG_INVALID',
      `Invalid configuration: ${parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`).join('; ')}`,
    );
  return { url: parsed.data.AEGIS_URL, apiKey: parsed.data.AEGIS_API_KEY };
}
