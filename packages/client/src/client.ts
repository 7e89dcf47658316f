import { AegisError } from '@aegis/core';
import type {
  ApiKeyList,
  CancelAccepted,
  CostReport,
  CreatedApiKey,
  CreatedWebhook,
  DocumentList,
  DocumentStatus,
  Readiness,
  Registration,
  ReplayAccepted,
  ResolvedDocument,
  RetryAccepted,
  SearchResult,
  VersionStatusFilter,
  WebhookDeliveries,
  WebhookList,
} from './api-types.ts';
import { errorFromResponse, unreachable } from './http-error.ts';
import { type LiveEvent, readLiveEvents } from './live-events.ts';

export interface AegisClientOptions {
  /** The API's base URL, e.g. `https://aegis.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string | undefined;
  /** The transport; default the global `fetch`. The local CLI passes one that serves an in-process API. */
  fetch?: typeof fetch | undefined;
  /** Time limit per request (not for streams), in ms. Default 60 000. */
  timeoutMs?: number | undefined;
}

type Query = Record<string, string | number | boolean | undefined>;

/** What the stages of a document are called, for `retry`. */
export type StageName = 'memory-check' | 'extract' | 'enrich-images' | 'chunk' | 'embed' | 'graph';

/**
 * A typed client for the Aegis HTTP API. Request and response types come from the OpenAPI document the API
 * serves (see `openapi.generated.ts`). Every non-2xx answer throws the server's `AegisError` (same `code`);
 * a network failure throws `API_UNREACHABLE`.
 */
export interface AegisClient {
  readonly baseUrl: string;
  listDocuments(query?: {
    status?: VersionStatusFilter;
    q?: string;
    limit?: number;
    cursor?: string;
  }): Promise<DocumentList>;
  /** Finds a document by id, unique id prefix, file name or source path (404 / 409 DOCUMENT_AMBIGUOUS). */
  resolveDocument(ref: string): Promise<ResolvedDocument>;
  getDocument(documentId: string): Promise<DocumentStatus>;
  /** Uploads one file; `sourceKey` (e.g. its path) makes changed bytes a new version of the same document. */
  uploadDocument(input: {
    file: Blob;
    filename: string;
    sourceKey?: string | undefined;
    /** The knowledge base (default `default`, or the key's only base). */
    knowledgeBase?: string | undefined;
    /** User metadata: a JSON object, stored on every chunk and filterable in search. */
    metadata?: Record<string, unknown> | undefined;
  }): Promise<Registration>;
  /** Registers a file by its path on the server (it must be under INGEST_PATH_ROOTS). */
  ingestPath(input: { path: string; displayName?: string | undefined }): Promise<Registration>;
  /** Re-runs `stage` (default: the first failed one) of `version` (default: the latest) and the later stages. */
  retryDocument(
    documentId: string,
    options?: { stage?: StageName | undefined; version?: number | undefined },
  ): Promise<RetryAccepted>;
  /** Cancels `version` (default: the latest); a final version answers DOCUMENT_FINAL. */
  cancelDocument(documentId: string, options?: { version?: number | undefined }): Promise<CancelAccepted>;
  deleteDocument(documentId: string): Promise<void>;
  /** `meta.<field>` keys filter on user metadata (comma-separated alternatives). */
  search(query: {
    q: string;
    limit?: number | undefined;
    documentId?: string | undefined;
    mode?: 'hybrid' | 'keyword' | 'vector' | undefined;
    kb?: string | undefined;
    group?: boolean | undefined;
    kind?: string | undefined;
    createdAfter?: string | undefined;
    createdBefore?: string | undefined;
    pageFrom?: number | undefined;
    pageTo?: number | undefined;
    keywordWeight?: number | undefined;
    vectorWeight?: number | undefined;
    [meta: `meta.${string}`]: string | undefined;
  }): Promise<SearchResult>;
  costs(query?: { month?: string | undefined; by?: readonly string[] | undefined }): Promise<CostReport>;
  /** The raw ledger as CSV or JSON text, streamed. */
  exportLedger(query: {
    month?: string | undefined;
    format: 'csv' | 'json';
  }): Promise<ReadableStream<Uint8Array>>;
  /** `/readyz`: answers (not throws) when the service is unavailable, so callers can show why. */
  readiness(): Promise<Readiness & { httpStatus: number }>;
  listKeys(): Promise<ApiKeyList>;
  createKey(input: { name: string; roles: Array<'ingest' | 'read' | 'admin'> }): Promise<CreatedApiKey>;
  revokeKey(keyId: string): Promise<void>;
  /** Webhooks (ADR 018): the signing `secret` is only in `addWebhook`'s answer. */
  listWebhooks(): Promise<WebhookList>;
  addWebhook(input: {
    url: string;
    knowledgeBase?: string | undefined;
    eventTypes?: string[] | undefined;
    description?: string | undefined;
  }): Promise<CreatedWebhook>;
  removeWebhook(webhookId: string): Promise<void>;
  webhookDeliveries(
    webhookId: string,
    query?: { limit?: number | undefined; eventId?: number | undefined },
  ): Promise<WebhookDeliveries>;
  /** One event (`eventId` or `deliveryId`) or every matching one from `fromEventId` on, delivered again. */
  replayWebhook(
    webhookId: string,
    selection:
      | { eventId: number }
      | { deliveryId: string }
      | { fromEventId: number; limit?: number | undefined },
  ): Promise<ReplayAccepted>;
  /**
   * Live progress (`GET /v1/events`), for all documents or only `documentIds`, until `signal` aborts or the
   * server ends the stream. Best effort: read the document for a state that must not be missed.
   */
  events(options?: {
    documentIds?: readonly string[] | undefined;
    signal?: AbortSignal | undefined;
  }): AsyncIterable<LiveEvent>;
  /** A raw request to a path of this API (for routes added after this client), with the client's auth and errors. */
  request(
    method: string,
    path: string,
    init?: { query?: Query; body?: unknown; stream?: boolean },
  ): Promise<Response>;
}

