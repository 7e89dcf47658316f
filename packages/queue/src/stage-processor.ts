import { AegisError, isAegisError, nextStage, type Stage, type StageJob, stageJobSchema } from '@aegis/core';
import {
  cleanupCancelled,
  finalizeVersion,
  type PipelineDeps,
  runMemoryCheck,
  STAGE_RUNNERS,
  type StageRun,
} from '@aegis/pipeline';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
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
}

export type StageOutcome = { outcome: 'completed' | 'skipped' | 'cancelled'; reason?: string };

/**
 * The BullMQ processor of one stage. Postgres decides what runs: a job whose run was superseded by a retry,
 * or whose stage is already completed, does nothing but make sure the hand-off happened. A completed stage
 * marks itself done, then enqueues the next stage (deterministic job id), so a re-delivered job cannot
 * enqueue twice. Permanent failures become UnrecoverableError; the last failed attempt fails the version.
 */
export function createStageProcessor(deps: StageProcessorDeps, stage: Stage) {
  const { repository } = deps.pipeline;

  async function handOff(job: StageJob): Promise<void> {
    const next = nextStage(stage);
    if (!next) {
      await finalizeVersion(deps.pipeline, job.documentId, job.version);
      // The document's cost is read from the ledger: make it complete before announcing completion.
      await deps.pipeline.router
        .flush()
        .catch((error: unknown) =>
          deps.pipeline.logger.warn({ err: error }, 'ledger flush failed; rows stay queued'),
        );
      deps.publish({
        type: 'version',
        documentId: job.documentId,
        version: job.version,
        status: 'completed',
      });
      return;
    }
    const runs = await repository.stageRuns(job.documentId, job.version);
    const nextRun = runs.find((candidate) => candidate.stage === next);
    if (!nextRun || nextRun.status === 'completed') return;
    await repository.setStage(job.documentId, job.version, next, 'queued');
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

  return async (bullJob: Job<StageJob>, token?: string): Promise<StageOutcome> => {
    const parsed = stageJobSchema.safeParse(bullJob.data);
    if (!parsed.success) throw new UnrecoverableError(`VALIDATION_FAILED: malformed ${stage} job payload`);
    const job = parsed.data;
    const [version, runs] = await Promise.all([
      repository.getVersion(job.documentId, job.version),
      repository.stageRuns(job.documentId, job.version),
    ]);
    const current = runs.find((candidate) => candidate.stage === stage);
    if (!version || !current) return { outcome: 'skipped', reason: 'document version no longer exists' };
    if (current.run !== job.run)
      return { outcome: 'skipped', reason: `run ${job.run} was superseded by run ${current.run}` };
    if (version.status === 'cancelling' || version.status === 'cancelled') return cancel(job);
    if (version.status === 'failed' || version.status === 'superseded')
      return { outcome: 'skipped', reason: `version is ${version.status}` };
    if (current.status === 'completed') {
      // Re-delivered after the stage finished (e.g. the worker died before acknowledging): only hand off.
      await handOff(job);
      return { outcome: 'skipped', reason: 'stage already completed' };
    }

    const started = performance.now();
    await repository.startStage(job.documentId, job.version, stage);
    deps.publish({
      type: 'stage',
      documentId: job.documentId,
      version: job.version,
      stage,
      status: 'running',
    });
    const run: StageRun = {
      documentId: job.documentId,
      version: job.version,
      async progress(done, total) {
        await repository.setProgress(job.documentId, job.version, stage, done, total);
        await bullJob.updateProgress({ done, total }).catch(() => {});
        deps.publish({
          type: 'stage',
          documentId: job.documentId,
          version: job.version,
          stage,
          status: 'running',
          done,
          total,
        });
      },
    };
    const seconds = (): number => (performance.now() - started) / 1000;

    try {
      if (stage === 'memory-check') {
        const decision = await runMemoryCheck(deps.pipeline, run);
        if (decision.kind === 'wait') {
          // Not enough memory on any worker right now: come back later without consuming an attempt.
          await repository.setStage(job.documentId, job.version, stage, 'waiting', {
            errorMessage: decision.reason,
          });
          deps.publish({
            type: 'stage',
            documentId: job.documentId,
            version: job.version,
            stage,
            status: 'waiting',
          });
          deps.onStageFinished?.(stage, 'delayed', seconds());
          await bullJob.moveToDelayed(Date.now() + decision.delayMs, token);
          throw new DelayedError();
        }
      } else {
        await STAGE_RUNNERS[stage](deps.pipeline, run);
      }
      await repository.setStage(job.documentId, job.version, stage, 'completed');
      deps.publish({
        type: 'stage',
        documentId: job.documentId,
        version: job.version,
        stage,
        status: 'completed',
      });
      deps.onStageFinished?.(stage, 'completed', seconds());
      await handOff(job);
      return { outcome: 'completed' };
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      if (
        isAegisError(error, 'DOCUMENT_CANCELLED') ||
        (await repository.isCancelling(job.documentId, job.version))
      ) {
        deps.onStageFinished?.(stage, 'cancelled', seconds());
        return cancel(job);
      }
      const code = isAegisError(error) ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      const permanent = isAegisError(error) && !error.retryable;
      const lastAttempt = bullJob.attemptsMade + 1 >= (bullJob.opts.attempts ?? 1);
      if (permanent || lastAttempt) {
        await repository.setStage(job.documentId, job.version, stage, 'failed', {
          errorCode: code,
          errorMessage: message,
        });
        await repository.setVersionStatus(job.documentId, job.version, 'failed', {
          errorCode: code,
          errorMessage: message,
        });
        deps.publish({
          type: 'stage',
          documentId: job.documentId,
          version: job.version,
          stage,
          status: 'failed',
          errorCode: code,
        });
        deps.publish({
          type: 'version',
          documentId: job.documentId,
          version: job.version,
          status: 'failed',
          errorCode: code,
        });
        deps.onStageFinished?.(stage, 'failed', seconds());
        deps.pipeline.logger.warn(
          { documentId: job.documentId, version: job.version, stage, code },
          `stage ${stage} failed: ${message}`,
        );
        if (permanent) throw new UnrecoverableError(`${code}: ${message}`);
        throw error;
      }
      // Retried by BullMQ after its backoff; the stage shows the error meanwhile.
      await repository.setStage(job.documentId, job.version, stage, 'queued', {
        errorCode: code,
        errorMessage: message,
      });
      throw error instanceof Error ? error : new AegisError('INTERNAL', message);
    }
  };
}
