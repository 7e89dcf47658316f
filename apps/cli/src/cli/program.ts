import { Command, Option } from 'commander';
import type { CliCommand } from './cli-command.ts';
import { exitCodeHelp } from './exit-codes.ts';

/**
 * The `aegis` program: global options, help for every command and option (`aegis help [command]`, `-h`,
 * `--help` anywhere), and the commands given. Commander's own errors are thrown (exitOverride) so the caller
 * maps them to exit codes instead of commander calling process.exit.
 */
export function buildProgram(commands: readonly CliCommand[], version: string): Command {
  const program = new Command('aegis')
    .description(
      'Aegis Ingest: queue documents for RAG, follow them, search them, and see what they cost. ' +
        'Runs against the local Redis and Postgres (configured by .env or the environment), or against a remote ' +
        'API with --url and --api-key (or AEGIS_URL and AEGIS_API_KEY).',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for aegis or a command')
    .helpCommand('help [command]', 'show help for a command')
    // Program options end at the subcommand, so a command may have its own `--version <n>` (a document
    // version) without meeting `aegis --version`; the global options are added to every command instead.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .addHelpText(
      'after',
      `\nExit codes:\n${exitCodeHelp()}\n\nShell completion: aegis completion bash|zsh|fish (see aegis completion --help).`,
    );
  addGlobalOptions(program);
  for (const command of commands) command.register(program);
  // Subcommands inherit the error handling, so `aegis status --bogus` is a usage error too, not process.exit.
  for (const command of program.commands) inheritSettings(command);
  return program;
}

function inheritSettings(command: Command): void {
  command.exitOverride().showHelpAfterError('(run with --help for usage)').showSuggestionAfterError(true);
  if (command.commands.length === 0) addGlobalOptions(command);
  for (const child of command.commands) inheritSettings(child);
}

/** --json, --url, --api-key and --env-file, on the program and on every command that runs something. */
function addGlobalOptions(command: Command): void {
  const has = (flag: string) => command.options.some((option) => option.long === flag);
  if (!has('--json'))
    command.option('--json', 'print one JSON document on stdout (errors as JSON on stderr)');
  if (!has('--url'))
    command.addOption(
      new Option(
        '--url <url>',
        'talk to a remote Aegis API over HTTP (default: AEGIS_URL; unset = local mode)',
      ),
    );
  if (!has('--api-key'))
    command.addOption(new Option('--api-key <key>', 'API key for --url (default: AEGIS_API_KEY)'));
  if (!has('--env-file'))
    command.addOption(new Option('--env-file <path>', 'load this environment file instead of ./.env'));
}
