import { DEFAULT_KNOWLEDGE_BASE, STAGES } from '@aegis/core';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { html } from './html.ts';
import { pageOptions, sendPage } from './layout.ts';
import { WEB_PREFIX } from './paths.ts';

/**
 * GET /ui/upload: drop several files; the page's script sends each to POST /v1/documents (the API's own
 * upload route, with the session and its CSRF token) and follows its stages on GET /v1/events.
 */
export function uploadPage(context: ApiContext) {
  const { sessions, config } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get(`${WEB_PREFIX}/upload`, pageOptions('ingest'), async (request, reply) => {
      const scope = knowledgeBaseScope(request.principal);
      const bases = scope ?? [DEFAULT_KNOWLEDGE_BASE];
      const body = html`
<h1>Upload</h1>
<form id="upload-form" class="upload" data-stages="${STAGES.join(',')}">
  <label>Knowledge base ${
    scope === undefined
      ? html`<input id="upload-kb" name="knowledgeBase" value="${DEFAULT_KNOWLEDGE_BASE}" pattern="[a-z0-9][a-z0-9_\-]{0,63}">`
      : html`<select id="upload-kb" name="knowledgeBase">${bases.map((base) => html`<option>${base}</option>`)}</select>`
  }</label>
  <label class="grow">Metadata (JSON object, optional) <input id="upload-metadata" name="metadata" placeholder='{"team": "finance"}'></label>
  <div id="dropzone" class="dropzone" tabindex="0">
    <p><strong>Drop files here</strong> or <label class="link" for="file-input">choose files</label>.</p>
    <p class="muted">Up to ${Math.floor(config.api.uploadMaxBytes / 1024 / 1024)} MiB each; PDF, Word, HTML, Markdown, text, images, CSV, XLSX, PPTX, EPUB.</p>
    <input type="file" id="file-input" multiple hidden>
  </div>
</form>
<table id="uploads" class="uploads" hidden>
<thead><tr><th>File</th><th>Upload</th>${STAGES.map((stage) => html`<th>${stage}</th>`)}<th>Status</th></tr></thead>
<tbody></tbody></table>
<p class="muted" id="live-state" role="status"></p>`;
      return sendPage(request, reply, sessions, { title: 'Upload', section: 'upload', body });
    });
  };
}
