import type { CompletionEventData } from '@aegis/core';
import { EventSourceParserStream } from 'eventsource-parser/stream';

/** A stage of a version changed: queued, running (with `done`/`total` items), completed, failed, ... */
export interface StageEvent {
  type: 'stage';
  documentId: string;
  version: number;
  stage: string;
  status: string;
  done?: number;
  total?: number;
  errorCode?: string;
}

/** A version's status changed (final statuses included). */
export interface VersionEvent {
  type: 'version';
  documentId: string;
  version: number;
  status: string;
  errorCode?: string;
}

export interface DeletedEvent {
  type: 'deleted';
  documentId: string;
}

/** Sent every few seconds: the stream is alive, and how many workers report in (null: unknown). */
export interface HeartbeatEvent {
  type: 'heartbeat';
  at: string;
  workers: number | null;
}

/**
 * A completion event from the durable outbox (a version reached a final state, or a stage failed): the same body
 * webhooks receive. `id` orders them; reconnecting with it as `Last-Event-ID` resumes after it.
 */
export interface CompletionLiveEvent {
  type: 'completion';
  id: number;
  /** `document.<final status>` or `stage.failed`. */
  eventType: string;
  createdAt: string;
  data: CompletionEventData;
}

/** What `GET /v1/events` streams. */
export type LiveEvent = StageEvent | VersionEvent | DeletedEvent | HeartbeatEvent | CompletionLiveEvent;

const TYPES = new Set(['stage', 'version', 'deleted', 'heartbeat', 'completion']);

/** Parses a `text/event-stream` body into live events; unknown event names are skipped (newer servers). */
export async function* readLiveEvents(body: ReadableStream<Uint8Array>): AsyncIterable<LiveEvent> {
  const events = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream());
  for await (const message of events) {
    if (!message.event || !TYPES.has(message.event)) continue;
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      continue;
    }
    // A completion's own `type` (document.completed, ...) moves to `eventType`: `type` names the SSE event.
    const fields = data as { type?: unknown };
    yield (
      message.event === 'completion'
        ? { ...fields, eventType: fields.type, type: 'completion' }
        : { ...fields, type: message.event }
    ) as LiveEvent;
  }
}
