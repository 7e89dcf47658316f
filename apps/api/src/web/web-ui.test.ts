import { textPdf } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, multipartFile } from '../test-support/api-harness.ts';

// No double quote (the multipart helper quotes the name) and no slash (uploads keep the base name).
const HOSTILE = `<img src=x onerror=alert('x')>&amp;.txt`;

describe('documents web UI (server-rendered pages)', { timeout: 120_000 }, () => {
  let h: ApiHarness;
  let documentId: string;
  let foreignId: string;

  /** Logs a key in at /ui/login; returns the session cookie. */
  async function login(key: string): Promise<Record<string, string>> {
    const response = await h.app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: new URLSearchParams({ apiKey: key, next: '/ui/search?q=a' }).toString(),
    });
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe('/ui/search?q=a');
    const cookie = response.cookies.find((c) => c.name === 'aegis_admin_session');
    return { aegis_admin_session: cookie?.value ?? '' };
  }
  const page = (url: string, cookies: Record<string, string>) =>
    h.app.inject({ url, cookies, headers: { accept: 'text/html' } });
  const csrfOf = (body: string) => /<meta name="csrf-token" content="([^"]+)">/.exec(body)?.[1] ?? '';
  /** Uploads one file through the JSON API with `key`; returns the new document's id. */
  async function upload(key: string, file: ReturnType<typeof multipartFile>): Promise<string> {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { ...file.headers, 'x-api-key': key },
      payload: file.payload,
    });
    expect(response.statusCode, response.body).toBe(202);
    return response.json().documentId as string;
  }

  beforeAll(async () => {
    h = await createApiHarness();
    const admin = await h.key(['admin'], 'ui-admin');
    for (const [name, base] of [
      [HOSTILE, 'team-a'],
      ['other.txt', 'team-b'],
    ] as const) {
      const id = await upload(
        admin,
        multipartFile(name, new TextEncoder().encode(`Notes of ${base}.`), 'text/plain', {
          knowledgeBase: base,
          metadata: JSON.stringify({ note: '<b>bold</b>' }),
        }),
      );
      if (base === 'team-a') documentId = id;
      else foreignId = id;
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends a browser without a session to the UI login, and logs any key in', async () => {
    const anonymous = await page('/ui/documents?status=failed', {});
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toBe('/ui/login?next=%2Fui%2Fdocuments%3Fstatus%3Dfailed');
    const form = await h.app.inject({ url: '/ui/login?next=https://evil.example/' });
    expect(form.body).toContain('name="next" value=""');
    const ingestOnly = await h.app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: new URLSearchParams({ apiKey: await h.key(['ingest'], 'ui-ingest'), next: '' }).toString(),
    });
    expect(ingestOnly.headers.location).toBe('/ui/upload');
    const cookies = await login(await h.key(['read'], 'ui-reader'));
    const list = await page('/ui/documents', cookies);
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-security-policy']).toContain("script-src 'self'");
    expect(list.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(list.body).toContain('other.txt');
  });

  it('escapes hostile file names and metadata on every page', async () => {
    const cookies = await login(await h.key(['admin'], 'ui-escape'));
    for (const url of ['/ui/documents', `/ui/documents/${documentId}`, '/ui/costs', '/ui/upload']) {
      const response = await page(url, cookies);
      expect(response.statusCode, url).toBe(200);
      expect(response.body).not.toContain('<img src=x');
      expect(response.body).not.toContain('<b>bold</b>');
    }
    const document = await page(`/ui/documents/${documentId}`, cookies);
    expect(document.body).toContain('<h1>&lt;img src=x onerror=alert(&#39;x&#39;)&gt;&amp;amp;.txt</h1>');
    expect(document.body).toContain('&lt;b&gt;bold&lt;/b&gt;');
    for (const section of ['metadata', 'versions', 'stages', 'costs', 'pages', 'chunks', 'figures', 'graph'])
      expect(document.body).toContain(`id="${section}"`);
  });

  it("keeps a scoped key to its bases: another base's document page is a 404, lists and events filtered", async () => {
    const cookies = await login(await h.key(['read'], 'ui-team-a', ['team-a']));
    const list = await page('/ui/documents', cookies);
    expect(list.body).toContain(documentId);
    expect(list.body).not.toContain(foreignId);
    const foreign = await page(`/ui/documents/${foreignId}`, cookies);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toContain('DOCUMENT_NOT_FOUND');
    expect((await page(`/ui/documents/${foreignId}/source`, cookies)).statusCode).toBe(404);
    // The event stream: a scoped key names its own documents, and no other base's.
    const events = (query: string) =>
      h.app.inject({ url: `/v1/events${query}`, cookies, headers: { accept: 'application/json' } });
    expect((await events('')).statusCode).toBe(403);
    expect((await events(`?documentId=${foreignId}`)).statusCode).toBe(404);
  });

  it('serves an image document as its page image, and no image for other documents', async () => {
    const admin = await h.key(['admin'], 'ui-image');
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const scanId = await upload(admin, multipartFile('scan.png', png, 'image/png'));
    const cookies = await login(admin);
    const image = await page(`/ui/documents/${scanId}/source`, cookies);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.equals(png)).toBe(true);
    expect((await page(`/ui/documents/${documentId}/source`, cookies)).statusCode).toBe(404);
    expect((await page(`/ui/documents/${documentId}/images/not-an-image`, cookies)).statusCode).toBe(404);
  });

  it("renders a PDF page as a PNG in the sandbox, only for pages that exist, only within the key's bases", async () => {
    const admin = await h.key(['admin'], 'ui-pdf');
    const pdfId = await upload(
      admin,
      multipartFile('one-page.pdf', textPdf('Rendered page'), 'application/pdf', { knowledgeBase: 'team-b' }),
    );
    const cookies = await login(admin);
    const image = await page(`/ui/documents/${pdfId}/pages/1`, cookies);
    expect(image.statusCode, image.body).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.subarray(1, 4).toString('latin1')).toBe('PNG');
    // Seen again: the same bytes from the cache.
    expect((await page(`/ui/documents/${pdfId}/pages/1`, cookies)).rawPayload.equals(image.rawPayload)).toBe(
      true,
    );
    expect((await page(`/ui/documents/${pdfId}/pages/2`, cookies)).statusCode).toBe(404);
    expect((await page(`/ui/documents/${pdfId}/pages/0`, cookies)).statusCode).toBe(400);
    expect((await page(`/ui/documents/${documentId}/pages/1`, cookies)).statusCode).toBe(404); // a text file
    const scoped = await login(await h.key(['read'], 'ui-pdf-team-a', ['team-a']));
    expect((await page(`/ui/documents/${pdfId}/pages/1`, scoped)).statusCode).toBe(404);
  });

  it('takes cookie-authenticated mutations only with the CSRF token of the session', async () => {
    const cookies = await login(await h.key(['admin'], 'ui-csrf'));
    const token = csrfOf((await page(`/ui/documents/${documentId}`, cookies)).body);
    expect(token.length).toBeGreaterThan(20);
    const cancel = (headers: Record<string, string>) =>
      h.app.inject({ method: 'POST', url: `/v1/documents/${documentId}/cancel`, cookies, headers });
    const without = await cancel({});
    expect(without.statusCode).toBe(403);
    expect(without.json().error.details.reason).toBe('csrf');
    expect((await cancel({ 'x-csrf-token': `${token}x` })).statusCode).toBe(403);
    expect((await cancel({ 'x-csrf-token': token })).statusCode).toBe(202);
    // The list of documents stays header-only: the cookie opens just the routes the UI's script calls.
    expect((await h.app.inject({ url: '/v1/documents', cookies })).statusCode).toBe(401);
  });
});
