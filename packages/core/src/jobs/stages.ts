/** The six stages, in pipeline order. */
export const STAGES = ['memory-check', 'extract', 'enrich-images', 'chunk', 'embed', 'graph'] as const;
export type Stage = (typeof STAGES)[number];

export type StageStatus = 'pending' | 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
export type VersionStatus =
  | 'queued'
  | 'processing'
  | 'completed'
  | 'failed'
  | 'cancelling'
  | 'cancelled'
  | 'superseded';

/** Every version status, for lists, filters and metrics that must show a status with no documents as 0. */
export const VERSION_STATUSES = [
  'queued',
  'processing',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
  'superseded',
] as const satisfies readonly VersionStatus[];

// Fails to compile when a status is added to VersionStatus but not to VERSION_STATUSES.
const everyStatusListed: Exclude<VersionStatus, (typeof VERSION_STATUSES)[number]> extends never
  ? true
  : never = true;
void everyStatusListed;

export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}
