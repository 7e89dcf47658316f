import { STAGES } from '@aegis/core';
import { type DocumentView, GRAPH_LINES_PER_VIEW } from './document-data.ts';
import { html, queryString, raw, type SafeHtml } from './html.ts';
import { formatBytes, formatDuration, money, statusBadge } from './layout.ts';
import { documentPagePath } from './paths.ts';

/** The parts of the document page, each a function of the loaded view. */

const FINAL = new Set(['completed', 'completed_with_warnings', 'failed', 'cancelled', 'superseded']);

export function isFinal(status: string): boolean {
  return FINAL.has(status);
}

export function metadataSection(view: DocumentView): SafeHtml {
  const { status, record } = view;
  const metadata =
    record && Object.keys(record.metadata).length > 0 ? JSON.stringify(record.metadata, null, 2) : '';
  return html`<section id="metadata"><h2>Metadata</h2><dl class="meta">
<dt>Document id</dt><dd><code>${status.documentId}</code></dd>
<dt>Source</dt><dd><code>${status.sourceKey}</code></dd>
${
  record &&
  html`<dt>Knowledge base</dt><dd>${record.knowledgeBase}</dd>
<dt>Type</dt><dd>${record.kind} (${record.mimeType})</dd>
<dt>Size</dt><dd>${formatBytes(record.byteSize)}</dd>
<dt>sha256</dt><dd><code>${record.sha256}</code></dd>
<dt>Registered</dt><dd>${record.createdAt.toISOString().slice(0, 19).replace('T', ' ')} UTC</dd>
<dt>Pages</dt><dd>${record.pageCount ?? '–'}</dd>`
}
<dt>Cost (all versions)</dt><dd>${money(status.costUsd)}</dd>
</dl>${metadata && html`<h3>User metadata</h3><pre class="json" id="user-metadata">${metadata}</pre>`}</section>`;
}

export function versionsSection(view: DocumentView): SafeHtml {
  return html`<section id="versions"><h2>Versions</h2><table>
<thead><tr><th>Version</th><th>Status</th><th>Progress</th><th>Pages</th><th></th></tr></thead>
<tbody>${view.status.versions.map(
    (version) => html`<tr${version.version === view.version ? raw(' class="current"') : ''}>
<td>${version.version}${version.version === view.status.activeVersion ? ' (active)' : ''}</td>
<td>${statusBadge(version.status)}</td>
<td><progress max="1" value="${version.progress}">${Math.round(version.progress * 100)}%</progress></td>
<td>${version.pageCount ?? '–'}</td>
<td>${version.version === view.version ? 'shown' : html`<a href="${documentPagePath(view.status.documentId, version.version)}">show</a>`}</td>
</tr>`,
  )}</tbody></table></section>`;
}

