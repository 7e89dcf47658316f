import type { CliCommand } from '../cli/cli-command.ts';

export const doctorCommand: CliCommand = {
  register(program) {
    program
      .command('doctor')
      .description('check Redis, Postgres, stores, models and budgets, and say how to fix each problem')
      .action(() => import('../actions/doctor.ts').then((action) => action.runDoctor()));
  },
};
