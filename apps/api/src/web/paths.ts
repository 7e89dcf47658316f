import { type ApiKeyRole, hasRole } from '@aegis/stores';

/** Where the documents web UI lives (ADR 017). */
export const WEB_PREFIX = '/ui';
export const WEB_LOGIN_PATH = `${WEB_PREFIX}/login`;
export const WEB_ASSETS = `${WEB_PREFIX}/assets`;

/** A document's page in the web UI (Bull Board jobs link to it). */
export function documentPagePath(documentId: string, version?: number): string {
  const base = `${WEB_PREFIX}/documents/${encodeURIComponent(documentId)}`;
  return version === undefined ? base : `${base}?version=${version}`;
}

/**
 * Only the UI's own pages (anything else would make the login an open redirect). Without a valid one: on the
 * form, nothing; after login, the documents, or the upload page for a key that may ingest but not read.
 */
export function safeWebNext(next: unknown, roles?: readonly ApiKeyRole[]): string {
  if (
    typeof next === 'string' &&
    /^\/ui\/[\w\-./]*(\?[\w\-.=&%+]*)?$/.test(next) &&
    !next.startsWith(WEB_LOGIN_PATH) &&
    !next.includes('..')
  )
    return next;
  if (roles === undefined) return '';
  return hasRole(roles, 'read') ? `${WEB_PREFIX}/documents` : `${WEB_PREFIX}/upload`;
}
