import { isAegisError, nextStage, outageOf, type Stage, type StageJob, stageJobSchema } from '@aegis/core';
import {
  cleanupCancelled,
  finalizeVersion,
  type PipelineDeps,
  runMemoryCheck,
  STAGE_RUNNERS,
  type StageRun,
} from '@aegis/pipeline';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import {
  DEFAULT_FAULT_POLICY,
  type FaultPolicy,
  failedReason,
  faultKindOf,
  outageDelayMs,
} from './fault-policy.ts';
import type { ProgressEvent } from './progress-events.ts';
import type { StageQueues } from './stage-queues.ts';

export interface StageProcessorDeps {
  pipeline: PipelineDeps;
  queues: StageQueues;
  publish: (event: ProgressEvent) => void;
  /** Observes each finished stage run (metrics). */
  onStageFinished?:
    | ((stage: Stage, outcome: 'completed' | 'failed' | 'cancelled' | 'delayed', seconds: number) => void)
    | undefined;
  /** Outage and provider-outage waits; defaults in DEFAULT_FAULT_POLICY. */
  faultPolicy?: Partial<FaultPolicy> | undefined;
}

export type StageOutcome = { outcome: 'completed' | 'skipped' | 'cancelled'; reason?: string };

/** Job data the processor keeps beside the ids: consecutive outage waits, for the backoff. */
type JobData = StageJob & {
  outages?: number;
  /** Delayed by the memory check for lack of headroom: `wakeMemoryWaiters` promotes it when memory frees. */
  waitingForMemory?: boolean;
};

/**
 * The BullMQ processor of one stage. Postgres decides what runs: a job whose run was superseded by a retry,
 * or whose stage is already completed, does nothing but make sure the hand-off happened. A completed stage
 * marks itself done (fenced by its run), then enqueues the next stage (deterministic job id), so a
 * re-delivered job cannot enqueue twice.
 *
 * Faults (ADR 012): an infrastructure outage (Postgres, Redis, a store, the blob folder) delays the job without
 * consuming an attempt, with a doubling pause; so does a provider outage (no provider of the chain can serve),
 * up to `providerOutageMaxWaitMs` per stage run. Only the document's own failures consume attempts; permanent
 * ones become UnrecoverableError, and the last failed attempt fails the version. A failure that cannot be
 * written to Postgres reaches BullMQ as `CODE: message`, and the reconciler writes it later.
 */
