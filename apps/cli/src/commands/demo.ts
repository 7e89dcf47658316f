import type { Command } from 'commander';
import type { CliCommand } from '../cli/cli-command.ts';

export const demoCommand: CliCommand = {
  register(program) {
    program
      .command('demo')
      .description(
        'simulated models, real everything else: start workers, API and watcher, and ingest the sample corpus',
      )
      .option('--exit', 'stop after the corpus is processed instead of running until Ctrl-C')
      .option('--corpus <folder>', 'ingest this folder instead of the shared corpus or the built-in samples')
      .option('--port <port>', 'API port (a free one when taken)', '8080')
      .action((options: { exit?: boolean; corpus?: string; port: string }, _command: Command) =>
        import('../actions/demo.ts').then((action) => action.runDemo(options)),
      );
  },
};
