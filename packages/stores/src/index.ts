export type { PostgresPoolOptions } from './postgres-pool.ts';
export { createPostgresPool } from './postgres-pool.ts';
export type { RunMigrationsOptions, RunMigrationsResult } from './run-migrations.ts';
export { MIGRATIONS_DIR, runMigrations } from './run-migrations.ts';
