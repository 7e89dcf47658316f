import type { VectorFilter } from '@aegis/core';
import { AegisError } from '@aegis/core';
import type { SqlParams } from './sql-params.ts';

/** Metadata field names a filter may name (top-level keys; the same rule as ingest validation). */
export const METADATA_FIELD = /^[A-Za-z0-9_-]{1,64}$/;

/** @throws AegisError `VALIDATION_FAILED` for a metadata field name a filter may not use. */
export function assertMetadataField(field: string): void {
  if (!METADATA_FIELD.test(field))
    throw new AegisError(
      'VALIDATION_FAILED',
      `metadata filter field "${field}" must match ${METADATA_FIELD}`,
      {
        details: { field },
      },
    );
}

/**
 * The conditions of a filter over `vector_points` (alias `p`), each AND-ed, as SQL text; values go to
 * `params`. Metadata uses jsonb containment (`metadata @> {"field": value}`), which the GIN index serves and
 * which matches array-valued fields containing the value; several values of one field are OR-ed.
 */
export function filterSql(filter: VectorFilter | undefined, params: SqlParams): string {
  if (filter === undefined) return '';
  const parts: string[] = [];
  if (filter.documentId !== undefined) parts.push(`p.document_id = ${params.add(filter.documentId)}`);
  if (filter.version !== undefined) parts.push(`p.version = ${params.add(filter.version)}`);
  if (filter.documentIds !== undefined)
    parts.push(`p.document_id = ANY(${params.add([...filter.documentIds])}::text[])`);
  if (filter.knowledgeBases !== undefined)
    parts.push(`p.knowledge_base = ANY(${params.add([...filter.knowledgeBases])}::text[])`);
  if (filter.kinds !== undefined) parts.push(`p.kind = ANY(${params.add([...filter.kinds])}::text[])`);
  if (filter.createdAfter !== undefined)
    parts.push(`p.created_at >= ${params.add(filter.createdAfter)}::timestamptz`);
  if (filter.createdBefore !== undefined)
    parts.push(`p.created_at < ${params.add(filter.createdBefore)}::timestamptz`);
  if (filter.pages?.from !== undefined) parts.push(`p.page_end >= ${params.add(filter.pages.from)}`);
  if (filter.pages?.to !== undefined) parts.push(`p.page_start <= ${params.add(filter.pages.to)}`);
  for (const [field, wanted] of Object.entries(filter.metadata ?? {})) {
    if (!METADATA_FIELD.test(field))
      throw new AegisError(
        'VALIDATION_FAILED',
        `metadata filter field "${field}" must match ${METADATA_FIELD}`,
        {
          details: { field },
        },
      );
    const values = Array.isArray(wanted) ? wanted : [wanted];
    if (values.length === 0) {
      parts.push('false');
      continue;
    }
    // A scalar field equals the value; an array field contains it. Both forms are GIN-indexed containments.
    const alternatives = values.flatMap((value) => [
      `p.metadata @> ${params.add(JSON.stringify({ [field]: value }))}::jsonb`,
      `p.metadata @> ${params.add(JSON.stringify({ [field]: [value] }))}::jsonb`,
    ]);
    parts.push(`(${alternatives.join(' OR ')})`);
  }
  return parts.map((part) => ` AND ${part}`).join('');
}
