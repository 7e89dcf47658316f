import { AegisError } from '@aegis/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorResponse } from './error-response.ts';

/**
 * onRequest hook factory: a request body that sends nothing for `idleMs` is cut off. The client gets
 * `408 REQUEST_TIMEOUT` (when no answer started yet) and the connection closes; the handler reading the body
 * then fails, so an upload's temp file is removed as for any failed upload. The idle timer runs only while
 * the body is arriving: a long search or a slow store never trips it. Node's own `headersTimeout` and
 * `requestTimeout` (set on the server) bound the headers and the whole request; this bounds a stall.
 */
export function createBodyIdleTimeout(options: {
  idleMs: number;
  onTimeout?: ((request: FastifyRequest) => void) | undefined;
}) {
  const { idleMs } = options;
  return async function bodyIdleTimeout(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const incoming = request.raw;
    const socket = incoming.socket;
    // Injected requests (tests) have no real socket to measure.
    if (incoming.complete || typeof socket?.bytesRead !== 'number') return;
    const fire = (): void => {
      if (incoming.complete) return;
      const error = new AegisError(
        'REQUEST_TIMEOUT',
        `The request body sent nothing for ${idleMs} ms; it was cut off.`,
        { details: { idleMs } },
      );
      request.errorCode = error.code;
      options.onTimeout?.(request);
      // Destroying the request with the error fails whoever reads the body (multipart, the JSON parser), which
      // then cleans up (the upload's temp file), and closes the connection.
      const cut = (): void => {
        incoming.destroy(error);
        socket.destroy();
      };
      const raw = reply.raw;
      if (!raw.headersSent && !raw.writableEnded) {
        const { status, body } = errorResponse(error);
        raw.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
        raw.end(JSON.stringify(body), cut);
        // A client that reads nothing either must not keep the socket.
        setTimeout(cut, 1_000).unref();
      } else {
        cut();
      }
    };
    // Progress is read from the socket's byte count: listening for 'data' would switch the body into flowing
    // mode and hand it to nobody before the handler reads it.
    let lastBytes = socket.bytesRead;
    let lastProgress = performance.now();
    const timer = setInterval(
      () => {
        if (incoming.complete || socket.destroyed) return stop();
        if (socket.bytesRead !== lastBytes) {
          lastBytes = socket.bytesRead;
          lastProgress = performance.now();
        } else if (performance.now() - lastProgress >= idleMs) {
          stop();
          fire();
        }
      },
      Math.max(25, Math.min(1_000, Math.floor(idleMs / 4))),
    );
    timer.unref();
    const stop = (): void => {
      clearInterval(timer);
      incoming.off('close', stop);
    };
    // A body nobody reads (a refused request) still must not hold the connection: the check runs until the body
    // is complete or the connection closes.
    incoming.once('close', stop);
  };
}
