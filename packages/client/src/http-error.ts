import { AegisError, ERROR_CODES, type ErrorCode } from '@aegis/core';

const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && code in ERROR_CODES;

/**
 * The API's error body (`{ error: { code, message, details } }`) as the same `AegisError` the server threw, so
 * callers branch on `code` whether they run local or remote. `details.httpStatus` and, for 429/503,
 * `details.retryAfterSeconds` are added.
 */
export async function errorFromResponse(response: Response): Promise<AegisError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  const retryAfter = Number(response.headers.get('retry-after'));
  const details = {
    ...(typeof error?.details === 'object' && error.details !== null
      ? (error.details as Record<string, unknown>)
      : {}),
    httpStatus: response.status,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
  if (error && isErrorCode(error.code))
    return new AegisError(error.code, typeof error.message === 'string' ? error.message : error.code, {
      details,
    });
  const code: ErrorCode =
    response.status === 401
      ? 'UNAUTHENTICATED'
      : response.status === 403
        ? 'FORBIDDEN'
        : response.status === 404
          ? 'NOT_FOUND'
          : response.status === 429
            ? 'RATE_LIMITED'
            : response.status === 503 || response.status === 502 || response.status === 504
              ? 'API_UNREACHABLE'
              : 'INTERNAL';
  return new AegisError(
    code,
    `The API answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`,
    {
      details,
    },
  );
}

/** A failure below HTTP (refused, reset, DNS, TLS, timeout) as `API_UNREACHABLE`. */
export function unreachable(baseUrl: string, error: unknown): AegisError {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const reason =
    error instanceof Error && error.name === 'TimeoutError'
      ? 'no answer in time'
      : (cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error)));
  return new AegisError('API_UNREACHABLE', `Cannot reach the Aegis API at ${baseUrl} (${reason}).`, {
    cause: error,
    details: { url: baseUrl },
  });
}
