import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace for every derived id in Aegis (UUIDv5); changing it would change every id. */
const AEGIS_NAMESPACE = '6f0e3a52-8c1b-5d4e-9a27-3b5c1d7e9f10';

/**
 * A document's id: the UUIDv5 of its source key, stable across its versions (ADR 004). Outside the `default`
 * knowledge base the base is part of it, so the same file in two bases is two documents.
 */
export function documentIdFor(sourceKey: string, knowledgeBase = 'default'): string {
  const scoped = knowledgeBase === 'default' ? sourceKey : `${knowledgeBase}\u0000${sourceKey}`;
  return uuidv5(`document:${scoped}`, AEGIS_NAMESPACE);
}

/** The vector point and graph node id of a chunk: re-upserting the same chunk overwrites, never duplicates. */
export function chunkPointId(documentId: string, version: number, chunkIndex: number): string {
  return uuidv5(`chunk:${documentId}:${version}:${chunkIndex}`, AEGIS_NAMESPACE);
}

/** An image's id, stable for the same document version, page and position. */
export function imageIdFor(
  documentId: string,
  version: number,
  pageNumber: number,
  imageIndex: number,
): string {
  return uuidv5(`image:${documentId}:${version}:${pageNumber}:${imageIndex}`, AEGIS_NAMESPACE);
}

/**
 * BullMQ job id of a stage run. No colons (BullMQ uses them in keys) and never all digits (BullMQ reserves
 * numeric ids for its own counter).
 */
export function stageJobId(documentId: string, version: number, stage: string, run: number): string {
  return `${documentId}-v${version}-${stage}-r${run}`;
}
