import type { AppConfig } from '@aegis/config';
import type { GraphStore, VectorStore } from '@aegis/core';
import { type Router, TASK_TYPES, type TaskType } from '@aegis/llm-router';
import { describeError, withTimeout } from './describe-error.ts';
import type { Diagnosis, Finding } from './finding.ts';
import {
  checkBlobDir,
  checkPostgres,
  checkRedis,
  checkStores,
  checkWorkers,
  type PostgresLike,
  type RedisLike,
} from './infrastructure-checks.ts';
import { checkTasks, REQUIRED_TASKS, TASK_NAMES } from './task-checks.ts';

/** What a diagnosis reads. The doctor passes connections it opened itself; /readyz passes the API's own. */
export interface DiagnoseDeps {
  config: AppConfig;
  redis: RedisLike;
  pool: PostgresLike;
  stores: { vectors: VectorStore; graph: GraphStore };
  router: Pick<Router, 'taskReadiness'>;
  pendingMigrations(): Promise<string[]>;
  embeddingBindings(): Promise<Array<{ knowledgeBase: string; provider: string; model: string }>>;
  countWorkers(): Promise<number>;
  /** Time limit per check, in ms. Default 3000. */
  timeoutMs?: number | undefined;
  /** Which model tasks to check. Default all four. */
  tasks?: readonly TaskType[] | undefined;
}

const skipped = (finding: Pick<Finding, 'id' | 'name' | 'required'>, blockedBy: Finding): Finding => ({
  ...finding,
  status: 'skipped',
  detail: `not checked: needs ${blockedBy.name}`,
  blockedBy: blockedBy.id,
});

/**
 * Everything the system needs to process a document, checked in dependency order so that one cause gives one
 * line: with Postgres down, the migrations, the lite stores and the model tasks (whose budgets live there) are
 * `skipped` with `blockedBy: 'postgres'` instead of failing each on their own. `ok` is false when any required
 * finding failed. Shared by `aegis doctor` and `/readyz`, so both always agree.
 */
export async function diagnose(deps: DiagnoseDeps): Promise<Diagnosis> {
  const { config } = deps;
  const timeoutMs = deps.timeoutMs ?? 3_000;
  const tasks = deps.tasks ?? TASK_TYPES;
  const [redis, postgres, blobs] = await Promise.all([
    checkRedis(config, deps.redis, timeoutMs),
    checkPostgres(config, deps.pool, deps.pendingMigrations, timeoutMs),
    checkBlobDir(config),
  ]);
  const findings: Finding[] = [...redis, ...postgres, blobs];
  const postgresDown = postgres.find((finding) => finding.id === 'postgres' && finding.status === 'fail');
  const redisDown = redis.find((finding) => finding.id === 'redis' && finding.status === 'fail');

  const storesNeedPostgres = deps.stores.vectors.kind === 'postgres' || deps.stores.graph.kind === 'postgres';
  if (postgresDown && storesNeedPostgres) {
    findings.push(
      skipped(
        { id: 'vectors', name: `Vector store (${deps.stores.vectors.kind})`, required: true },
        postgresDown,
      ),
      skipped({ id: 'graph', name: `Graph store (${deps.stores.graph.kind})`, required: true }, postgresDown),
    );
  } else findings.push(...(await checkStores(config, deps.stores, timeoutMs)));

  if (postgresDown) {
    for (const task of tasks)
      findings.push(
        skipped(
          {
            id: `task:${task}`,
            name: TASK_NAMES[task],
            required: REQUIRED_TASKS.has(task),
          },
          postgresDown,
        ),
      );
  } else {
    const bindings = await withTimeout(deps.embeddingBindings(), timeoutMs).catch((error: unknown) => error);
    const migrationsPending = postgres.some(
      (finding) => finding.id === 'migrations' && finding.status === 'fail',
    );
    if (Array.isArray(bindings)) findings.push(...(await checkTasks(config, deps.router, bindings, tasks)));
    // The bindings table comes with a migration: that line already says what to do; judge the chains alone.
    else if (migrationsPending) findings.push(...(await checkTasks(config, deps.router, [], tasks)));
    else
      findings.push({
        id: 'task:embedding',
        name: 'Embedding',
        required: true,
        status: 'fail',
        detail: `cannot read the knowledge bases' embedding models: ${describeError(bindings).text}`,
        fix: '`npm run migrate`',
      });
  }

  findings.push(
    redisDown
      ? skipped({ id: 'workers', name: 'Workers', required: false }, redisDown)
      : await checkWorkers(deps.countWorkers, timeoutMs),
  );
  return { ok: !findings.some((finding) => finding.required && finding.status === 'fail'), findings };
}
