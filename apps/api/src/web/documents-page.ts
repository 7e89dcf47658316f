import { VERSION_STATUSES } from '@aegis/core';
import { listDocuments } from '@aegis/stores';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { searchableBases, splitList } from '../http/search-query.ts';
import { html, queryString } from './html.ts';
import { oneOf, pageOptions, sendPage, statusBadge } from './layout.ts';
import { documentPagePath, WEB_PREFIX } from './paths.ts';

/** GET /ui/documents: the documents of the caller's knowledge bases, newest first, with filters. */
export function documentsPage(context: ApiContext) {
  const { runtime, sessions } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get(WEB_PREFIX, { config: { access: 'read', session: true }, schema: { hide: true } }, (_r, reply) =>
      reply.redirect(`${WEB_PREFIX}/documents`, 302),
    );

    app.get<{ Querystring: Record<'status' | 'q' | 'kb' | 'cursor', string | undefined> }>(
      `${WEB_PREFIX}/documents`,
      pageOptions('read', { status: 40, q: 200, kb: 500, cursor: 500 }),
      async (request, reply) => {
        const { q, kb, cursor } = request.query;
        const status = oneOf(VERSION_STATUSES, request.query.status);
        const named = splitList(kb);
        const knowledgeBases = named
          ? searchableBases(request.principal, named)
          : knowledgeBaseScope(request.principal);
        const page = await listDocuments(runtime.pool, {
          status,
          q: q || undefined,
          cursor: cursor || undefined,
          limit: 50,
          knowledgeBases,
        });
        const { rows } = await runtime.pool.query<{ id: string; knowledge_base: string }>(
          'SELECT id, knowledge_base FROM documents WHERE id = ANY($1)',
          [page.documents.map((doc) => doc.documentId)],
        );
        const baseOf = new Map(rows.map((row) => [row.id, row.knowledge_base]));
        const filters = { status, q, kb };
        const body = html`
<h1>Documents</h1>
<form class="filters" method="get" action="${WEB_PREFIX}/documents" id="document-filters">
  <label>Name <input type="search" name="q" value="${q ?? ''}" placeholder="part of a file name"></label>
  <label>Status <select name="status"><option value="">any</option>${VERSION_STATUSES.map(
    (value) =>
      html`<option value="${value}"${value === status ? html` selected` : ''}>${value.replaceAll('_', ' ')}</option>`,
  )}</select></label>
  <label>Knowledge bases <input name="kb" value="${kb ?? ''}" placeholder="a,b"></label>
  <button type="submit">Filter</button>
  <a class="button" href="${WEB_PREFIX}/upload">Upload…</a>
</form>
${
  page.documents.length === 0
    ? html`<p class="empty">No documents match.</p>`
    : html`<table class="documents" id="documents-table">
<thead><tr><th>Name</th><th>Status</th><th>Knowledge base</th><th>Versions</th><th>Updated</th></tr></thead>
<tbody>${page.documents.map(
        (doc) => html`<tr data-document-id="${doc.documentId}">
  <td><a href="${documentPagePath(doc.documentId)}">${doc.displayName}</a></td>
  <td>${statusBadge(doc.status)}</td>
  <td>${baseOf.get(doc.documentId) ?? ''}</td>
  <td>${doc.activeVersion ?? '–'} / ${doc.latestVersion}</td>
  <td><time datetime="${doc.updatedAt}">${doc.updatedAt.slice(0, 19).replace('T', ' ')}</time></td>
</tr>`,
      )}</tbody></table>`
}
${page.nextCursor && html`<p><a href="${WEB_PREFIX}/documents${queryString({ ...filters, cursor: page.nextCursor })}">Older documents →</a></p>`}`;
        return sendPage(request, reply, sessions, { title: 'Documents', section: 'documents', body });
      },
    );
  };
}
