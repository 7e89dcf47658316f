import { STAGES, type Stage } from '@aegis/core';
import { cleanupCancelled, finalizeVersion, type PipelineDeps } from '@aegis/pipeline';
import type { Redis } from 'ioredis';
import type { ProgressEvent } from './progress-events.ts';
import type { StageQueues } from './stage-queues.ts';

export interface ReconcilerDeps {
  pipeline: PipelineDeps;
  queues: StageQueues;
  redis: Redis;
  publish: (event: ProgressEvent) => void;
  /** A running stage that has not updated Postgres for this long is presumed dead and re-enqueued. Default 120000. */
  staleRunningMs?: number;
}

export interface ReconcileReport {
  checked: number;
  requeued: Array<{ documentId: string; version: number; stage: Stage }>;
  finalized: number;
  cancelled: number;
}

/**
 * Postgres is the truth, Redis only carries work. For every version Postgres says is pending, make sure the
 * job of its current stage exists in Redis; re-enqueue it (same deterministic id) when it is missing, as after
 * a Redis restart or FLUSHALL. Safe to run anywhere, any time: enqueueing an existing id is a no-op and every
 * stage is idempotent. A short Redis lock keeps concurrent reconcilers from doing the same work twice.
 */
export async function reconcile(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, requeued: [], finalized: 0, cancelled: 0 };
  const lock = `${deps.queues.prefix}:reconciler:lock`;
  if ((await deps.redis.set(lock, String(process.pid), 'PX', 30_000, 'NX')) !== 'OK') return report;
  try {
    const { repository } = deps.pipeline;
    const staleMs = deps.staleRunningMs ?? 120_000;
    for (const { documentId, version, status } of await repository.pendingVersions()) {
      report.checked += 1;
      const runs = await repository.stageRuns(documentId, version);
      const current = STAGES.map((stage) => runs.find((run) => run.stage === stage)).find(
        (run) => run && run.status !== 'completed',
      );
      if (status === 'cancelling') {
        const active = current?.status === 'running' && Date.now() - current.updatedAt.getTime() < staleMs;
        if (!active) {
          await cleanupCancelled(deps.pipeline, documentId, version);
          deps.publish({ type: 'version', documentId, version, status: 'cancelled' });
          report.cancelled += 1;
        }
        continue;
      }
      if (!current) {
        // Every stage completed but the version was not finalised (the worker died in between).
        await finalizeVersion(deps.pipeline, documentId, version);
        deps.publish({ type: 'version', documentId, version, status: 'completed' });
        report.finalized += 1;
        continue;
      }
      if (current.status === 'failed' || current.status === 'cancelled') continue;
      if (current.status === 'running' && Date.now() - current.updatedAt.getTime() < staleMs) continue;
      const job = { documentId, version, run: current.run };
      const state = await deps.queues.state(job, current.stage);
      if (state === 'missing' || state === 'unknown') {
        await repository.setStage(documentId, version, current.stage, 'queued');
        await deps.queues.enqueue(job, current.stage);
        deps.publish({ type: 'stage', documentId, version, stage: current.stage, status: 'queued' });
        report.requeued.push({ documentId, version, stage: current.stage });
      }
    }
    return report;
  } finally {
    await deps.redis.del(lock).catch(() => {});
  }
}

/** Runs `reconcile` now and then every `intervalMs`; returns a stop function. */
export function startReconciler(
  deps: ReconcilerDeps & { intervalMs?: number; onReport?: (report: ReconcileReport) => void },
): () => void {
  const run = (): void => {
    reconcile(deps).then(
      (report) => deps.onReport?.(report),
      (error: unknown) => deps.pipeline.logger.warn({ err: error }, 'reconciler pass failed'),
    );
  };
  run();
  const timer = setInterval(run, deps.intervalMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}
