export type { CapacityReport, CapacityReporter, CapacityReporterOptions } from './capacity.ts';
export { readCapacity, startCapacityReports } from './capacity.ts';
export { assertNoEviction, createRedisConnection } from './connection.ts';
export type { FaultKind, FaultPolicy } from './fault-policy.ts';
export { DEFAULT_FAULT_POLICY, faultKindOf } from './fault-policy.ts';
export { wakeMemoryWaiters } from './memory-waiters.ts';
export type { BoundedReaderOptions, ReadResult } from './metrics/bounded-reader.ts';
export { boundedReader } from './metrics/bounded-reader.ts';
export type { MetricsServer, MetricsServerOptions } from './metrics/metrics-server.ts';
export { hasBearerToken, startMetricsServer } from './metrics/metrics-server.ts';
export type {
  MetricsSqlClient,
  OnStageFinished,
  PipelineMetrics,
  PipelineMetricsDeps,
  StageFinishOutcome,
} from './metrics/pipeline-metrics.ts';
export {
  DOCUMENT_STATUSES,
  QUEUE_JOB_STATES,
  registerPipelineMetrics,
  STAGE_DURATION_BUCKETS,
} from './metrics/pipeline-metrics.ts';
export type { OpenSourceOptions, SourceRefusal } from './open-source-file.ts';
export { openSourceFile, sourceRefusal } from './open-source-file.ts';
export type { IngestInput, IngestSource, Producer } from './producer.ts';
export { createProducer } from './producer.ts';
export type { ProgressEvent } from './progress-events.ts';
export { createProgressPublisher, progressChannel } from './progress-events.ts';
export type { ProgressSubscriber } from './progress-subscriber.ts';
export { createProgressSubscriber } from './progress-subscriber.ts';
export type { ReconcileReport, ReconcilerDeps } from './reconciler.ts';
export { reconcile, startReconciler } from './reconciler.ts';
export type { StageOutcome, StageProcessorDeps } from './stage-processor.ts';
export { createStageProcessor } from './stage-processor.ts';
export type { StageQueues } from './stage-queues.ts';
export { createStageQueues } from './stage-queues.ts';
export type { StageWorkers, StageWorkersOptions } from './stage-workers.ts';
export { lockTimings, startStageWorkers } from './stage-workers.ts';
export type { WebhookDispatcherOptions } from './webhooks/dispatcher.ts';
export { dispatchOnce, startWebhookDispatcher } from './webhooks/dispatcher.ts';
export type { PostResult } from './webhooks/post.ts';
export { SIGNATURE_HEADER, signPayload, verifySignature } from './webhooks/signing.ts';
export { assertWebhookUrl, isPrivateAddress } from './webhooks/url-guard.ts';
export type { WebhookQueue, WebhookSettings, WebhookWorkerOptions } from './webhooks/webhook-delivery.ts';
export {
  createWebhookQueue,
  deliveryBody,
  deliveryJobId,
  startWebhookWorker,
  WEBHOOK_QUEUE,
} from './webhooks/webhook-delivery.ts';
