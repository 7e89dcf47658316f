import { AegisError, ERROR_CODES, isCompletedStatus, STAGES, type Stage, type StageJob } from '@aegis/core';
import { cleanupCancelled, finalizeVersion, type PipelineDeps, type StageRunRecord } from '@aegis/pipeline';
import type { Redis } from 'ioredis';
import { codeOfFailedReason, faultKindOf, STALLED_REASON } from './fault-policy.ts';
import type { ProgressEvent } from './progress-events.ts';
import type { StageQueues } from './stage-queues.ts';

export interface ReconcilerDeps {
  pipeline: PipelineDeps;
  queues: StageQueues;
  redis: Redis;
  publish: (event: ProgressEvent) => void;
  /** A running stage that has not updated Postgres for this long is presumed dead and re-enqueued. Default 120000. */
  staleRunningMs?: number;
  /**
   * Times a stage run abandoned by dying workers (BullMQ: stalled more than allowed) is put back into work;
   * one more fails the document with WORKER_CRASHED (it presumably kills the workers). Default 3.
   */
  maxCrashes?: number;
}

export interface ReconcileReport {
  checked: number;
  requeued: Array<{ documentId: string; version: number; stage: Stage; reason: string }>;
  finalized: number;
  cancelled: number;
  /** Failures BullMQ decided (or the processor could not write) that were recorded in Postgres now. */
  failed: Array<{ documentId: string; version: number; stage: Stage; code: string }>;
}

/**
 * Postgres is the truth, Redis only carries work (ADR 004, ADR 012). For every version Postgres says is pending,
 * the job of its current stage must be alive in Redis. What BullMQ decided on its own is brought into Postgres:
 * - job missing (FLUSHALL, restart, lost enqueue): re-enqueued under the same id;
 * - failed because its workers died ("stalled more than allowable limit"): back into work, up to `maxCrashes`
 *   times, then the version fails with WORKER_CRASHED;
 * - failed with one of our codes the processor could not write (Postgres was down): that failure is written;
 * - failed for any other reason (lost lock, an outage BullMQ saw first) or completed without Postgres knowing:
 *   back into work.
 * Safe to run anywhere, any time: every stage is idempotent and a short Redis lock keeps concurrent
 * reconcilers from doing the same work twice.
 */
export async function reconcile(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, requeued: [], finalized: 0, cancelled: 0, failed: [] };
  const lock = `${deps.queues.prefix}:reconciler:lock`;
  if ((await deps.redis.set(lock, String(process.pid), 'PX', 30_000, 'NX')) !== 'OK') return report;
  try {
    for (const { documentId, version, status } of await deps.pipeline.repository.pendingVersions()) {
      report.checked += 1;
      await reconcileVersion(deps, report, documentId, version, status);
    }
    return report;
  } finally {
    await deps.redis.del(lock).catch(() => {});
  }
}

async function reconcileVersion(
  deps: ReconcilerDeps,
  report: ReconcileReport,
  documentId: string,
  version: number,
  status: string,
): Promise<void> {
  const { repository } = deps.pipeline;
  const staleMs = deps.staleRunningMs ?? 120_000;
  const runs = await repository.stageRuns(documentId, version);
  const current = STAGES.map((stage) => runs.find((run) => run.stage === stage)).find(
    (run): run is StageRunRecord => run !== undefined && run.status !== 'completed',
  );
  const recent = (run: StageRunRecord): boolean => Date.now() - run.updatedAt.getTime() < staleMs;
  if (status === 'cancelling') {
    if (!(current?.status === 'running' && recent(current))) {
      await cleanupCancelled(deps.pipeline, documentId, version);
      deps.publish({ type: 'version', documentId, version, status: 'cancelled' });
      report.cancelled += 1;
    }
    return;
  }
  if (!current) {
    // Every stage completed but the version was not finalised (the worker died in between).
    const final = await finalizeVersion(deps.pipeline, documentId, version);
    deps.publish({ type: 'version', documentId, version, status: final });
    report.finalized += 1;
    return;
  }
  if (current.status === 'failed') {
    // The stage's failure was written but the version's was not (Postgres went away in between).
    await failVersion(
      deps,
      report,
      { documentId, version, run: current.run },
      current.stage,
      current.errorCode,
    );
    return;
  }
  if (current.status === 'cancelled') return;

  const job: StageJob = { documentId, version, run: current.run };
  const { state, failedReason } = await deps.queues.inspect(job, current.stage);
  if (state === 'failed') {
    if (STALLED_REASON.test(failedReason ?? '')) {
      const crashes = await repository.recordCrash(documentId, version, current.stage, current.run);
      if (crashes > (deps.maxCrashes ?? 3)) {
        await failVersion(deps, report, job, current.stage, 'WORKER_CRASHED', failedReason);
        return;
      }
      await requeue(deps, report, job, current.stage, `workers died running it (${crashes})`, true);
      return;
    }
    // The processor only fails a job with one of our codes when it decided the document failed.
    const code = codeOfFailedReason(failedReason, ERROR_CODES);
    if (code !== undefined && faultKindOf(new AegisError(code, '')) !== 'outage') {
      await failVersion(deps, report, job, current.stage, code, failedReason);
      return;
    }
    await requeue(deps, report, job, current.stage, `BullMQ failed it: ${failedReason ?? 'no reason'}`, true);
    return;
  }
  if (state === 'completed') {
    await requeue(deps, report, job, current.stage, 'job completed without Postgres knowing', true);
    return;
  }
  if (state === 'missing' || state === 'unknown') {
    if (current.status === 'running' && recent(current)) return;
    await requeue(deps, report, job, current.stage, 'Redis lost the job', false);
  }
}

async function requeue(
  deps: ReconcilerDeps,
  report: ReconcileReport,
  job: StageJob,
  stage: Stage,
  reason: string,
  replace: boolean,
): Promise<void> {
  if (
    !(await deps.pipeline.repository.setStage(job.documentId, job.version, stage, 'queued', { run: job.run }))
  )
    return;
  if (replace) await deps.queues.requeue(job, stage);
  else await deps.queues.enqueue(job, stage);
  deps.publish({ type: 'stage', documentId: job.documentId, version: job.version, stage, status: 'queued' });
  report.requeued.push({ documentId: job.documentId, version: job.version, stage, reason });
}

async function failVersion(
  deps: ReconcilerDeps,
  report: ReconcileReport,
  job: StageJob,
  stage: Stage,
  code: string | null,
  reason?: string,
): Promise<void> {
  const { repository } = deps.pipeline;
  const errorCode = code ?? 'INTERNAL';
  const errorMessage =
    errorCode === 'WORKER_CRASHED'
      ? `the workers running ${stage} died every time (${reason ?? 'stalled'}); the document presumably kills them`
      : (reason?.replace(/^[A-Z_]+: /, '') ?? `stage ${stage} failed`);
  await repository.setStage(job.documentId, job.version, stage, 'failed', {
    errorCode,
    errorMessage,
    run: job.run,
  });
  const record = await repository.getVersion(job.documentId, job.version);
  if (record && (isCompletedStatus(record.status) || record.status === 'cancelled')) return;
  await repository.setVersionStatus(job.documentId, job.version, 'failed', { errorCode, errorMessage });
  deps.publish({ type: 'stage', documentId: job.documentId, version: job.version, stage, status: 'failed' });
  deps.publish({
    type: 'version',
    documentId: job.documentId,
    version: job.version,
    status: 'failed',
    errorCode,
  });
  report.failed.push({ documentId: job.documentId, version: job.version, stage, code: errorCode });
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