/** Stage timeline: status, attempts, duration (with a bar against the slowest stage), items, error, retry. */
export function stagesSection(view: DocumentView, canIngest: boolean): SafeHtml {
  const version = view.status.versions.find((entry) => entry.version === view.version);
  const stages = version?.stages ?? [];
  const longest = Math.max(1, ...stages.map((stage) => stage.durationMs ?? 0));
  return html`<section id="stages"><h2>Stages (version ${view.version})</h2><table class="stages">
<thead><tr><th>Stage</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Items</th><th>Error</th><th></th></tr></thead>
<tbody>${STAGES.map((name) => {
    const stage = stages.find((entry) => entry.stage === name);
    if (!stage)
      return html`<tr data-stage="${name}"><td>${name}</td><td>${statusBadge('pending')}</td><td colspan="5"></td></tr>`;
    return html`<tr data-stage="${name}">
<td>${name}</td><td>${statusBadge(stage.status)}</td><td>${stage.attempts}</td>
<td>${formatDuration(stage.durationMs)} <meter min="0" max="${longest}" value="${stage.durationMs ?? 0}"></meter></td>
<td>${stage.itemsTotal === null ? stage.itemsDone : `${stage.itemsDone} / ${stage.itemsTotal}`}</td>
<td>${stage.errorCode && html`<code>${stage.errorCode}</code> ${stage.errorMessage ?? ''}`}</td>
<td>${canIngest && html`<button type="button" class="small" data-action="retry" data-stage="${name}">Retry</button>`}</td>
</tr>`;
  })}</tbody></table>
${version?.errorCode && html`<p class="error" id="version-error"><code>${version.errorCode}</code> ${version.errorMessage ?? ''}</p>`}
${
  version &&
  (
    version.warnings.length > 0 ||
      version.missing.imagesNotDescribed > 0 ||
      version.missing.chunksWithoutGraph > 0
  )
    ? html`<h3>Warnings</h3><ul id="warnings">${version.warnings.map((warning) => html`<li>${warning}</li>`)}
${version.missing.imagesNotDescribed > 0 && html`<li>${version.missing.imagesNotDescribed} image(s) not described</li>`}
${version.missing.chunksWithoutGraph > 0 && html`<li>${version.missing.chunksWithoutGraph} chunk(s) without graph extraction</li>`}</ul>`
    : html`<p class="muted" id="warnings">No warnings.</p>`
}</section>`;
}

export function costSection(view: DocumentView): SafeHtml {
  if (view.costs.length === 0)
    return html`<section id="costs"><h2>Cost by stage and model</h2><p class="muted">No model calls recorded.</p></section>`;
  return html`<section id="costs"><h2>Cost by stage and model</h2><table>
<thead><tr><th>Stage</th><th>Provider</th><th>Model</th><th>Requests</th><th>Cost</th></tr></thead>
<tbody>${view.costs.map(
    (line) =>
      html`<tr><td>${line.stage ?? '–'}</td><td>${line.provider}</td><td>${line.model}</td><td>${line.requests}</td><td>${money(line.costUsd)}</td></tr>`,
  )}</tbody><tfoot><tr><th colspan="4">Total (all versions)</th><td>${money(view.status.costUsd)}</td></tr></tfoot></table></section>`;
}

function pager(
  view: DocumentView,
  param: 'pages' | 'chunks',
  offset: number,
  count: number,
  per: number,
): SafeHtml {
  if (count <= per) return html``;
  const link = (to: number, label: string) =>
    html`<a href="${documentPagePath(view.status.documentId)}${queryString({ version: view.version, [param]: to })}#${param}">${label}</a>`;
  return html`<p class="pager">Showing ${offset + 1}–${Math.min(count, offset + per)} of ${count}.
${offset > 0 && link(Math.max(0, offset - per), '← previous')} ${offset + per < count && link(offset + per, 'next →')}</p>`;
}

/**
 * Pages with their text beside the page's image: an image document is its own page; PDF pages are rendered on
 * demand in the parsing sandbox (page-images.ts, ADR 017); other formats have no pages to show.
 */
export function pagesSection(view: DocumentView, per: number): SafeHtml {
  const kind = view.record?.kind;
  const versionQuery = queryString({ version: view.version });
  const imageUrl = (pageNumber: number): string | undefined =>
    kind === 'image'
      ? `${documentPagePath(view.status.documentId)}/source${versionQuery}`
      : kind === 'pdf'
        ? `${documentPagePath(view.status.documentId)}/pages/${pageNumber}${versionQuery}`
        : undefined;
  return html`<section id="pages"><h2>Pages (${view.pageCount})</h2>
${kind !== 'image' && kind !== 'pdf' && view.pageCount > 0 && html`<p class="muted">No page images for this format; the text is what extraction read.</p>`}
${pager(view, 'pages', view.pageOffset, view.pageCount, per)}
${view.pages.map((page) => {
  const src = imageUrl(page.pageNumber);
  return html`<article class="page" id="page-${page.pageNumber}">
<h3>Page ${page.pageNumber}</h3>
<div class="page-body">${src !== undefined && html`<img class="page-image" src="${src}" alt="Page ${page.pageNumber}" loading="lazy">`}
<div class="page-text">${page.paragraphs.map((paragraph) =>
    paragraph.headingLevel ? html`<p class="heading">${paragraph.text}</p>` : html`<p>${paragraph.text}</p>`,
  )}</div></div></article>`;
})}</section>`;
}

