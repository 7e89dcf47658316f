import { hostname } from 'node:os';
import type { AppConfig } from '@aegis/config';
import { isAegisError, isStage, outageOf, type Stage } from '@aegis/core';
import { createRouterFromConfig, type Logger, VISION_PROMPT } from '@aegis/llm-router';
import { counter, type SecretMasker } from '@aegis/observability';
import { createSandboxPool, ocrEngineInUse, type PipelineDeps, type PipelineOptions } from '@aegis/pipeline';
import {
  assertNoEviction,
  type CapacityReporter,
  createProducer,
  createProgressPublisher,
  createRedisConnection,
  createStageQueues,
  createWebhookQueue,
  lockTimings,
  type Producer,
  readCapacity,
  registerPipelineMetrics,
  type StageQueues,
  startCapacityReports,
  startReconciler,
  startStageWorkers,
  startWebhookDispatcher,
  startWebhookWorker,
  type WebhookQueue,
  wakeMemoryWaiters,
} from '@aegis/queue';
import {
  createFileBlobStore,
  createPostgresDocumentRepository,
  createPostgresPool,
  createWebhookStore,
  runMigrations,
  type WebhookStore,
} from '@aegis/stores';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { startWorkerMetricsServer } from './metrics-server.ts';
import { secretMaskerFor } from './secrets.ts';
import { storesFromConfig } from './stores-from-config.ts';

export interface WorkerRuntimeOptions {
  config: AppConfig;
  logger: Logger;
  /** Stages to run; default from config (WORKER_STAGES). An empty list starts no workers (a producer-only runtime). */
  stages?: readonly Stage[] | undefined;
  registry?: Registry | undefined;
  /** Apply migrations at start (idempotent, lock-protected). Default true. */
  migrate?: boolean | undefined;
  /** An existing pool (tests); otherwise one is created from DATABASE_URL. */
  pool?: pg.Pool | undefined;
  workerId?: string | undefined;
  /** Serve /metrics on METRICS_PORT (the worker app turns it on; tests, the CLI and the API leave it off). Default false. */
  metricsServer?: boolean | undefined;
}

export interface WorkerRuntime {
  config: AppConfig;
  /** The runtime's Postgres pool and Redis connection, for surfaces that query them (API, CLI). */
  pool: pg.Pool;
  redis: Redis;
  producer: Producer;
  pipeline: PipelineDeps;
  queues: StageQueues;
  registry: Registry;
  /** Completion-event webhooks: the registry and delivery log, and the delivery queue (ADR 018). */
  webhooks: { store: WebhookStore; queue: WebhookQueue };
  /** Masks this config's secrets (and credential patterns) in error texts before they are stored or shown. */
  masker: SecretMasker;
  /** The bound /metrics port when `metricsServer` is on. */
  metricsPort: number | undefined;
  /** Graceful: stops taking jobs, waits for active ones, flushes the ledger, closes connections. */
  close(): Promise<void>;
}

/** Says which OCR engine this host's extract workers use: the native binary needs a system package. */
function logOcrEngine(config: AppConfig, logger: Logger): void {
  const ocr = ocrEngineInUse(config.pipeline.ocr);
  if (ocr.engine === 'tesseract.js' && config.pipeline.ocr.command !== '')
    logger.warn(
      { ocr: ocr.engine, command: config.pipeline.ocr.command },
      'OCR uses the bundled tesseract.js: no native tesseract here (apt-get install tesseract-ocr, or OCR_TESSERACT_COMMAND); it needs about three times the memory per OCR page',
    );
  else logger.info({ ocr: ocr.engine, binary: ocr.binary }, 'OCR engine');
}

