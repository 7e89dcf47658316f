import type { Stage, StageStatus, VersionStatus } from '@aegis/core';
import type { Redis } from 'ioredis';

/** Published on every stage transition and progress step, for live views (CLI --wait, dashboards). */
export type ProgressEvent =
  | {
      type: 'stage';
      documentId: string;
      version: number;
      stage: Stage;
      status: StageStatus;
      done?: number;
      total?: number;
      errorCode?: string;
    }
  | { type: 'version'; documentId: string; version: number; status: VersionStatus; errorCode?: string }
  | { type: 'deleted'; documentId: string };

export function progressChannel(prefix: string): string {
  return `${prefix}:events`;
}

/** Fire-and-forget: Postgres is the truth, the events only make views live. */
export function createProgressPublisher(redis: Redis, prefix: string): (event: ProgressEvent) => void {
  const channel = progressChannel(prefix);
  return (event) => {
    redis.publish(channel, JSON.stringify(event)).catch(() => {});
  };
}
