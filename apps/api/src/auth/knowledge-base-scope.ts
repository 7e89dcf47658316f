import { AegisError, DEFAULT_KNOWLEDGE_BASE } from '@aegis/core';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Principal } from './principal.ts';

/** The knowledge bases a caller may see; undefined = every base (an unscoped key). */
export function knowledgeBaseScope(principal: Principal | null): string[] | undefined {
  return principal?.kind === 'api-key' ? principal.knowledgeBases : undefined;
}

/**
 * The base a write goes to: the one named, else `default`, else (for a key scoped to one base) that base.
 * @throws AegisError `FORBIDDEN` when it lies outside the key's scope.
 */
export function writableBase(request: FastifyRequest, named: string | undefined): string {
  const scope = knowledgeBaseScope(request.principal);
  const base = named ?? (scope?.length === 1 ? scope[0] : undefined) ?? DEFAULT_KNOWLEDGE_BASE;
  if (scope !== undefined && !scope.includes(base))
    throw new AegisError('FORBIDDEN', `This key may not write to knowledge base "${base}".`, {
      details: { knowledgeBase: base },
    });
  request.auditKnowledgeBase = base;
  return base;
}

/**
 * Checks that the document exists and lies within the caller's scope, and returns its base. Outside the scope
 * it answers exactly like a missing document (404), so a key cannot learn what other bases hold.
 */
export async function documentInScope(
  request: FastifyRequest,
  pool: pg.Pool,
  documentId: string,
): Promise<string> {
  const { rows } = await pool.query<{ knowledge_base: string }>(
    'SELECT knowledge_base FROM documents WHERE id = $1',
    [documentId],
  );
  const base = rows[0]?.knowledge_base;
  const scope = knowledgeBaseScope(request.principal);
  if (base === undefined || (scope !== undefined && !scope.includes(base)))
    throw new AegisError('DOCUMENT_NOT_FOUND', `Document ${documentId} does not exist.`);
  request.auditKnowledgeBase = base;
  return base;
}
