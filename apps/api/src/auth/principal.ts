import type { ApiKeyRole } from '@aegis/stores';

/** Who made a request: an API key (from a header or the admin session cookie), or the metrics scraper. */
export type Principal =
  | {
      kind: 'api-key';
      keyId: string;
      keyName: string;
      roles: ApiKeyRole[];
      via: 'header' | 'session' | 'local';
      /** The knowledge bases the key may see; undefined = every base. */
      knowledgeBases?: string[] | undefined;
    }
  | { kind: 'metrics-token' };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook; `null` on public routes and before authentication. */
    principal: Principal | null;
  }
}

/** Key id and name for the audit log and rate limiting; `null` when not an API key. */
export function principalKey(principal: Principal | null): { id: string; name: string } | null {
  if (principal?.kind === 'api-key') return { id: principal.keyId, name: principal.keyName };
  return null;
}
