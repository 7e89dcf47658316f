import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { FastifyInstance } from 'fastify';

/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A `fetch` that serves requests from an in-process Fastify app through `app.inject` (no socket, no port), with
 * request and response bodies streamed both ways (uploads, server-sent events). The local `aegis` CLI uses it so
 * local and remote mode run the very same client code against the very same routes.
 */
export function createInjectFetch(app: FastifyInstance): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const response = await app.inject({
      method: request.method as 'GET',
      url: `${url.pathname}${url.search}`,
      headers,
      ...(request.body ? { payload: Readable.fromWeb(request.body as NodeReadableStream) } : {}),
      payloadAsStream: true,
    });
    const responseHeaders = new Headers();
    for (const [key, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      for (const item of [value].flat()) responseHeaders.append(key, String(item));
    }
    const stream = response.stream();
    if (request.signal) request.signal.addEventListener('abort', () => stream.destroy(), { once: true });
    const body = NULL_BODY.has(response.statusCode)
      ? null
      : (Readable.toWeb(stream) as ReadableStream<Uint8Array>);
    if (body === null) stream.resume();
    return new Response(body, { status: response.statusCode, headers: responseHeaders });
  };
}
