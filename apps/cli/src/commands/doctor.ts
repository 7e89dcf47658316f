import type { Command } from 'commander';
import type { CliCommand } from '../cli/cli-command.ts';

export const doctorCommand: CliCommand = {
  register(program) {
    program
      .command('doctor')
      .description(
        'check Redis, Postgres, migrations, the blob folder, the stores, and whether each model task (embedding, extraction, vision, generation) can be served right now; one fix per cause',
      )
      .addHelpText(
        'after',
        '\nExit 0 when every required check passes (warnings allowed), 1 otherwise. With --url it shows the checks of that API (/readyz), which are the same.',
      )
      .action((_options, command: Command) =>
        import('../actions/doctor.ts').then((action) => action.runDoctor(command)),
      );
  },
};
