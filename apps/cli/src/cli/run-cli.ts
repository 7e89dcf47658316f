import { readFileSync } from 'node:fs';
import { loadDotEnv } from '@aegis/config';
import { isAegisError } from '@aegis/core';
import { CommanderError } from 'commander';
import type { CliCommand, GlobalOptions } from './cli-command.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { buildProgram } from './program.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Commander's own outcomes: help and version are success; everything else it throws is a usage error. */
function commanderExit(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.OK;
  if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  return EXIT.USAGE;
}

/**
 * Runs `aegis` with `argv` (as process.argv: node, script, then arguments) and returns the exit code.
 * Loads `.env` (or `--env-file`) before any command runs; prints failures as `CODE: message` (or JSON under
 * `--json`) on stderr.
 */
export async function runCli(argv: readonly string[], commands: readonly CliCommand[]): Promise<number> {
  const program = buildProgram(commands, VERSION);
  program.hook('preAction', (_program, action) => {
    loadDotEnv({ file: action.optsWithGlobals<GlobalOptions>().envFile });
  });
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(error);
    const code = isAegisError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    if (argv.includes('--json')) {
      const details =
        isAegisError(error) && Object.keys(error.details).length > 0 ? error.details : undefined;
      process.stderr.write(
        `${JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } })}\n`,
      );
    } else process.stderr.write(`${code}: ${message}\n`);
    return exitCodeFor(error);
  }
}
