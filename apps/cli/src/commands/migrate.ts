import { AegisError } from '@aegis/core';
import type { Command } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';

async function migrate(command: Command): Promise<void> {
  const out = outputFor(command);
  const [{ loadConfig }, { ensureDatabase, runMigrations }] = await Promise.all([
    import('@aegis/config'),
    import('@aegis/stores'),
  ]);
  const config = loadConfig(process.env);
  let created: boolean;
  try {
    created = await ensureDatabase(config.database.url);
  } catch (error) {
    throw new AegisError(
      'DATABASE_UNAVAILABLE',
      `cannot reach Postgres at DATABASE_URL: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const { applied } = await runMigrations({ databaseUrl: config.database.url });
  out.result({ createdDatabase: created, applied }, () => {
    if (created) console.log('Created the database.');
    console.log(
      applied.length === 0
        ? 'Database schema is up to date.'
        : `Applied ${applied.length} migration(s):\n${applied.map((file) => `  - ${file}`).join('\n')}`,
    );
  });
}

export const migrateCommand: CliCommand = {
  register(program) {
    program
      .command('migrate')
      .description(
        'create the database if it does not exist and apply pending migrations (idempotent, safe to run concurrently)',
      )
      .addHelpText('after', '\nLocal only: needs DATABASE_URL (it is never run through --url).')
      .action(async (_options, command: Command) => migrate(command));
  },
};