function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function createAegisClient(options: AegisClientOptions): AegisClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;

  async function request(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; stream?: boolean; accept?: number[] } = {},
  ): Promise<Response> {
    const headers = new Headers({ accept: 'application/json' });
    if (options.apiKey) headers.set('authorization', `Bearer ${options.apiKey}`);
    let body: RequestInit['body'];
    if (init.body instanceof FormData) body = init.body;
    else if (init.body !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.body);
    }
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${withQuery(path, init.query)}`, {
        method,
        headers,
        body,
        signal: init.stream ? undefined : AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unreachable(baseUrl, error);
    }
    if (!response.ok && !init.accept?.includes(response.status)) throw await errorFromResponse(response);
    return response;
  }

  async function json<T>(method: string, path: string, init: Parameters<typeof request>[2] = {}): Promise<T> {
    const response = await request(method, path, init);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new AegisError(
        'INTERNAL',
        `The API at ${baseUrl} answered ${path} with a body that is not JSON.`,
        {
          cause: error,
        },
      );
    }
  }

  const id = (documentId: string) => encodeURIComponent(documentId);

  return {
    baseUrl,
    listDocuments: (query = {}) => json('GET', '/v1/documents', { query }),
    resolveDocument: (ref) => json('GET', '/v1/documents/resolve', { query: { ref } }),
    getDocument: (documentId) => json('GET', `/v1/documents/${id(documentId)}`),
    uploadDocument({ file, filename, sourceKey, knowledgeBase, metadata }) {
      const form = new FormData();
      // Text fields first: the server reads them before it streams the file part.
      if (sourceKey !== undefined) form.set('sourceKey', sourceKey);
      if (knowledgeBase !== undefined) form.set('knowledgeBase', knowledgeBase);
      if (metadata !== undefined) form.set('metadata', JSON.stringify(metadata));
      form.set('file', file, filename);
      return json('POST', '/v1/documents', { body: form, stream: true });
    },
    ingestPath: (input) => json('POST', '/v1/documents', { body: input }),
    retryDocument: (documentId, { stage, version } = {}) =>
      json('POST', `/v1/documents/${id(documentId)}/retry`, { query: { stage, version } }),
    cancelDocument: (documentId, { version } = {}) =>
      json('POST', `/v1/documents/${id(documentId)}/cancel`, { query: { version } }),
    async deleteDocument(documentId) {
      await request('DELETE', `/v1/documents/${id(documentId)}`);
    },
    search: (query) => json('GET', '/v1/search', { query }),
    costs: ({ month, by } = {}) =>
      json('GET', '/v1/costs', { query: { month, by: by?.join(',') || undefined } }),
    async exportLedger({ month, format }) {
      const response = await request('GET', '/v1/costs/export', { query: { month, format }, stream: true });
      if (!response.body) throw new AegisError('INTERNAL', 'The ledger export has no body.');
      return response.body;
    },
    async readiness() {
      const response = await request('GET', '/readyz', { accept: [503] });
      return { ...((await response.json()) as Readiness), httpStatus: response.status };
    },
    listKeys: () => json('GET', '/admin/keys'),
    createKey: (input) => json('POST', '/admin/keys', { body: input }),
    async revokeKey(keyId) {
      await request('DELETE', `/admin/keys/${encodeURIComponent(keyId)}`);
    },
    listWebhooks: () => json('GET', '/v1/webhooks'),
    addWebhook: (input) => json('POST', '/v1/webhooks', { body: input }),
    async removeWebhook(webhookId) {
      await request('DELETE', `/v1/webhooks/${encodeURIComponent(webhookId)}`);
    },
    webhookDeliveries: (webhookId, query = {}) =>
      json('GET', `/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries`, { query }),
    replayWebhook: (webhookId, selection) =>
      json('POST', `/v1/webhooks/${encodeURIComponent(webhookId)}/replay`, { body: selection }),
    async *events({ documentIds, signal } = {}) {
      const params = new URLSearchParams();
      for (const documentId of documentIds ?? []) params.append('documentId', documentId);
      const query = params.toString();
      const headers = new Headers({ accept: 'text/event-stream' });
      if (options.apiKey) headers.set('authorization', `Bearer ${options.apiKey}`);
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}/v1/events${query ? `?${query}` : ''}`, { headers, signal });
      } catch (error) {
        if (signal?.aborted) return;
        throw unreachable(baseUrl, error);
      }
      if (!response.ok) throw await errorFromResponse(response);
      if (!response.body) return;
      try {
        yield* readLiveEvents(response.body);
      } catch (error) {
        if (signal?.aborted) return;
        throw unreachable(baseUrl, error);
      }
    },
    request: (method, path, init) => request(method, path, init),
  };
}
