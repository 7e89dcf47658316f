import type { FastifyReply, FastifyRequest } from 'fastify';

/** An open server-sent-events response. */
export interface EventStream {
  /** Writes one event (`event:`, optional `id:`, one `data:` line of JSON). False once the stream is closed. */
  send(event: string, data: unknown, id?: string): boolean;
  /** Ends the response. */
  close(): void;
  /** Resolves when the client goes away or `close()` is called. */
  closed: Promise<void>;
}

/**
 * Takes over the response for a `text/event-stream` (Fastify's reply is hijacked, so its hooks no longer run:
 * the headers that matter are set here). `retry:` tells browsers' EventSource how soon to reconnect.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, retryMs = 3_000): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise buffer the stream and deliver nothing until it ends.
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  raw.write(`retry: ${retryMs}\n\n`);
  let open = true;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const finish = (): void => {
    if (!open) return;
    open = false;
    resolveClosed();
  };
  request.raw.once('close', finish);
  raw.once('close', finish);
  return {
    send(event, data, id) {
      if (!open) return false;
      raw.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    close() {
      if (!open) return;
      finish();
      raw.end();
    },
    closed,
  };
}
