import { formatUsd } from '@aegis/client';
import { hasRole } from '@aegis/stores';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminSessions } from '../auth/admin-session.ts';
import { html, raw, type SafeHtml } from './html.ts';
import { WEB_ASSETS, WEB_PREFIX } from './paths.ts';

export type Section = 'documents' | 'upload' | 'search' | 'costs';

const NAV: ReadonlyArray<{ section: Section; label: string; href: string; role: 'read' | 'ingest' }> = [
  { section: 'documents', label: 'Documents', href: `${WEB_PREFIX}/documents`, role: 'read' },
  { section: 'upload', label: 'Upload', href: `${WEB_PREFIX}/upload`, role: 'ingest' },
  { section: 'search', label: 'Search', href: `${WEB_PREFIX}/search`, role: 'read' },
  { section: 'costs', label: 'Costs', href: `${WEB_PREFIX}/costs`, role: 'read' },
];

/**
 * CSP of the UI's pages: only this origin's own stylesheet, script and images; no inline script or style
 * (bars are <meter>/<progress> elements, not styled widths), no frames, forms post here only.
 */
export const WEB_CSP = {
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    upgradeInsecureRequests: null,
  },
};

/** Who is looking, for the header. */
function who(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind !== 'api-key') return '';
  const scope = principal.knowledgeBases ? ` · ${principal.knowledgeBases.join(', ')}` : '';
  return `${principal.keyName} (${principal.roles.join(', ')})${scope}`;
}

/** Sends a whole page: header with navigation, the CSRF token for the script, the body. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  sessions: AdminSessions,
  page: { title: string; section: Section | undefined; body: SafeHtml; status?: number },
): FastifyReply {
  const csrf = sessions.csrfToken(request) ?? '';
  const document = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="csrf-token" content="${csrf}">
<title>${page.title} · Aegis Ingest</title>
<link rel="stylesheet" href="${WEB_ASSETS}/ui.css">
<script src="${WEB_ASSETS}/ui.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="${WEB_PREFIX}/documents">Aegis Ingest</a>
  <nav>${NAV.filter(
    (item) => request.principal?.kind === 'api-key' && hasRole(request.principal.roles, item.role),
  ).map(
    (item) =>
      html`<a href="${item.href}"${item.section === page.section ? raw(' aria-current="page"') : ''}>${item.label}</a>`,
  )}</nav>
  <span class="who">${who(request)}</span>
  <form method="post" action="${WEB_PREFIX}/logout" class="logout"><button type="submit">Log out</button></form>
</header>
<main>
${page.body}
</main>
</body>
</html>`;
  return reply
    .status(page.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(document.toString());
}

/** A status word as a badge. */
export function statusBadge(status: string | null): SafeHtml {
  const value = status ?? 'none';
  return html`<span class="badge status-${value.replace(/[^a-z_-]/g, '')}">${value.replaceAll('_', ' ')}</span>`;
}

/** Milliseconds as people read them. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * An exact USD decimal shown as the CLI shows it (cents from $1, four decimals below, enough digits for
 * fractions of a cent), the exact value in the title.
 */
export function money(usd: string | null | undefined): SafeHtml {
  const value = usd ?? '0';
  return html`<span class="money" title="${value}">${formatUsd(value)}</span>`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Route options of a UI page: its role (the browser session accepted), hidden from OpenAPI, string query fields. */
export function pageOptions(access: 'read' | 'ingest', query: Record<string, number> = {}) {
  return {
    config: { access, session: true },
    schema: {
      hide: true,
      querystring: {
        type: 'object',
        properties: Object.fromEntries(
          Object.entries(query).map(([name, maxLength]) => [name, { type: 'string', maxLength }]),
        ),
      },
    },
  } as const;
}

/** `value` when it is one of `values` (a query field from a form), else undefined. */
export function oneOf<T extends string>(values: readonly T[], value: string | undefined): T | undefined {
  return values.find((candidate) => candidate === value);
}
