import { AegisError } from '@aegis/core';
import { defaultSandbox } from '@aegis/pipeline';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { documentInScope } from '../auth/knowledge-base-scope.ts';
import { WEB_PREFIX } from './paths.ts';

/** Longer side of a rendered page, in pixels: readable beside its text, light to send. */
const PAGE_IMAGE_MAX_SIDE = 900;
/** Rendered pages kept in memory (LRU by bytes): a page viewed again is not rendered again. */
const CACHE_MAX_BYTES = 32 * 1024 * 1024;
/** A rendering that takes longer is given up (a heavy page must not hold a sandbox process for long). */
const RENDER_TIMEOUT_MS = 20_000;

/** Insertion-ordered Map as an LRU bounded by the total size of its values. */
function createByteLru(maxBytes: number) {
  const entries = new Map<string, Uint8Array>();
  let bytes = 0;
  return {
    get(key: string): Uint8Array | undefined {
      const value = entries.get(key);
      if (value) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key: string, value: Uint8Array): void {
      if (value.byteLength > maxBytes) return;
      const old = entries.get(key);
      if (old) bytes -= old.byteLength;
      entries.delete(key);
      entries.set(key, value);
      bytes += value.byteLength;
      for (const [oldest, evicted] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(oldest);
        bytes -= evicted.byteLength;
      }
    },
  };
}

/**
 * GET /ui/documents/:id/pages/:page: a PDF page rendered on demand in the parsing sandbox (the same hardened
 * pdf.js, memory cap and time limit as extraction), so the document page shows each page beside its text.
 * Rendered pages are cached per document version in memory; the browser may keep them privately.
 */
export function pageImages(context: ApiContext) {
  const { runtime } = context;
  const cache = createByteLru(CACHE_MAX_BYTES);
  const pending = new Map<string, Promise<Uint8Array>>();

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
        let png = cache.get(key);
        if (!png) {
          let rendering = pending.get(key);
          if (!rendering) {
            rendering = (async () => {
              const data = await runtime.pipeline.blobs.get(source.blob_path);
              const { extractionLimits } = runtime.pipeline.options;
              const rendered = await (runtime.pipeline.sandbox ?? defaultSandbox()).run(
                'render-page',
                {
                  data,
                  pageNumber: page,
                  maxSide: PAGE_IMAGE_MAX_SIDE,
                  limits: {
                    maxImagePixels: extractionLimits.maxImagePixels,
                    pageTimeoutMs: RENDER_TIMEOUT_MS,
                  },
                },
                { stepTimeoutMs: RENDER_TIMEOUT_MS },
              );
              cache.set(key, rendered.png);
              return rendered.png;
            })().finally(() => pending.delete(key));
            pending.set(key, rendering);
          }
          png = await rendering;
        }
        return reply
          .type('image/png')
          .header('cache-control', 'private, max-age=3600')
          .send(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
      },
    );
  };
}
