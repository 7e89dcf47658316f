import { randomBytes } from 'node:crypto';
import { link, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, multipartFile } from './test-support/api-harness.ts';

const MAX_BYTES = 64 * 1024;

describe('POST /v1/documents', () => {
  let h: ApiHarness;
  let ingestKey: string;
  let outside: string;
  beforeAll(async () => {
    h = await createApiHarness({ env: { UPLOAD_MAX_BYTES: String(MAX_BYTES) } });
    ingestKey = await h.key(['ingest']);
    outside = await mkdtemp(path.join(tmpdir(), 'aegis-api-outside-'));
    await writeFile(path.join(outside, 'secret.txt'), 'outside the roots\n');
  });
  afterAll(async () => {
    await rm(outside, { recursive: true, force: true });
    await h?.close();
  });
  const upload = (filename: string, data: Uint8Array, type?: string) => {
    const body = multipartFile(filename, data, type);
    return h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: body.payload,
      headers: { ...body.headers, authorization: `Bearer ${ingestKey}` },
    });
  };
  const byPath = (requested: string) =>
    h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: { path: requested },
      headers: { authorization: `Bearer ${ingestKey}` },
    });

  /** What a rejected request must not change: temp files, blobs, registrations, jobs. */
  async function snapshot() {
    const counts = await h.runtime.queues.queue('memory-check').getJobCounts();
    return {
      temp: await readdir(h.uploadDir),
      blobs: (await readdir(h.blobDir, { recursive: true })).sort(),
      documents: (await h.db.pool.query('SELECT count(*)::int AS n FROM documents')).rows[0].n as number,
      jobs: Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeEach(async () => {
    before = await snapshot();
  });
  async function expectNothingLeft(): Promise<void> {
    expect(await snapshot()).toEqual({ ...before, temp: [] });
  }

  it('registers an upload (202), then answers 200 for the same bytes', async () => {
    const text = Buffer.from('# Title\n\nSome markdown.\n');
    const first = await upload('notes.md', text, 'text/markdown');
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ version: 1, created: true, status: 'queued', kind: 'markdown' });
    const again = await upload('renamed.md', text, 'text/markdown');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ documentId: first.json().documentId, created: false });
    expect(await readdir(h.uploadDir)).toEqual([]);
  });

  it('refuses an upload over UPLOAD_MAX_BYTES with 413 and leaves nothing', async () => {
    const response = await upload('big.txt', Buffer.alloc(MAX_BYTES + 1, 'a'), 'text/plain');
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    await expectNothingLeft();
    // Exactly at the limit is fine.
    expect((await upload('edge.txt', Buffer.alloc(MAX_BYTES, 'b'), 'text/plain')).statusCode).toBe(202);
  });

  it('refuses an unsupported type, sniffed from the bytes, with 415 and leaves nothing', async () => {
    const binary = await upload('data.bin', randomBytes(2048));
    expect(binary.statusCode).toBe(415);
    expect(binary.json().error.code).toBe('UNSUPPORTED_TYPE');
    // A name does not make binary junk text.
    expect((await upload('junk.txt', Buffer.from([0, 1, 2, 3, 0, 255]), 'text/plain')).statusCode).toBe(415);
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(64)]);
    expect((await upload('archive.docx', zip)).statusCode).toBe(415);
    await expectNothingLeft();
  });

  it('refuses a multipart body without a file part (400) and JSON without a path (400)', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n',
      headers: { 'content-type': 'multipart/form-data; boundary=b', authorization: `Bearer ${ingestKey}` },
    });
    expect(response.statusCode).toBe(400);
    expect((await byPath('')).statusCode).toBe(400);
    expect((await byPath('relative/file.txt')).statusCode).toBe(400);
    await expectNothingLeft();
  });

  it('ingests a server path inside a root, with the real path as its source', async () => {
    const file = path.join(h.ingestRoot, 'inside.txt');
    await writeFile(file, 'version one\n');
    const first = await byPath(file);
    expect(first.statusCode).toBe(202);
    const status = await h.app.inject({
      url: `/v1/documents/${first.json().documentId}`,
      headers: { 'x-api-key': await h.key(['read']) },
    });
    expect(status.json().sourceKey).toBe(await realpath(file));
    // A changed file at the same path becomes a new version of the same document.
    await writeFile(file, 'version two\n');
    const second = await byPath(file);
    expect(second.json()).toMatchObject({ documentId: first.json().documentId, version: 2, created: true });
  });

  it('refuses path escapes with 403: `..`, a symlink pointing outside, an absolute path outside', async () => {
    await mkdir(path.join(h.ingestRoot, 'sub'), { recursive: true });
    await symlink(path.join(outside, 'secret.txt'), path.join(h.ingestRoot, 'sub', 'link.txt'));
    await symlink(outside, path.join(h.ingestRoot, 'dirlink'));
    // A hard link is another name of the outside file itself: the real path of the name is inside the root.
    await link(path.join(outside, 'secret.txt'), path.join(h.ingestRoot, 'sub', 'hard.txt'));
    const attempts = [
      path.join(h.ingestRoot, 'sub', 'hard.txt'),
      path.join(h.ingestRoot, 'sub', '..', '..', path.basename(outside), 'secret.txt'),
      `${h.ingestRoot}/../${path.basename(outside)}/secret.txt`,
      path.join(h.ingestRoot, 'sub', 'link.txt'),
      path.join(h.ingestRoot, 'dirlink', 'secret.txt'),
      path.join(outside, 'secret.txt'),
      '/etc/passwd',
      // A root's sibling whose name starts with the root's name is still outside.
      `${h.ingestRoot}-evil/file.txt`,
      path.join(outside, 'missing.txt'),
    ];
    for (const attempt of attempts) {
      const response = await byPath(attempt);
      expect(response.statusCode, attempt).toBe(403);
      expect(response.json().error.code).toBe('PATH_NOT_ALLOWED');
    }
    // Missing inside a root is a plain 404; a folder is not a file.
    expect((await byPath(path.join(h.ingestRoot, 'missing.txt'))).statusCode).toBe(404);
    expect((await byPath(path.join(h.ingestRoot, 'sub'))).statusCode).toBe(400);
    await expectNothingLeft();
  });

  it('refuses an unsupported server file with 415', async () => {
    const file = path.join(h.ingestRoot, 'blob.bin');
    await writeFile(file, randomBytes(512));
    expect((await byPath(file)).statusCode).toBe(415);
    await expectNothingLeft();
  });
});
