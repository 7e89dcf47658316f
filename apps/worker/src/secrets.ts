import { type AppConfig, configuredSecretValues, secretKeyNames } from '@aegis/config';
import {
  createLogger,
  createSecretMasker,
  type DestinationStream,
  type LevelWithSilent,
  type Logger,
  type SecretMasker,
} from '@aegis/observability';

/** The masker of every stored, returned or written error text: patterns plus this config's exact secrets. */
export function secretMaskerFor(config: AppConfig): SecretMasker {
  return createSecretMasker({ secretValues: configuredSecretValues(config) });
}

/**
 * The logger every process starts with: secret field names redacted and this config's exact secret values
 * (provider keys of any format, the passwords inside DATABASE_URL and REDIS_URL, the pepper...) masked in text.
 */
export function createAppLogger(
  config: AppConfig,
  options: { name: string; level?: LevelWithSilent | undefined; destination?: DestinationStream | undefined },
): Logger {
  return createLogger({
    level: options.level ?? config.logLevel,
    name: options.name,
    secretKeys: secretKeyNames(),
    secretValues: configuredSecretValues(config),
    ...(options.destination === undefined ? {} : { destination: options.destination }),
  });
}
