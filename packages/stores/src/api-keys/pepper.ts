import { AegisError } from '@aegis/core';

/**
 * The pepper development uses when `API_KEY_PEPPER` is unset. It is public (it is in the source), so keys
 * hashed with it are only as safe as the database: production refuses to start without a real pepper
 * (`loadConfig` lists API_KEY_PEPPER as a problem). Fixed rather than random so the API and the CLI
 * (`aegis keys create`) agree on hashes across restarts.
 */
export const DEV_API_KEY_PEPPER = 'aegis-development-pepper-not-for-production';

/**
 * The pepper to hash API keys with: the configured one, or in development the fixed dev pepper.
 * `insecure` tells the caller to log a warning.
 *
 * @throws AegisError `CONFIG_INVALID` in production without a pepper (loadConfig normally refuses such a config earlier).
 */
export function resolveApiKeyPepper(options: { pepper: string | undefined; isProduction: boolean }): {
  pepper: string;
  insecure: boolean;
} {
  if (options.pepper !== undefined) return { pepper: options.pepper, insecure: false };
  if (options.isProduction)
    throw new AegisError('CONFIG_INVALID', 'API_KEY_PEPPER is required in production');
  return { pepper: DEV_API_KEY_PEPPER, insecure: true };
}
