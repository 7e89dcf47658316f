import { isAegisError } from '@aegis/core';
import { runMigrations } from '../run-migrations.ts';

// The one place in this package that reads the environment: the script is an entry point, like an app.
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/aegis';

try {
  const { applied } = await runMigrations({ databaseUrl });
  if (applied.length === 0) console.log('Database schema is up to date; no migrations applied.');
  else
    console.log(
      `Applied ${applied.length} migration(s):\n${applied.map((name) => `  - ${name}`).join('\n')}`,
    );
} catch (error) {
  const code = isAegisError(error) ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  console.error(`${code}: ${message}`);
  console.error('Check that Postgres is reachable at DATABASE_URL and that the user may create tables.');
  process.exitCode = 1;
}
