import type { CliCommand } from '../cli/cli-command.ts';
import { budgetsCommand } from './budgets.ts';
import { completionCommand } from './completion.ts';
import { costsCommand } from './costs.ts';
import { demoCommand } from './demo.ts';
import { doctorCommand } from './doctor.ts';
import { cancelCommand, deleteCommand, retryCommand, statusCommand } from './document-commands.ts';
import { ingestCommand } from './ingest.ts';
import { keysCommand } from './keys.ts';
import { llmDemoCommand } from './llm-demo.ts';
import { migrateCommand } from './migrate.ts';
import { searchCommand } from './search.ts';
import { webhooksCommand } from './webhooks.ts';

/**
 * Every `aegis` command, in the order `aegis --help` lists them.
 *
 * To add a command: write `commands/<name>.ts` exporting a `CliCommand` whose `register(program)` declares
 * the command with commander (arguments, options with help text, `.choices()` for fixed values so shell
 * completion offers them) and an action that calls a package, then add it to this list. Print through
 * `outputFor(command)` so `--json` works, throw `AegisError`s (the exit code follows the error code, see
 * cli/exit-codes.ts), and add the command to test/cli/help.test.ts's expectations by running it.
 */
export const COMMANDS: readonly CliCommand[] = [
  ingestCommand,
  statusCommand,
  retryCommand,
  cancelCommand,
  deleteCommand,
  searchCommand,
  costsCommand,
  keysCommand,
  webhooksCommand,
  budgetsCommand,
  doctorCommand,
  migrateCommand,
  demoCommand,
  llmDemoCommand,
  completionCommand,
];
