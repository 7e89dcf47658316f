import { SEARCH_MODES, type SearchResult, searchDocuments } from '@aegis/pipeline';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { principalKey } from '../auth/principal.ts';
import { searchableBases, searchFilterOf, splitList } from '../http/search-query.ts';
import { html } from './html.ts';
import { oneOf, pageOptions, sendPage } from './layout.ts';
import { documentPagePath, WEB_PREFIX } from './paths.ts';

/** GET /ui/search: the search of GET /v1/search (same bases, filters and attribution) as a page. */
export function searchPage(context: ApiContext) {
  const { runtime, sessions } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: Record<'q' | 'mode' | 'kb' | 'kind', string | undefined> }>(
      `${WEB_PREFIX}/search`,
      pageOptions('read', { q: 1000, mode: 20, kb: 500, kind: 40 }),
      async (request, reply) => {
        const q = request.query.q?.trim() ?? '';
        const mode = oneOf(SEARCH_MODES, request.query.mode) ?? 'hybrid';
        const { kb, kind } = request.query;
        let result: SearchResult | undefined;
        if (q) {
          result = await searchDocuments(runtime.pipeline, {
            query: q,
            mode,
            knowledgeBases: searchableBases(request.principal, splitList(kb)),
            limit: 20,
            filter: searchFilterOf({ q, kind: kind || undefined }),
            attribution: { stage: 'api-search', userId: principalKey(request.principal)?.name },
          });
        }
        const body = html`
<h1>Search</h1>
<form class="filters" method="get" action="${WEB_PREFIX}/search" id="search-form">
  <label class="grow">Query <input type="search" name="q" id="search-q" value="${q}" required autofocus></label>
  <label>Mode <select name="mode">${SEARCH_MODES.map(
    (value) => html`<option value="${value}"${value === mode ? html` selected` : ''}>${value}</option>`,
  )}</select></label>
  <label>Knowledge bases <input name="kb" value="${kb ?? ''}" placeholder="default"></label>
  <label>Kind <input name="kind" value="${kind ?? ''}" placeholder="text, figure…"></label>
  <button type="submit" id="search-submit">Search</button>
</form>
${
  result &&
  html`<p class="muted" id="search-summary">${result.hits.length} hit(s) · ${result.mode}${result.embeddingModels.length > 0 ? ` · embedded with ${result.embeddingModels.join(', ')}` : ''}</p>
<ol class="hits" id="search-hits">${result.hits.map(
    (hit) => html`<li class="hit">
<div class="hit-head"><a href="${documentPagePath(hit.documentId, hit.version)}#chunks">${hit.source}</a>
<span class="muted">${hit.knowledgeBase} · ${hit.pageStart === hit.pageEnd ? `page ${hit.pageStart}` : `pages ${hit.pageStart}–${hit.pageEnd}`} · chunk ${hit.chunkIndex}</span>
<span class="score" title="keyword ${hit.scores.keyword?.score ?? '–'} (rank ${hit.scores.keyword?.rank ?? '–'}), vector ${hit.scores.vector?.score ?? '–'} (rank ${hit.scores.vector?.rank ?? '–'})">score ${hit.score.toFixed(4)}</span></div>
${hit.headingPath.length > 0 && html`<div class="heading-path">${hit.headingPath.join(' › ')}</div>`}
<p class="hit-text">${hit.text.length > 600 ? `${hit.text.slice(0, 600)}…` : hit.text}</p>
${hit.entities.length > 0 && html`<p class="entities">${hit.entities.map((entity) => html`<span class="tag">${entity.name}</span> `)}</p>`}
</li>`,
  )}</ol>`
}`;
        return sendPage(request, reply, sessions, {
          title: q ? `Search: ${q}` : 'Search',
          section: 'search',
          body,
        });
      },
    );
  };
}
