import type { ServerResponse } from 'node:http';

/** How the responder corrupts what it writes (from a fault). */
export interface ResponseMode {
  /** Write a truncated JSON body, or insert `malformedFrame` after the first stream frame. */
  malformed?: boolean;
  /** Write part of the body or stream, then destroy the socket. */
  dropMidStream?: boolean;
  /** The broken stream frame used by `malformed` (protocol-specific). */
  malformedFrame?: string;
  /**
   * Where the broken frame goes: `second` (inserted after the first frame; SSE clients fail on it) or
   * `last` (replaces the final frame; the ollama SDK skips unparsable lines, so only a lost `done` shows).
   */
  malformedAt?: 'second' | 'last';
  /** Pause between stream frames, in ms (a slow stream). */
  frameDelayMs?: number;
}

/** Writes one response, applying fault modes, and reports the status / end / drop back. */
export interface Responder {
  json(status: number, body: unknown, headers?: Record<string, string>): Promise<void>;
  /** Writes pre-framed chunks (SSE events or NDJSON lines) as one streamed response. */
  stream(contentType: string, frames: readonly string[], headers?: Record<string, string>): Promise<void>;
  text(status: number, text: string, contentType?: string): Promise<void>;
  /** Destroys the socket without a response. */
  drop(): void;
}

/** Hooks the responder calls as the response progresses. */
export interface ResponderEvents {
  onStatus(status: number): void;
  onEnd(): void;
  /** The simulator destroyed the socket on purpose (not a client abort). */
  onDrop(): void;
}

function write(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.write(chunk, () => resolve());
  });
}

function end(res: ServerResponse, chunk?: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.end(chunk ?? '', () => resolve());
  });
}

export function createResponder(res: ServerResponse, mode: ResponseMode, events: ResponderEvents): Responder {
  const drop = (): void => {
    events.onDrop();
    res.socket?.destroy();
    res.destroy();
  };
  const head = (status: number, headers: Record<string, string>): void => {
    if (res.destroyed) return;
    events.onStatus(status);
    res.writeHead(status, headers);
  };

  return {
    async json(status, body, headers = {}) {
      const text = JSON.stringify(body);
      if (mode.dropMidStream) {
        head(status, {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
        });
        await write(res, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
        return drop();
      }
      // Any proper prefix of a JSON object is syntactically invalid.
      const sent = mode.malformed ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text;
      head(status, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(sent)),
      });
      await end(res, sent);
      events.onEnd();
    },
    async stream(contentType, frames, headers = {}) {
      let out = [...frames];
      if (mode.malformed && mode.malformedFrame !== undefined) {
        if (mode.malformedAt === 'last') out.splice(-1, 1, mode.malformedFrame);
        else out.splice(1, 0, mode.malformedFrame);
      }
      head(200, {
        ...headers,
        'content-type': contentType,
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      if (mode.dropMidStream) out = out.slice(0, Math.max(1, Math.floor(out.length / 2)));
      for (const [index, frame] of out.entries()) {
        // Nobody is reading once the client left: the rest is "generated" at once.
        if (index > 0 && mode.frameDelayMs && !res.destroyed)
          await new Promise((resolve) => setTimeout(resolve, mode.frameDelayMs));
        await write(res, frame);
      }
      if (mode.dropMidStream) return drop();
      await end(res);
      events.onEnd();
    },
    async text(status, text, contentType = 'text/plain; charset=utf-8') {
      head(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)) });
      await end(res, text);
      events.onEnd();
    },
    drop,
  };
}
