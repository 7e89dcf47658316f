import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { OPENAPI } from './openapi.generated.ts';

/** Every path the API serves, as in its OpenAPI document. */
export type ApiPaths = (typeof OPENAPI)['paths'];
type Method = 'get' | 'post' | 'delete' | 'put' | 'patch';

type JsonSchemaOf<R> = R extends { content: { 'application/json': { schema: infer S } } } ? S : never;

/**
 * The JSON body a route answers with `status`, derived from the served OpenAPI schema (so a route that
 * changes shape changes this type, and the client stops compiling where it relies on the old shape).
 */
export type ResponseBody<
  P extends keyof ApiPaths,
  M extends Method & keyof ApiPaths[P],
  S extends string,
> = ApiPaths[P][M] extends { responses: infer R }
  ? S extends keyof R
    ? JsonSchemaOf<R[S]> extends infer Schema extends JSONSchema
      ? FromSchema<Schema>
      : never
    : never
  : never;

export type DocumentStatus = ResponseBody<'/v1/documents/{id}', 'get', '200'>;
export type DocumentVersion = DocumentStatus['versions'][number];
export type StageRun = DocumentVersion['stages'][number];
export type DocumentList = ResponseBody<'/v1/documents', 'get', '200'>;
export type DocumentListItem = DocumentList['documents'][number];
export type Registration = ResponseBody<'/v1/documents', 'post', '202'>;
export type ResolvedDocument = ResponseBody<'/v1/documents/resolve', 'get', '200'>;
export type RetryAccepted = ResponseBody<'/v1/documents/{id}/retry', 'post', '202'>;
export type CancelAccepted = ResponseBody<'/v1/documents/{id}/cancel', 'post', '202'>;
export type SearchResult = ResponseBody<'/v1/search', 'get', '200'>;
export type CostReport = ResponseBody<'/v1/costs', 'get', '200'>;
export type Readiness = ResponseBody<'/readyz', 'get', '200'>;
export type ApiKeyList = ResponseBody<'/admin/keys', 'get', '200'>;
export type ApiKeyView = ApiKeyList['keys'][number];
export type CreatedApiKey = ResponseBody<'/admin/keys', 'post', '201'>;
export type WebhookList = ResponseBody<'/v1/webhooks', 'get', '200'>;
export type WebhookView = WebhookList['webhooks'][number];
export type CreatedWebhook = ResponseBody<'/v1/webhooks', 'post', '201'>;
export type WebhookDeliveries = ResponseBody<'/v1/webhooks/{id}/deliveries', 'get', '200'>;
export type WebhookDelivery = WebhookDeliveries['deliveries'][number];
export type ReplayAccepted = ResponseBody<'/v1/webhooks/{id}/replay', 'post', '202'>;

/** Version statuses, as the list filter accepts them. */
export type VersionStatusFilter = NonNullable<
  Extract<
    (typeof OPENAPI)['paths']['/v1/documents']['get']['parameters'][number],
    { name: 'status' }
  >['schema']['enum']
>[number];
