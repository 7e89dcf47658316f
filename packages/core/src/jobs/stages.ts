/** The six stages, in pipeline order. */
export const STAGES = ['memory-check', 'extract', 'enrich-images', 'chunk', 'embed', 'graph'] as const;
export type Stage = (typeof STAGES)[number];

export type StageStatus = 'pending' | 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
export type VersionStatus =
  | 'queued'
  | 'processing'
  | 'completed'
  /** Completed, but something is missing (images no provider described, chunks without graph); retry fills it in. */
  | 'completed_with_warnings'
  | 'failed'
  | 'cancelling'
  | 'cancelled'
  | 'superseded';

/** Every version status, for lists, filters and metrics that must show a status with no documents as 0. */
export const VERSION_STATUSES = [
  'queued',
  'processing',
  'completed',
  'completed_with_warnings',
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

/** Final states a version reaches by itself; `superseded` is a completed version a newer one replaced. */
export const FINAL_VERSION_STATUSES = [
  'completed',
  'completed_with_warnings',
  'failed',
  'cancelled',
] as const;

/** A completed version (with or without warnings): its outputs are searchable and it can be the active one. */
export function isCompletedStatus(status: VersionStatus): boolean {
  return status === 'completed' || status === 'completed_with_warnings';
}
