import { AegisError } from '@aegis/core';
import { defaultSandbox } from '@aegis/pipeline';
import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { ApiContext } from '../app-context.ts';
import { documentInScope } from '../auth/knowledge-base-scope.ts';
import { WEB_PREFIX } from './paths.ts';

/** Longer side of a rendered page, in pixels: readable beside its text, light to send. */
const PAGE_IMAGE_MAX_SIDE = 900;
/** Rendered pages kept in memory (LRU by bytes): a page viewed again is not rendered again. */
const CACHE_MAX_BYTES = 32 * 1024 * 1024;
/** A rendering that takes longer is given up (a heavy page must not hold a sandbox process for long). */
const RENDER_TIMEOUT_MS = 20_000;

/**
 * GET /ui/documents/:id/pages/:page: a PDF page rendered on demand in the parsing sandbox (the same hardened
 * pdf.js, memory cap and time limit as extraction), so the document page shows each page beside its text.
 * Rendered pages are cached in memory by the bytes' hash and page; the browser may keep them privately.
 */
export function pageImages(context: ApiContext) {
  const { runtime } = context;
  // Bounded by bytes; concurrent views of one page share one rendering (`fetch`).
  const cache = new LRUCache<string, Uint8Array, { blobPath: string; pageNumber: number }>({
    maxSize: CACHE_MAX_BYTES,
    sizeCalculation: (png) => png.byteLength,
    fetchMethod: async (_key, _stale, { context: source }) => {
      const data = await runtime.pipeline.blobs.get(source.blobPath);
      const { extractionLimits } = runtime.pipeline.options;
      const rendered = await (runtime.pipeline.sandbox ?? defaultSandbox()).run(
        'render-page',
        {
          data,
          pageNumber: source.pageNumber,
          maxSide: PAGE_IMAGE_MAX_SIDE,
          limits: { maxImagePixels: extractionLimits.maxImagePixels, pageTimeoutMs: RENDER_TIMEOUT_MS },
        },
        { stepTimeoutMs: RENDER_TIMEOUT_MS },
      );
      return rendered.png;
    },
  });

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { id: string; page: number }; Querystring: { version?: number } }>(
      `${WEB_PREFIX}/documents/:id/pages/:page`,
      {
        config: { access: 'read', session: true },
        schema: {
          hide: true,
          params: {
            type: 'object',
            properties: {
              id: { type: 'string', minLength: 1, maxLength: 200 },
              page: { type: 'integer', minimum: 1, maximum: 100_000 },
            },
            required: ['id', 'page'],
          },
          querystring: {
            type: 'object',
            properties: { version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
          },
        },
      },
      async (request, reply) => {
        const { id: documentId, page } = request.params;
        await documentInScope(request, runtime.pool, documentId);
        const { rows } = await runtime.pool.query<{ blob_path: string; kind: string; sha256: string }>(
          `SELECT v.blob_path, v.kind, v.sha256 FROM document_versions v JOIN documents d ON d.id = v.document_id
            WHERE v.document_id = $1 AND v.version = coalesce($2, d.active_version, d.latest_version)`,
          [documentId, request.query.version ?? null],
        );
        const source = rows[0];
        if (source?.kind !== 'pdf') throw new AegisError('NOT_FOUND', 'Only PDF pages are rendered.');
        // Keyed by the bytes' hash: equal bytes render equally, whichever document or version holds them.
        const key = `${source.sha256}:${page}`;
        const png = await cache.fetch(key, { context: { blobPath: source.blob_path, pageNumber: page } });
        if (!png) throw new AegisError('NOT_FOUND', `No image of page ${page}.`);
        return reply
          .type('image/png')
          .header('cache-control', 'private, max-age=3600')
          .send(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
      },
    );
  };
}
