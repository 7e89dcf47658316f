export type {
  ApiKeyList,
  ApiKeyView,
  ApiPaths,
  CancelAccepted,
  CostReport,
  CreatedApiKey,
  CreatedWebhook,
  DocumentList,
  DocumentListItem,
  DocumentStatus,
  DocumentVersion,
  Readiness,
  Registration,
  ReplayAccepted,
  ResolvedDocument,
  ResponseBody,
  RetryAccepted,
  SearchResult,
  StageRun,
  VersionStatusFilter,
  WebhookDeliveries,
  WebhookDelivery,
  WebhookList,
  WebhookView,
} from './api-types.ts';
export type { AegisClient, AegisClientOptions, StageName } from './client.ts';
export { createAegisClient } from './client.ts';
export { formatBytes, formatCount, formatDuration, formatUsd, sumUsd, trimUsd } from './format.ts';
export { errorFromResponse } from './http-error.ts';
export type {
  CompletionLiveEvent,
  DeletedEvent,
  HeartbeatEvent,
  LiveEvent,
  StageEvent,
  VersionEvent,
} from './live-events.ts';
export { readLiveEvents } from './live-events.ts';
export { OPENAPI } from './openapi.generated.ts';