export function createStageProcessor(deps: StageProcessorDeps, stage: Stage) {
  const { repository } = deps.pipeline;
  const policy: FaultPolicy = { ...DEFAULT_FAULT_POLICY, ...deps.faultPolicy };

  function publishStage(job: StageJob, status: string, extra: Record<string, unknown> = {}): void {
    deps.publish({
      type: 'stage',
      documentId: job.documentId,
      version: job.version,
      stage,
      status,
      ...extra,
    } as ProgressEvent);
  }

  async function handOff(job: StageJob): Promise<void> {
    const next = nextStage(stage);
    if (!next) {
      const status = await finalizeVersion(deps.pipeline, job.documentId, job.version);
      // The document's cost is read from the ledger: make it complete before announcing completion.
      await deps.pipeline.router
        .flush()
        .catch((error: unknown) =>
          deps.pipeline.logger.warn({ err: error }, 'ledger flush failed; rows stay queued'),
        );
      deps.publish({ type: 'version', documentId: job.documentId, version: job.version, status });
      return;
    }
    const runs = await repository.stageRuns(job.documentId, job.version);
    const nextRun = runs.find((candidate) => candidate.stage === next);
    if (!nextRun || nextRun.status === 'completed') return;
    await repository.setStage(job.documentId, job.version, next, 'queued', { run: nextRun.run });
    await deps.queues.enqueue({ documentId: job.documentId, version: job.version, run: nextRun.run }, next);
    deps.publish({
      type: 'stage',
      documentId: job.documentId,
      version: job.version,
      stage: next,
      status: 'queued',
    });
  }

  async function cancel(job: StageJob): Promise<StageOutcome> {
    await cleanupCancelled(deps.pipeline, job.documentId, job.version);
    deps.publish({ type: 'version', documentId: job.documentId, version: job.version, status: 'cancelled' });
    return { outcome: 'cancelled' };
  }

  /** Comes back later without consuming an attempt; the stage shows why meanwhile (when Postgres can say so). */
  async function delay(
    bullJob: Job<JobData>,
    token: string | undefined,
    delayMs: number,
    detail: { errorCode: string; errorMessage: string },
    data: JobData,
  ): Promise<never> {
    await repository
      .setStage(data.documentId, data.version, stage, 'waiting', { ...detail, run: data.run })
      .catch(() => false);
    publishStage(data, 'waiting', { errorCode: detail.errorCode });
    await bullJob.updateData(data);
    await bullJob.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  async function fail(job: StageJob, code: string, message: string): Promise<void> {
    await repository.setStage(job.documentId, job.version, stage, 'failed', {
      errorCode: code,
      errorMessage: message,
      run: job.run,
    });
    await repository.setVersionStatus(job.documentId, job.version, 'failed', {
      errorCode: code,
      errorMessage: message,
    });
    publishStage(job, 'failed', { errorCode: code });
    deps.publish({
      type: 'version',
      documentId: job.documentId,
      version: job.version,
      status: 'failed',
      errorCode: code,
    });
  }

  return async (bullJob: Job<JobData>, token?: string, signal?: AbortSignal): Promise<StageOutcome> => {
    const parsed = stageJobSchema.safeParse(bullJob.data);
    if (!parsed.success) throw new UnrecoverableError(`VALIDATION_FAILED: malformed ${stage} job payload`);
    const job = parsed.data;
    const outages = bullJob.data.outages ?? 0;
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    let providerWaitOver = false;

    try {
      const [version, runs] = await Promise.all([
        repository.getVersion(job.documentId, job.version),
        repository.stageRuns(job.documentId, job.version),
      ]);
      const current = runs.find((candidate) => candidate.stage === stage);
      if (!version || !current) return { outcome: 'skipped', reason: 'document version no longer exists' };
      if (current.run !== job.run)
        return { outcome: 'skipped', reason: `run ${job.run} was superseded by run ${current.run}` };
      if (version.status === 'cancelling' || version.status === 'cancelled') return await cancel(job);
      if (version.status === 'failed' || version.status === 'superseded')
        return { outcome: 'skipped', reason: `version is ${version.status}` };
      if (current.status === 'completed') {
        // Re-delivered after the stage finished (e.g. the worker died before acknowledging): only hand off.
        await handOff(job);
        return { outcome: 'skipped', reason: 'stage already completed' };
      }
      providerWaitOver =
        current.providerWaitSince !== null &&
        Date.now() - current.providerWaitSince.getTime() >= policy.providerOutageMaxWaitMs;

      if (!(await repository.startStage(job.documentId, job.version, stage, job.run)))
        return { outcome: 'skipped', reason: `run ${job.run} was superseded` };
      publishStage(job, 'running');
      const run: StageRun = {
        documentId: job.documentId,
        version: job.version,
        run: job.run,
        signal,
        providerWaitOver,
        isCurrent: async () => (await repository.currentRun(job.documentId, job.version, stage)) === job.run,
        async progress(done, total) {
          await repository.setProgress(job.documentId, job.version, stage, done, total, job.run);
          await bullJob.updateProgress({ done, total }).catch(() => {});
          publishStage(job, 'running', { done, total });
        },
      };

      if (stage === 'memory-check') {
        const decision = await runMemoryCheck(deps.pipeline, run);
        if (decision.kind === 'wait') {
          // Not enough memory on any worker right now: come back later without consuming an attempt, or as
          // soon as a worker frees memory (wakeMemoryWaiters).
          deps.onStageFinished?.(stage, 'delayed', seconds());
          return await delay(
            bullJob,
            token,
            decision.delayMs,
            { errorCode: 'DOCUMENT_TOO_LARGE', errorMessage: decision.reason },
            { ...job, outages: 0, waitingForMemory: true },
          );
        }
      } else {
        await STAGE_RUNNERS[stage](deps.pipeline, run);
      }
      if (!(await repository.setStage(job.documentId, job.version, stage, 'completed', { run: job.run })))
        return { outcome: 'skipped', reason: `run ${job.run} was superseded while it ran` };
      publishStage(job, 'completed');
      deps.onStageFinished?.(stage, 'completed', seconds());
      await handOff(job);
      return { outcome: 'completed' };
    } catch (error) {
      if (error instanceof DelayedError || error instanceof UnrecoverableError) throw error;
      if (isAegisError(error, 'RUN_SUPERSEDED'))
        return { outcome: 'skipped', reason: 'superseded by a retry while it ran' };
      const kind = faultKindOf(error);
      const code = isAegisError(error) ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);

      if (kind === 'outage') {
        // Not the document's fault: pause without consuming an attempt, longer each time, and resume.
        deps.pipeline.logger.warn(
          { documentId: job.documentId, version: job.version, stage, dependency: outageOf(error), outages },
          `stage ${stage} waits for ${outageOf(error)} to return: ${message}`,
        );
        deps.onStageFinished?.(stage, 'delayed', seconds());
        return await delay(
          bullJob,
          token,
          outageDelayMs(policy, outages),
          { errorCode: code, errorMessage: message },
          { ...job, outages: outages + 1 },
        );
      }
      if (
        isAegisError(error, 'DOCUMENT_CANCELLED') ||
        (await repository.isCancelling(job.documentId, job.version).catch(() => false))
      ) {
        deps.onStageFinished?.(stage, 'cancelled', seconds());
        return await cancel(job).catch((cleanupError: unknown) => {
          throw new Error(failedReason('DOCUMENT_CANCELLED', String(cleanupError)), { cause: cleanupError });
        });
      }
      if (kind === 'provider-outage' && !providerWaitOver) {
        const since = await repository
          .startProviderWait(job.documentId, job.version, stage, job.run)
          .catch(() => undefined);
        const waited = since ? Date.now() - since.getTime() : 0;
        // Also once the wait is over: the next run knows it (providerWaitOver), so a stage that can finish
        // without what is missing (image descriptions) does so, and any other fails with this code.
        deps.onStageFinished?.(stage, 'delayed', seconds());
        return await delay(
          bullJob,
          token,
          Math.max(1, Math.min(policy.providerRetryDelayMs, policy.providerOutageMaxWaitMs - waited + 1)),
          { errorCode: code, errorMessage: message },
          { ...job, outages: 0 },
        );
      }

      const permanent = kind === 'provider-outage' || (isAegisError(error) && !error.retryable);
      const lastAttempt = bullJob.attemptsMade + 1 >= (bullJob.opts.attempts ?? 1);
      if (permanent || lastAttempt) {
        try {
          await fail(job, code, message);
        } catch (writeError) {
          // Postgres cannot take the failure now: BullMQ keeps it with its code, the reconciler writes it.
          deps.pipeline.logger.warn(
            { documentId: job.documentId, version: job.version, stage, code, err: writeError },
            'the failure could not be recorded; the reconciler records it from the failed job',
          );
          throw new UnrecoverableError(failedReason(code, message));
        }
        deps.onStageFinished?.(stage, 'failed', seconds());
        deps.pipeline.logger.warn(
          { documentId: job.documentId, version: job.version, stage, code },
          `stage ${stage} failed: ${message}`,
        );
        if (permanent) throw new UnrecoverableError(failedReason(code, message));
        throw new Error(failedReason(code, message), { cause: error });
      }
      // Retried by BullMQ after its backoff; the stage shows the error meanwhile.
      await repository
        .setStage(job.documentId, job.version, stage, 'queued', {
          errorCode: code,
          errorMessage: message,
          run: job.run,
        })
        .catch(() => false);
      throw new Error(failedReason(code, message), { cause: error });
    }
  };
}
