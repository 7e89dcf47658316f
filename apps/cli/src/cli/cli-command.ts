import type { Command } from 'commander';
import { createOutput, type Output } from './output.ts';

/** Options every command accepts (declared once on the program; commander passes them down). */
export interface GlobalOptions {
  /** One JSON document on stdout instead of text (errors as JSON on stderr). */
  json: boolean;
  /** A remote API to talk to instead of local Redis and Postgres (or AEGIS_URL). */
  url?: string | undefined;
  /** The API key for `--url` (or AEGIS_API_KEY). */
  apiKey?: string | undefined;
  /** An environment file to load instead of ./.env. */
  envFile?: string | undefined;
}

/**
 * One `aegis` command: a small module that declares its arguments, options and help, and whose action calls
 * into a package (the logic lives there, not here). See `commands/index.ts` for how to add one.
 */
export interface CliCommand {
  register(program: Command): void;
}

/** The global options as seen from inside a (sub)command's action. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** The output for a command's action, honouring `--json`. */
export function outputFor(command: Command): Output {
  return createOutput(globalOptions(command).json === true);
}
