import { type AppConfig, loadConfig, loadDotEnv } from '@aegis/config';
import { type Command, CommanderError } from 'commander';

/**
 * The start of every long-running entry point (worker, API, watcher): parse the command line (`--help` prints
 * usage and exits 0 before anything starts; a bad flag exits 2), load `.env` or `--env-file`, then the
 * configuration (every problem listed at once, exit 2). Returns the parsed options and the configuration.
 */
export function prepareEntryPoint<O extends { envFile?: string | undefined }>(
  program: Command,
  argv: readonly string[],
): { options: O; config: AppConfig } {
  let options: O;
  try {
    options = program
      .option('--env-file <path>', 'load this environment file instead of ./.env')
      .helpOption('-h, --help', 'show this help and exit')
      .exitOverride()
      .parse([...argv])
      .opts<O>();
  } catch (error) {
    process.exit(error instanceof CommanderError && error.exitCode === 0 ? 0 : 2);
  }
  loadDotEnv({ file: options.envFile });
  try {
    return { options, config: loadConfig(process.env) };
  } catch (error) {
    // Production without its secrets (or any invalid setting) ends here, with every problem listed at once.
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
}
