import { parseMetadata } from '@aegis/core';
import { type Command, InvalidArgumentError } from 'commander';
import type { IngestOptions } from '../actions/ingest.ts';
import type { CliCommand } from '../cli/cli-command.ts';

/** A duration in whole seconds (0 allowed where it means "never"). */
export function seconds(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError('a number of seconds (0 or more)');
  return value;
}

/** `--metadata`: a JSON object, checked like the API checks it. */
function metadataOption(raw: string): Record<string, unknown> {
  try {
    return parseMetadata(raw);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

export const ingestCommand: CliCommand = {
  register(program) {
    program
      .command('ingest')
      .description('register files, folders or globs and queue them (the same bytes again do nothing)')
      .argument('<paths...>', 'files, folders (every file inside, hidden ones skipped) or glob patterns')
      .option('-w, --wait', 'follow each document until it is final, with live progress')
      .option('--timeout <seconds>', 'with --wait: stop waiting after this long (0 = never)', seconds, 1800)
      .option(
        '--warn-after <seconds>',
        'with --wait: warn when no worker has started a document after this long',
        seconds,
        15,
      )
      .option('--kb <name>', 'the knowledge base to ingest into (default: default)')
      .option(
        '--metadata <json>',
        'user metadata for every file, a JSON object (stored on every chunk)',
        metadataOption,
      )
      .addHelpText(
        'after',
        '\nExit codes with --wait: 0 all completed, 1 some failed or were cancelled, 7 timeout, 130 Ctrl-C.',
      )
      .action((paths: string[], options: IngestOptions, command: Command) =>
        import('../actions/ingest.ts').then((action) => action.ingest(paths, options, command)),
      );
  },
};
