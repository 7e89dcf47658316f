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

export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}