export function pipelineOptions(config: AppConfig): PipelineOptions {
  const { pipeline, llm } = config;
  return {
    chunk: pipeline.chunk,
    extractionLimits: {
      maxImagePixels: pipeline.extract.maxImagePixels,
      pageTimeoutMs: pipeline.extract.pageTimeoutMs,
      maxImagesPerPage: 64,
    },
    ocr: pipeline.ocr,
    embedBatchSize: llm.embedBatchSize,
    modelConcurrency: pipeline.modelConcurrency,
    visionPromptVersion: 'vision-v1',
    visionPrompt: VISION_PROMPT,
    graphPromptVersion: 'graph-v1',
    maxPagesPerRange: pipeline.extract.pagesPerRange,
    memoryRetryDelayMs: 15_000,
    search: {
      keywordWeight: config.search.keywordWeight,
      vectorWeight: config.search.vectorWeight,
      rrfK: config.search.rrfK,
    },
  };
}

/** Everything a worker process runs, wired from config: the apps only call this and handle signals. */
export async function startWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { config, logger } = options;
  const prefix = config.redis.queuePrefix;
  const stages = options.stages ?? config.pipeline.stages.filter(isStage);
  const registry = options.registry ?? new Registry();
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;

  // Workers' blocking commands must wait through reconnects; a producer-only runtime (API, CLI) must fail fast
  // instead, so a request answers 503 QUEUE_UNAVAILABLE rather than hang while Redis is down.
  let redisDown = false;
  const redis = createRedisConnection(
    config.redis.url,
    stages.length > 0 ? 'worker' : 'producer',
    (error) => {
      // One line per outage, not one per reconnect attempt.
      if (!redisDown) logger.warn({ err: error }, 'Redis is unreachable; reconnecting');
      redisDown = true;
    },
  );
  redis.on('ready', () => {
    if (redisDown) logger.info({}, 'Redis is reachable again');
    redisDown = false;
  });
  // A worker (re)started during an outage waits for its dependencies instead of exiting: a supervisor that
  // restarts killed workers must not end up with none while Postgres or Redis is down.
  const waitFor = <T>(what: string, step: () => Promise<T>): Promise<T> =>
    stages.length > 0 ? untilReachable(logger, what, step) : step();
  await waitFor('Redis', () => assertNoEviction(redis));
  if ((options.migrate ?? config.pipeline.migrateOnStart) !== false)
    await waitFor('Postgres (migrations)', () => runMigrations({ databaseUrl: config.database.url }));
  const ownPool = options.pool === undefined;
  const pool =
    options.pool ??
    createPostgresPool({
      url: config.database.url,
      max: config.database.poolMax,
      applicationName: `aegis-worker:${workerId}`,
      onIdleError: (error) => logger.warn({ err: error }, 'idle Postgres connection failed'),
    });

  const routerRedis = redis.duplicate();
  routerRedis.on('error', () => {}); // the main connection reports the outage
  const { router } = await createRouterFromConfig(config, { pool, redis: routerRedis, registry, logger });
  await waitFor('Postgres (router)', () => router.start());
  const { vectors, graph } = await storesFromConfig(config, pool);
  await waitFor('the graph store', () => graph.ensureSchema());
  // Which vector engine serves search, how many points it holds and what a query costs (exact scan vs HNSW).
  vectors.engine().then(
    (engine) =>
      logger.info(
        { engine: engine.name, points: engine.points },
        `vector search: ${engine.name}; ${engine.detail}`,
      ),
    (error: unknown) => logger.warn({ err: error }, 'could not read the vector store engine'),
  );

  const publishRedis = redis.duplicate();
  publishRedis.on('error', () => {}); // the main connection reports the outage
  const publish = createProgressPublisher(publishRedis, prefix);
  // Every parser of document bytes runs in these processes (own heap and memory cap, time limits, recycled).
  const { sandbox: limits } = config.pipeline;
  const sandbox = createSandboxPool({
    size: limits.processes,
    memoryLimitMb: limits.memoryLimitMb,
    heapLimitMb: limits.heapLimitMb,
    recycleRssMb: limits.recycleRssMb,
    maxTasksPerProcess: limits.maxTasksPerProcess,
    idleTimeoutMs: limits.idleTimeoutMs,
    warmProcesses: limits.warmProcesses,
    taskTimeoutMs: limits.taskTimeoutMs,
    onEvent: (event) => {
      if (event.type !== 'exited') return;
      if (event.reason === 'killed' || event.reason === 'died')
        logger.warn(event, 'parsing sandbox process ended on a limit or a crash; replaced on demand');
      // Its memory is back: the next memory check must see that now, not in the next periodic report, and
      // documents delayed for memory check again now instead of waiting out their delay.
      memoryFreed();
    },
  });
  let capacityReporter: CapacityReporter | undefined;
  let queuesForWake: StageQueues | undefined;
  const memoryFreed = (): void => {
    void capacityReporter
      ?.refresh()
      .then(() => (queuesForWake ? wakeMemoryWaiters(queuesForWake) : 0))
      .then(
        (woken) => {
          if (woken > 0) logger.info({ woken }, 'memory freed: woke documents waiting for memory');
        },
        (error: unknown) => logger.warn({ err: error }, 'could not wake documents waiting for memory'),
      );
  };
  /** What this worker holds: its own resident memory and its sandbox processes'. */
  const usedBytes = (): number => process.memoryUsage.rss() + sandbox.stats().rssBytes;
  const sandboxLimitBytes = limits.memoryLimitMb * 1024 * 1024;
  // Error texts stored in Postgres, returned by the API or written by the watcher pass through this masker.
  const masker = secretMaskerFor(config);
  const pipeline: PipelineDeps = {
    sandbox,
    repository: createPostgresDocumentRepository({ pool, masker }),
    blobs: createFileBlobStore({ root: config.pipeline.blobDir }),
    router,
    vectors,
    graph,
    logger,
    options: pipelineOptions(config),
    async capacity() {
      const seen = await readCapacity(redis, prefix);
      if (seen.workers > 0) return seen;
      // Nobody reported yet (this process starts up): judge by this process alone.
      const limit = config.pipeline.memoryLimitBytes;
      return {
        workers: 1,
        largestLimitBytes: limit,
        largestSandboxLimitBytes: sandboxLimitBytes,
        bestHeadroomBytes: Math.min(limit - usedBytes(), process.availableMemory()),
      };
    },
  };
  const queues = createStageQueues({
    connection: redis,
    prefix,
    commandTimeoutMs: stages.length > 0 ? undefined : 3_000,
  });
  queuesForWake = queues;
  const metrics = registerPipelineMetrics(registry, {
    queues,
    pool,
    vectors,
    graph,
    collection: config.vectorStore.qdrant.collection,
  });
  const workers = startStageWorkers({
    stages,
    connection: redis,
    prefix,
    processor: {
      pipeline,
      queues,
      publish,
      onStageFinished: (stage, outcome, seconds) => {
        metrics.onStageFinished(stage, outcome, seconds);
        // A document done parsing (or done altogether) leaves the memory its check reserved.
        if (outcome !== 'delayed' && (stage === 'extract' || stage === 'graph')) memoryFreed();
      },
      faultPolicy: {
        outageRetryMaxDelayMs: config.pipeline.outageRetryMaxDelayMs,
        providerOutageMaxWaitMs: config.pipeline.providerOutageMaxWaitMs,
        // Look again every 15 s, or eight times within a short configured wait.
        providerRetryDelayMs: Math.min(15_000, Math.max(250, config.pipeline.providerOutageMaxWaitMs / 8)),
        outageRetryBaseMs: Math.min(1_000, config.pipeline.outageRetryMaxDelayMs),
      },
    },
    lockDurationMs: config.pipeline.lockDurationMs,
    workerId,
    maskError: (text) => masker.excerpt(text),
  });
  capacityReporter =
    stages.length > 0
      ? startCapacityReports({
          redis: publishRedis,
          prefix,
          workerId,
          limitBytes: config.pipeline.memoryLimitBytes,
          sandboxLimitBytes,
          usedBytes,
        })
      : undefined;
  const stopReconciler =
    stages.length > 0
      ? startReconciler({
          pipeline,
          queues,
          redis: publishRedis,
          publish,
          intervalMs: config.pipeline.reconcileIntervalMs,
          maxCrashes: config.pipeline.maxCrashes,
          // A running stage updates Postgres at least at every unit of work; twice the takeover bound without
          // a sign of life (and no job in Redis) means its worker is gone.
          staleRunningMs: Math.max(10_000, config.pipeline.lockDurationMs * 2),
          onReport: (report) => {
            if (report.requeued.length > 0)
              logger.warn(
                { requeued: report.requeued },
                're-enqueued documents whose jobs Redis had lost or BullMQ gave up',
              );
            if (report.failed.length > 0)
              logger.warn({ failed: report.failed }, 'recorded failures BullMQ decided on its own');
          },
        })
      : () => {};
  // Completion events (ADR 018): the outbox dispatcher and the delivery worker run wherever stages run.
  const webhookStore = createWebhookStore(pool);
  const webhookQueue = createWebhookQueue({ connection: redis, prefix, settings: config.webhooks });
  const webhookAttempts = counter(registry, {
    name: 'aegis_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: succeeded, failed (non-2xx or no answer; retried), duplicate (a second 2xx of one round).',
    labelNames: ['outcome'],
  });
  for (const outcome of ['succeeded', 'failed', 'duplicate']) webhookAttempts.inc({ outcome }, 0);
  const webhookWorker =
    stages.length > 0
      ? startWebhookWorker({
          connection: redis,
          prefix,
          store: webhookStore,
          settings: config.webhooks,
          mask: (text) => masker.excerpt(text),
          lockTimings: lockTimings(config.pipeline.lockDurationMs),
          workerId,
          onDelivered: (outcome) => webhookAttempts.inc({ outcome }),
        })
      : undefined;
  const stopDispatcher =
    stages.length > 0
      ? startWebhookDispatcher({
          store: webhookStore,
          queue: webhookQueue,
          intervalMs: config.webhooks.dispatchIntervalMs,
          recoverAfterMs: Math.max(60_000, config.webhooks.timeoutMs * 3),
          retentionDays: config.webhooks.eventRetentionDays,
          onError: (error) => {
            if (outageOf(error) === undefined) logger.warn({ err: error }, 'webhook dispatch failed');
          },
        })
      : async () => {};
  const metricsServer =
    options.metricsServer === true ? await startWorkerMetricsServer(config, registry, logger) : undefined;
  logger.info({ workerId, stages, prefix }, 'worker runtime started');
  if (stages.includes('extract')) logOcrEngine(config, logger);

  return {
    config,
    pool,
    redis,
    producer: createProducer({ pipeline, queues, publish, maxBytes: config.api.uploadMaxBytes }),
    pipeline,
    queues,
    registry,
    masker,
    webhooks: { store: webhookStore, queue: webhookQueue },
    metricsPort: metricsServer?.port,
    async close() {
      await metricsServer?.close();
      stopReconciler();
      await stopDispatcher();
      await Promise.all([workers.close(), webhookWorker?.close()]);
      // Only after the workers finished their active jobs: a closed sandbox cancels the parsing it runs.
      await sandbox.close();
      await capacityReporter?.stop();
      await router
        .close()
        .catch((error: unknown) => logger.warn({ err: error }, 'ledger flush on shutdown failed'));
      await Promise.all([queues.close(), webhookQueue.close()]);
      await Promise.all([vectors.close(), graph.close()]);
      routerRedis.disconnect();
      publishRedis.disconnect();
      await redis.quit().catch(() => redis.disconnect());
      if (ownPool) await pool.end();
    },
  };
}

/** Runs a start-up step until it gets past an outage of its dependency (1 s, doubling to 10 s between tries). */
async function untilReachable<T>(logger: Logger, what: string, step: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      const cause = isAegisError(error, 'MIGRATION_FAILED') ? (error as Error).cause : error;
      if (outageOf(cause) === undefined && outageOf(error) === undefined) throw error;
      if (attempt % 10 === 0) logger.warn({ err: error, attempt }, `waiting for ${what} before starting`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1_000 * 2 ** attempt)));
    }
  }
}
