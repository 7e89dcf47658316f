import type { AppConfig } from '@aegis/config';
import { AegisError } from '@aegis/core';
import type { Command } from 'commander';
import { type CliCommand, outputFor } from '../cli/cli-command.ts';
import { cliActor } from './budgets.ts';

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
  const notices: string[] = [];
  const { applied } = await runMigrations({
    databaseUrl: config.database.url,
    onNotice: (message) => notices.push(message),
  });
  const caps = await applyConfiguredCaps(config);
  const vectorSearch = await enableVectorIndex(config, notices);
  out.result({ createdDatabase: created, applied, budgetCaps: caps, notices, vectorSearch }, () => {
    if (created) console.log('Created the database.');
    console.log(
      applied.length === 0
        ? 'Database schema is up to date.'
        : `Applied ${applied.length} migration(s):\n${applied.map((file) => `  - ${file}`).join('\n')}`,
    );
    for (const notice of notices) console.log(notice);
    console.log(`Vector search: ${vectorSearch}.`);
    for (const change of caps.filter((cap) => cap.changed)) {
      console.log(
        `Budget cap of ${change.provider}: ${change.fromText} -> ${change.toText} (from BUDGET_${change.provider.toUpperCase()}_MONTHLY_USD, audited).`,
      );
    }
  });
}

/** pgvector installed after the schema was migrated without it: turn it on now (idempotent). */
async function enableVectorIndex(config: AppConfig, notices: string[]): Promise<string> {
  const { createPostgresPool, enablePgvector } = await import('@aegis/stores');
  const pool = createPostgresPool({ url: config.database.url, max: 2, applicationName: 'aegis-migrate' });
  try {
    const mode = await enablePgvector(pool, (message) => notices.push(message));
    return mode.kind === 'pgvector' ? `pgvector ${mode.version} (HNSW)` : `exact scan (${mode.reason})`;
  } finally {
    await pool.end();
  }
}

/**
 * `aegis migrate` is the one process start that applies budget caps from configuration, and only the
 * BUDGET_<P>_MONTHLY_USD variables that are set: an unset one leaves the stored cap alone, so a shell without
 * the operator's variables changes nothing. Each change is audited like `aegis budgets set`.
 */
async function applyConfiguredCaps(config: AppConfig) {
  const [{ configuredCaps, createBudgetCaps, formatCap }, { createLogger }, { createPostgresPool }] =
    await Promise.all([import('@aegis/llm-router'), import('@aegis/observability'), import('@aegis/stores')]);
  const pool = createPostgresPool({ url: config.database.url, max: 1, applicationName: 'aegis-migrate' });
  try {
    const caps = createBudgetCaps({
      pool,
      providers: Object.keys(config.llm.providers),
      logger: createLogger({ level: 'warn', name: 'aegis-migrate' }),
    });
    const results = await caps.applyConfigured(configuredCaps(config), cliActor('migrate'));
    return results.map((result) => ({
      ...result,
      fromText: formatCap(result.from, result.wasSet),
      toText: formatCap(result.to, true),
    }));
  } finally {
    await pool.end();
  }
}

export const migrateCommand: CliCommand = {
  register(program) {
    program
      .command('migrate')
      .description(
        'create the database if it does not exist, apply pending migrations (idempotent, safe to run concurrently) and the budget caps that BUDGET_<P>_MONTHLY_USD sets (audited; unset ones keep the stored cap)',
      )
      .addHelpText('after', '\nLocal only: needs DATABASE_URL (it is never run through --url).')
      .action(async (_options, command: Command) => migrate(command));
  },
};