export function chunksSection(view: DocumentView, per: number): SafeHtml {
  return html`<section id="chunks"><h2>Chunks (${view.chunkCount})</h2>
${pager(view, 'chunks', view.chunkOffset, view.chunkCount, per)}
<ol class="chunks" start="${view.chunkOffset}">${view.chunks.map(
    (chunk) => html`<li class="chunk" data-chunk="${chunk.index}">
<div class="chunk-head"><span class="heading-path">${chunk.headingPath.length > 0 ? chunk.headingPath.join(' › ') : '(no heading)'}</span>
<span class="pages">${chunk.pageStart === chunk.pageEnd ? `page ${chunk.pageStart}` : `pages ${chunk.pageStart}–${chunk.pageEnd}`}</span>
<span class="tokens">${chunk.tokenCount} tokens</span></div>
<details><summary>${chunk.text.slice(0, 160)}${chunk.text.length > 160 ? '…' : ''}</summary><pre class="chunk-text">${chunk.text}</pre></details></li>`,
  )}</ol></section>`;
}

export function figuresSection(view: DocumentView): SafeHtml {
  if (view.images.length === 0)
    return html`<section id="figures"><h2>Figures</h2><p class="muted">No figures.</p></section>`;
  // A repeated image (a copy, scaled or not) is described once: its copies are counted, not shown again.
  const shown = view.images.filter((image) => image.duplicateOf === null);
  const copies = view.images.length - shown.length;
  return html`<section id="figures"><h2>Figures (${view.images.length})</h2>
${copies > 0 && html`<p class="muted">${copies} repeated image(s) not shown again.</p>`}<div class="figures">${shown.map(
    (image) => html`<figure>
${image.blobPath ? html`<img src="${documentPagePath(view.status.documentId)}/images/${image.id}" alt="Figure on page ${image.pageNumber}" loading="lazy">` : html`<div class="no-image">not decoded</div>`}
<figcaption>Page ${image.pageNumber} · ${statusBadge(image.status)} ${image.description ?? image.skipReason ?? image.errorCode ?? ''}</figcaption></figure>`,
  )}</div></section>`;
}

export function graphSection(view: DocumentView): SafeHtml {
  return html`<section id="graph"><h2>Entities (${view.entities.length}) and relations (${view.relations.length})</h2>
${(view.entities.length > GRAPH_LINES_PER_VIEW || view.relations.length > GRAPH_LINES_PER_VIEW) && html`<p class="muted">The ${GRAPH_LINES_PER_VIEW} most mentioned entities and first ${GRAPH_LINES_PER_VIEW} relations are shown.</p>`}
${
  view.entities.length === 0
    ? html`<p class="muted">No entities extracted.</p>`
    : html`<table id="entities"><thead><tr><th>Entity</th><th>Type</th><th>Chunks</th><th>Description</th></tr></thead><tbody>${view.entities
        .slice(0, GRAPH_LINES_PER_VIEW)
        .map(
          (entity) =>
            html`<tr><td>${entity.name}</td><td>${entity.type}</td><td>${entity.mentions}</td><td>${entity.description}</td></tr>`,
        )}</tbody></table>`
}
${
  view.relations.length > 0 &&
  html`<table id="relations"><thead><tr><th>Source</th><th>Relation</th><th>Target</th><th>Description</th></tr></thead><tbody>${view.relations
    .slice(0, GRAPH_LINES_PER_VIEW)
    .map(
      (relation) =>
        html`<tr><td>${relation.source}</td><td>${relation.type}</td><td>${relation.target}</td><td>${relation.description}</td></tr>`,
    )}</tbody></table>`
}</section>`;
}
