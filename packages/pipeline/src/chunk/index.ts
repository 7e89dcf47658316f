export { BLOCK_SEPARATOR, canonicalText } from './canonical-text.ts';
export type { Chunk, ChunkFigure, ChunkInputPage, ChunkOptions } from './chunk.ts';
export { chunkDocument, DEFAULT_CHUNK_OPTIONS, resolveChunkOptions } from './chunk-document.ts';
