import type { AppConfig } from '@aegis/config';
import type { ApiKeyStore, AuditLog } from '@aegis/stores';
import type { WorkerRuntime } from '@aegis/worker';
import type { AdminSessions } from './auth/admin-session.ts';
import type { AuthFailureGuard } from './auth/auth-failure-guard.ts';

/** The parts of the worker runtime the API uses (a producer-only runtime: `stages: []`). */
export type ApiRuntime = Pick<
  WorkerRuntime,
  'pool' | 'redis' | 'producer' | 'pipeline' | 'queues' | 'registry' | 'masker' | 'webhooks'
>;

/** What route plugins receive. */
export interface ApiContext {
  config: AppConfig;
  runtime: ApiRuntime;
  apiKeys: ApiKeyStore;
  auditLog: AuditLog;
  sessions: AdminSessions;
  /** Failed authentications per client IP (checked before any key lookup). */
  authFailures: AuthFailureGuard;
  /** Where uploads are streamed before they are registered. */
  uploadTempDir: string;
  /** Real paths of INGEST_PATH_ROOTS (resolved at start). */
  ingestRoots: string[];
}
