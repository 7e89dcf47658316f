import {
  type PrivatePostgres,
  type PrivateRedis,
  startPrivatePostgres,
  startPrivateRedis,
} from '@aegis/testkit';
import { type FaultSystem, startWorker } from './fault-model.ts';
import { createPipelineHarness } from './pipeline-harness.ts';

/**
 * The system the fault tests and drills break: a private redis-server and a private Postgres cluster (so they can
 * be flushed and stopped), the provider simulator, the producer in this process and `workers` worker processes.
 */
export async function startFaultSystem(options: {
  workers: number;
  env?: Record<string, string>;
}): Promise<FaultSystem & { stop(): Promise<void> }> {
  const redis: PrivateRedis = await startPrivateRedis();
  const postgres: PrivatePostgres = await startPrivatePostgres();
  const harness = await createPipelineHarness({
    startWorkers: false,
    redisUrl: redis.url,
    databaseUrl: postgres.url,
    env: {
      WORKER_LOCK_DURATION_MS: '3000',
      RECONCILE_INTERVAL_MS: '1000',
      OUTAGE_RETRY_MAX_DELAY_MS: '2000',
      PROVIDER_OUTAGE_MAX_WAIT_MS: '60000',
      BREAKER_BASE_COOLDOWN_MS: '200',
      BREAKER_MAX_COOLDOWN_MS: '1000',
      LLM_EMBED_BATCH_SIZE: '4',
      CHUNK_TARGET_TOKENS: '48',
      CHUNK_MAX_TOKENS: '64',
      CHUNK_OVERLAP_TOKENS: '4',
      ...options.env,
    },
  });
  const system: FaultSystem = { harness, redis, postgres, workers: [], tally: new Map() };
  for (let index = 0; index < options.workers; index += 1) startWorker(system);
  return {
    ...system,
    async stop() {
      for (const worker of system.workers)
        if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      await postgres.start();
      await harness.close().catch(() => {});
      await postgres.destroy();
      await redis.stop();
    },
  };
}
