import { AegisError } from '@aegis/core';
import { hasRole } from '@aegis/stores';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { documentInScope } from '../auth/knowledge-base-scope.ts';
import { CHUNKS_PER_VIEW, loadDocumentView, PAGES_PER_VIEW } from './document-data.ts';
import {
  chunksSection,
  costSection,
  figuresSection,
  graphSection,
  isFinal,
  metadataSection,
  pagesSection,
  stagesSection,
  versionsSection,
} from './document-sections.ts';
import { html } from './html.ts';
import { sendPage, statusBadge } from './layout.ts';
import { WEB_PREFIX } from './paths.ts';

/** Image types the UI serves as images (anything else is not sent: no HTML or SVG from a document's bytes). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['id'],
} as const;
const offset = { type: 'integer', minimum: 0, maximum: 1_000_000 } as const;
const version = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;

function roleOf(request: FastifyRequest, role: 'ingest' | 'admin'): boolean {
  const principal = request.principal;
  return principal?.kind === 'api-key' && hasRole(principal.roles, role);
}

/** GET /ui/documents/:id (the document page), its figures and, for image documents, the page image. */
export function documentPage(context: ApiContext) {
  const { runtime, sessions } = context;

  async function sendImage(reply: FastifyReply, blobPath: string | null, mimeType: string) {
    if (blobPath === null || !IMAGE_TYPES.has(mimeType))
      throw new AegisError('NOT_FOUND', 'No image of a type the web UI shows.');
    const bytes = await runtime.pipeline.blobs.get(blobPath);
    return reply.type(mimeType).send(Buffer.from(bytes));
  }

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { id: string }; Querystring: { version?: number; pages?: number; chunks?: number } }>(
      `${WEB_PREFIX}/documents/:id`,
      {
        config: { access: 'read', session: true },
        schema: {
          hide: true,
          params: idParams,
          querystring: { type: 'object', properties: { version, pages: offset, chunks: offset } },
        },
      },
      async (request, reply) => {
        const view = await loadDocumentView(request, runtime, request.params.id, {
          version: request.query.version,
          pageOffset: request.query.pages,
          chunkOffset: request.query.chunks,
        });
        const shown = view.status.versions.find((entry) => entry.version === view.version);
        const canIngest = roleOf(request, 'ingest');
        const live = shown !== undefined && !isFinal(shown.status);
        const body = html`
<div class="document-head" id="document" data-document-id="${view.status.documentId}" data-version="${view.version}"${live ? html` data-live="true"` : ''}>
  <h1>${view.status.displayName}</h1>
  <span id="document-status">${statusBadge(shown?.status ?? null)}</span>
  <div class="actions">
    ${canIngest && live && shown?.status !== 'cancelling' && html`<button type="button" data-action="cancel" id="cancel-button">Cancel version ${view.version}</button>`}
    ${roleOf(request, 'admin') && html`<button type="button" class="danger" data-action="delete" id="delete-button">Delete document</button>`}
  </div>
  <p class="action-result" id="action-result" role="status"></p>
</div>
<nav class="toc"><a href="#metadata">Metadata</a> <a href="#versions">Versions</a> <a href="#stages">Stages</a> <a href="#costs">Cost</a> <a href="#pages">Pages</a> <a href="#chunks">Chunks</a> <a href="#figures">Figures</a> <a href="#graph">Entities</a></nav>
${metadataSection(view)}
${versionsSection(view)}
${stagesSection(view, canIngest)}
${costSection(view)}
${pagesSection(view, PAGES_PER_VIEW)}
${chunksSection(view, CHUNKS_PER_VIEW)}
${figuresSection(view)}
${graphSection(view)}`;
        return sendPage(request, reply, sessions, {
          title: view.status.displayName,
          section: 'documents',
          body,
        });
      },
    );

    app.get<{ Params: { id: string; imageId: string }; Querystring: { version?: number } }>(
      `${WEB_PREFIX}/documents/:id/images/:imageId`,
      {
        config: { access: 'read', session: true },
        schema: {
          hide: true,
          params: {
            type: 'object',
            properties: { ...idParams.properties, imageId: { type: 'string', maxLength: 100 } },
            required: ['id', 'imageId'],
          },
        },
      },
      async (request, reply) => {
        const documentId = request.params.id;
        await documentInScope(request, runtime.pool, documentId);
        const { rows } = await runtime.pool.query<{ blob_path: string | null; mime_type: string }>(
          'SELECT blob_path, mime_type FROM document_images WHERE id::text = $1 AND document_id = $2',
          [request.params.imageId, documentId],
        );
        const image = rows[0];
        if (!image) throw new AegisError('NOT_FOUND', 'No such figure in this document.');
        return sendImage(reply, image.blob_path, image.mime_type);
      },
    );

    app.get<{ Params: { id: string }; Querystring: { version?: number } }>(
      `${WEB_PREFIX}/documents/:id/source`,
      {
        config: { access: 'read', session: true },
        schema: { hide: true, params: idParams, querystring: { type: 'object', properties: { version } } },
      },
      async (request, reply) => {
        const documentId = request.params.id;
        await documentInScope(request, runtime.pool, documentId);
        const { rows } = await runtime.pool.query<{ blob_path: string; mime_type: string; kind: string }>(
          `SELECT v.blob_path, v.mime_type, v.kind FROM document_versions v JOIN documents d ON d.id = v.document_id
            WHERE v.document_id = $1 AND v.version = coalesce($2, d.active_version, d.latest_version)`,
          [documentId, request.query.version ?? null],
        );
        const source = rows[0];
        if (source?.kind !== 'image')
          throw new AegisError('NOT_FOUND', 'Only image documents have a page image.');
        return sendImage(reply, source.blob_path, source.mime_type);
      },
    );
  };
}
