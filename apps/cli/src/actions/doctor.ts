import type { Readiness } from '@aegis/client';
import type { Diagnosis, Finding } from '@aegis/diagnostics';
import type { Command } from 'commander';
import { outputFor } from '../cli/cli-command.ts';
import { connect, remoteSettings } from '../cli/connect.ts';
import { EXIT } from '../cli/exit-codes.ts';

const MARK: Record<Finding['status'], string> = { ok: '✓', fail: '✗', warn: '!', skipped: '·' };

/** The findings for people: one line each, the fix indented below, checks a failure blocked folded into one line. */
function printDiagnosis(diagnosis: Diagnosis, heading: string | undefined): void {
  if (heading) console.log(heading);
  const blocked = new Map<string, Finding[]>();
  for (const finding of diagnosis.findings) {
    if (finding.status === 'skipped' && finding.blockedBy) {
      blocked.set(finding.blockedBy, [...(blocked.get(finding.blockedBy) ?? []), finding]);
      continue;
    }
    console.log(`${MARK[finding.status]} ${finding.name}: ${finding.detail}`);
    if (finding.fix && finding.status !== 'ok') console.log(`    fix: ${finding.fix}`);
    const waiting = blocked.get(finding.id);
    if (waiting) blocked.delete(finding.id);
  }
  for (const [cause, findings] of blocked) {
    const name = diagnosis.findings.find((finding) => finding.id === cause)?.name ?? cause;
    console.log(`· not checked until ${name} works: ${findings.map((finding) => finding.name).join(', ')}`);
  }
  const failed = diagnosis.findings.filter((finding) => finding.required && finding.status === 'fail').length;
  const warnings = diagnosis.findings.filter((finding) => finding.status === 'warn').length;
  console.log(
    failed === 0
      ? `\nAll required checks passed${warnings > 0 ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}.`
      : `\n${failed} problem${failed > 1 ? 's' : ''} must be fixed before documents can be processed.`,
  );
}

/** Local: every check over connections opened here, each failing fast (no retry loops that hide the cause). */
async function diagnoseLocally(): Promise<{ diagnosis: Diagnosis; heading: string }> {
  const [
    { loadConfig },
    { diagnose, describeError },
    { createRouterFromConfig },
    { readCapacity },
    stores,
    worker,
    ioredis,
  ] = await Promise.all([
    import('@aegis/config'),
    import('@aegis/diagnostics'),
    import('@aegis/llm-router'),
    import('@aegis/queue'),
    import('@aegis/stores'),
    import('@aegis/worker'),
    import('ioredis'),
  ]);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    const finding: Finding = {
      id: 'config',
      name: 'Configuration',
      required: true,
      status: 'fail',
      detail: error instanceof Error ? error.message : String(error),
      fix: 'fix these variables in .env or the environment (.env.example documents each)',
    };
    return { diagnosis: { ok: false, findings: [finding] }, heading: '' };
  }
  const redisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3_000,
    enableOfflineQueue: false,
  };
  const redis = new ioredis.Redis(config.redis.url, redisOptions);
  // ioredis rejects connect() with "Connection is closed."; the reason (ECONNREFUSED, NOAUTH...) is the error event.
  let lastRedisError: unknown;
  redis.on('error', (error: unknown) => {
    lastRedisError = error;
  });
  const connected = redis.connect().catch((error: unknown) => {
    throw lastRedisError ?? error;
  });
  connected.catch(() => {});
  const pool = stores.createPostgresPool({
    url: config.database.url,
    max: 3,
    applicationName: 'aegis-doctor',
    connectionTimeoutMs: 3_000,
  });
  pool.on('error', () => {});
  const { vectors, graph } = await worker.storesFromConfig(config, pool);
  try {
    let router: Awaited<ReturnType<typeof createRouterFromConfig>>['router'];
    try {
      ({ router } = await createRouterFromConfig(config, { pool, redis }));
    } catch (error) {
      const finding: Finding = {
        id: 'config',
        name: 'Routing configuration',
        required: true,
        status: 'fail',
        detail: describeError(error).text,
        fix: 'fix LLM_ROUTING_FILE or LLM_PRICES_FILE',
      };
      return { diagnosis: { ok: false, findings: [finding] }, heading: '' };
    }
    const diagnosis = await diagnose({
      config,
      redis: {
        ping: async () => {
          await connected;
          return redis.ping();
        },
        config: (sub, parameter) => redis.config(sub, parameter),
      },
      pool,
      stores: { vectors, graph },
      router,
      pendingMigrations: () => stores.pendingMigrations(pool),
      embeddingBindings: () => stores.embeddingBindings(pool),
      countWorkers: async () => (await readCapacity(redis, config.redis.queuePrefix)).workers,
    });
    await router.close().catch(() => {});
    return {
      diagnosis,
      heading: `✓ Configuration: ${config.environment}, ${config.llm.routingMode} routing, ${vectors.kind} vectors, ${graph.kind} graph`,
    };
  } finally {
    redis.disconnect();
    await Promise.allSettled([vectors.close(), graph.close(), pool.end()]);
  }
}

/**
 * `aegis doctor`: for each dependency and each model task, whether it works right now, and one fix per cause.
 * Exit 1 when a required check fails. Remote (`--url`): the API's `/readyz`, which runs the same checks.
 */
export async function runDoctor(command: Command): Promise<void> {
  const out = outputFor(command);
  const remote = await remoteSettings(command);
  let diagnosis: Diagnosis;
  let heading: string | undefined;
  if (remote) {
    const connection = await connect(command);
    const readiness: Readiness & { httpStatus: number } = await connection.client.readiness();
    diagnosis = { ok: readiness.status === 'ready', findings: readiness.checks as Finding[] };
    heading = `Checks run by the API at ${remote.url}:`;
    await connection.close();
  } else ({ diagnosis, heading } = await diagnoseLocally());
  out.result(diagnosis, () => printDiagnosis(diagnosis, heading));
  if (!diagnosis.ok) process.exitCode = EXIT.FAILED;
}
