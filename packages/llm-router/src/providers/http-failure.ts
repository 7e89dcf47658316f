import { createSecretMasker } from '@aegis/observability';
import type { ProviderFailure } from './provider.ts';

// Provider error bodies may echo keys, tokens or URLs and may be megabytes long: the message keeps a bounded,
// masked excerpt. Exact configured secrets are masked again wherever the message is stored, shown or logged.
const PROVIDER_DETAIL_CHARS = 1_000;
const detailMasker = createSecretMasker();

/** A provider's error text as it may enter an error message: credential patterns masked, at most 1000 chars. */
export function providerDetail(detail: string): string {
  return detailMasker.excerpt(detail, PROVIDER_DETAIL_CHARS);
}

/**
 * Status-code policy shared by every adapter: 408/409/429 and 5xx fall through to the next provider,
 * every other 4xx is the caller's mistake and is never retried elsewhere.
 */
export function failureFromStatus(
  provider: string,
  status: number,
  detail: string,
  retryAfterMs: number | undefined,
): ProviderFailure {
  const base = { httpStatus: status, retryAfterMs };
  const excerpt = providerDetail(detail);
  if (status === 429) {
    return {
      ...base,
      code: 'PROVIDER_RATE_LIMITED',
      breakerKind: 'rate-limit',
      message: `${provider} rate-limited the request (429): ${excerpt}`,
    };
  }
  if (status === 408 || status === 409 || status >= 500) {
    return {
      ...base,
      code: 'PROVIDER_UNAVAILABLE',
      breakerKind: 'server',
      message: `${provider} failed with ${status}: ${excerpt}`,
    };
  }
  return {
    ...base,
    code: 'PROVIDER_REJECTED',
    message: `${provider} rejected the request with ${status}: ${excerpt}. A 4xx other than 408/409/429 is a caller error, so no other provider is tried.`,
  };
}

/** Errors thrown by fetch/undici before any HTTP status: refused, reset, DNS, TLS. */
export function connectionFailure(provider: string, error: unknown): ProviderFailure {
  const cause =
    error instanceof Error && error.cause instanceof Error ? `: ${providerDetail(error.cause.message)}` : '';
  const message = providerDetail(error instanceof Error ? error.message : String(error));
  return {
    code: 'PROVIDER_CONNECTION',
    breakerKind: 'connection',
    message: `${provider} connection failed (${message}${cause})`,
  };
}

export function badResponseFailure(provider: string, detail: string): ProviderFailure {
  return {
    code: 'PROVIDER_BAD_RESPONSE',
    breakerKind: 'server',
    message: `${provider} sent an unusable response: ${providerDetail(detail)}`,
  };
}

/** Marks a response we could not use (bad JSON shape, missing fields) so `classify` reports it as such. */
export class BadResponseError extends Error {
  override readonly name = 'BadResponseError';
}

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TypeError' && /fetch failed|terminated|other side closed/i.test(error.message))
    return true;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code);
}
