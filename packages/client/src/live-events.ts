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

/** What `GET /v1/events` streams. */
export type LiveEvent = StageEvent | VersionEvent | DeletedEvent | HeartbeatEvent;

const TYPES = new Set(['stage', 'version', 'deleted', 'heartbeat']);

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
    yield { ...(data as object), type: message.event } as LiveEvent;
  }
}
