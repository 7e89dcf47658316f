import type { ChunkPayload, MetadataValue } from '@aegis/core';
import { l2Normalise } from './vector-math.ts';

/** Smallest positive normal float32; Postgres refuses smaller magnitudes for `real` as out of range. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** The float32 a component is stored as; magnitudes below float32's normal range become 0. */
export function toFloat32(value: number): number {
  return Math.abs(value) < FLOAT32_MIN_NORMAL ? 0 : Math.fround(value);
}

/** The L2-normalised vector as big-endian float32 bytes: the byte order of Postgres' `float4send`. */
export function encodeVector(vector: readonly number[]): Buffer {
  const normalised = l2Normalise(vector);
  const bytes = Buffer.allocUnsafe(normalised.length * 4);
  for (let index = 0; index < normalised.length; index += 1)
    bytes.writeFloatBE(toFloat32(normalised[index] ?? 0), index * 4);
  return bytes;
}

/** pgvector's text form, `[a,b,c]`, of the L2-normalised vector. */
export function vectorLiteral(vector: readonly number[]): string {
  return `[${l2Normalise(vector).map(toFloat32).join(',')}]`;
}

/** Dot product of `query` with a vector stored by {@link encodeVector}, read from its base64 text. */
export function dotWithEncoded(base64: string, query: Float64Array): number {
  const bytes = Buffer.from(base64, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let index = 0; index < query.length; index += 1)
    sum += view.getFloat32(index * 4) * (query[index] ?? 0);
  return sum;
}

/** The columns of a point row besides its vector, as the store reads them. */
export interface PointRow {
  id: string;
  document_id: string;
  version: number;
  chunk_index: number;
  knowledge_base: string;
  kind: string;
  created_at: Date;
  page_start: number;
  page_end: number;
  metadata: Record<string, MetadataValue>;
  payload: { source: string; text: string; headingPath: string[]; embeddingModel: string };
}

export const POINT_COLUMNS =
  'p.id, p.document_id, p.version, p.chunk_index, p.knowledge_base, p.kind, p.created_at, p.page_start, p.page_end, p.metadata, p.payload';

export function payloadOf(row: PointRow): ChunkPayload {
  return {
    documentId: row.document_id,
    version: row.version,
    chunkIndex: row.chunk_index,
    knowledgeBase: row.knowledge_base,
    kind: row.kind,
    createdAt: row.created_at.toISOString(),
    metadata: row.metadata,
    pageStart: row.page_start,
    pageEnd: row.page_end,
    source: row.payload.source,
    text: row.payload.text,
    headingPath: row.payload.headingPath ?? [],
    embeddingModel: row.payload.embeddingModel,
  };
}
