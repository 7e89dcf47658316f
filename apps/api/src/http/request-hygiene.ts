import { AegisError } from '@aegis/core';
import type { SecretMasker } from '@aegis/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './error-response.ts';

const MAX_DEPTH = 32;

/** The dotted path of the first string holding a NUL character, or `undefined`. */
export function nulPath(value: unknown, at = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? at || '(value)' : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\0')) return `${at}${at ? '.' : ''}(key)`;
    const found = nulPath(child, at ? `${at}.${key}` : key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * preValidation hook for every route: a NUL character in a path parameter, the query or a JSON body is
 * refused with 400 before any handler runs. Postgres cannot store NUL in text and answers such a query with
 * an error (a 500 before this hook), and no legitimate id, name or path contains one. Answered from the
 * hook rather than thrown, so plugin contexts with their own error handler (Bull Board) answer 400 as well.
 */
export async function refuseNulCharacters(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  for (const [part, value] of [
    ['params', request.params],
    ['query', request.query],
    ['body', request.isMultipart() ? undefined : request.body],
  ] as const) {
    const where = nulPath(value);
    if (where !== undefined)
      return sendError(
        request,
        reply,
        new AegisError('VALIDATION_FAILED', `NUL characters are not allowed (in ${part}: ${where}).`, {
          details: { in: part, path: where },
        }),
      );
  }
  return undefined;
}

/**
 * onSend hook for every route: responses default to `Cache-Control: no-store`. Every route answers with
 * private data (document names, search hits, costs, audit rows) or secrets (a new key's plaintext, a session
 * cookie), so no shared or browser cache may keep any of it; a route that wants caching sets its own header.
 */
export async function noStoreByDefault(
  _request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  return payload;
}

/**
 * onSend hook for every route: no configured secret value (a provider key, a database password, the pepper...)
 * leaves in a response, whichever route, error path or plugin (Bull Board shows job errors) put it there.
 */
export function maskSecretValues(masker: SecretMasker) {
  return async function maskPayload(
    _request: FastifyRequest,
    _reply: FastifyReply,
    payload: unknown,
  ): Promise<unknown> {
    if (typeof payload === 'string') return masker.maskValues(payload);
    if (Buffer.isBuffer(payload)) {
      const text = payload.toString('utf8');
      const masked = masker.maskValues(text);
      return masked === text ? payload : Buffer.from(masked);
    }
    return payload;
  };
}
