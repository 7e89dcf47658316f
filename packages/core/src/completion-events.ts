/** The completion events the outbox writes (ADR 018): a version reaching a final state, or a stage failing. */
export const COMPLETION_EVENT_TYPES = [
  'document.completed',
  'document.completed_with_warnings',
  'document.failed',
  'document.cancelled',
  'document.superseded',
  'stage.failed',
] as const;
export type CompletionEventType = (typeof COMPLETION_EVENT_TYPES)[number];

/** What a completion event says about its document: the `data` of webhook bodies and SSE `completion` events. */
export interface CompletionEventData {
  documentId: string;
  version: number;
  knowledgeBase: string;
  /** The failed stage (`stage.failed`), else null. */
  stage: string | null;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
}
