import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, multipartFile } from './test-support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Row {
  key_id: string | null;
  key_name: string | null;
  action: string;
  target: string | null;
  status: number;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

it('writes one audit row per mutation and admin action, with who, what, where from and the outcome', async () => {
  const ingest = await h.key(['ingest'], 'uploader');
  const admin = await h.key(['admin'], 'operator');
  const body = multipartFile('a.txt', Buffer.from('audited text\n'), 'text/plain');
  const created = await h.app.inject({
    method: 'POST',
    url: '/v1/documents',
    payload: body.payload,
    headers: { ...body.headers, authorization: `Bearer ${ingest}`, 'user-agent': 'audit-test' },
  });
  const documentId = created.json().documentId as string;
  // Failures are audited too: unauthenticated, forbidden, not found.
  await h.app.inject({ method: 'DELETE', url: `/v1/documents/${documentId}` });
  await h.app.inject({
    method: 'DELETE',
    url: `/v1/documents/${documentId}`,
    headers: { 'x-api-key': ingest },
  });
  await h.app.inject({
    method: 'POST',
    url: '/v1/documents/missing/retry',
    headers: { 'x-api-key': ingest },
  });
  await h.app.inject({
    method: 'DELETE',
    url: `/v1/documents/${documentId}`,
    headers: { 'x-api-key': admin },
  });
  // Admin actions, including reads of keys; plain reads are not audited.
  const newKey = await h.app.inject({
    method: 'POST',
    url: '/admin/keys',
    payload: { name: 'made-over-http', roles: ['read'] },
    headers: { 'x-api-key': admin },
  });
  await h.app.inject({ url: '/admin/keys', headers: { 'x-api-key': admin } });
  await h.app.inject({ url: '/v1/documents', headers: { 'x-api-key': admin } });
  await h.app.auditDrain();

  const { rows } = await h.db.pool.query<Row>(
    'SELECT key_id, key_name, action, target, status, ip, user_agent, details FROM audit_log ORDER BY id',
  );
  const ingestId = ingest.split('_')[1];
  const adminId = admin.split('_')[1];
  // Writes run concurrently (after each response), so compare without order.
  const summary = rows.map((row) => [row.key_name, row.action, row.target, row.status]);
  expect(summary).toHaveLength(7);
  expect(summary).toEqual(
    expect.arrayContaining([
      ['uploader', 'document.ingest', documentId, 202],
      // Unauthenticated refusals are summed per IP and window (a flood writes one row, not one each).
      [null, 'auth.refused', null, 401],
      ['uploader', 'document.delete', documentId, 403],
      ['uploader', 'document.retry', 'missing', 404],
      ['operator', 'document.delete', documentId, 204],
      ['operator', 'key.create', newKey.json().id, 201],
      ['operator', 'key.list', null, 200],
    ]),
  );
  const find = (action: string, status: number) =>
    rows.find((row) => row.action === action && row.status === status);
  expect(find('document.ingest', 202)).toMatchObject({
    key_id: ingestId,
    ip: '127.0.0.1',
    user_agent: 'audit-test',
  });
  expect(find('document.delete', 403)?.details).toMatchObject({
    errorCode: 'FORBIDDEN',
    method: 'DELETE',
    route: '/v1/documents/:id',
  });
  expect(find('document.delete', 204)?.key_id).toBe(adminId);
  expect(find('auth.refused', 401)?.details).toMatchObject({
    count: 1,
    byStatus: { '401 UNAUTHENTICATED': 1 },
    actions: ['document.delete'],
  });

  // The audit log is readable by admins over HTTP.
  const listed = await h.app.inject({ url: '/admin/audit?limit=2', headers: { 'x-api-key': admin } });
  expect(listed.json().entries).toHaveLength(2);

  // Keys are stored hashed: no plaintext key appears anywhere in the table.
  const dump = JSON.stringify((await h.db.pool.query('SELECT * FROM api_keys')).rows);
  for (const key of [ingest, admin, newKey.json().key as string]) {
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.split('_')[2]);
  }
});

it('never fails a request because the audit write failed', async () => {
  const ingest = await h.key(['ingest']);
  await h.db.pool.query('ALTER TABLE audit_log RENAME TO audit_log_away');
  try {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/documents/missing/cancel',
      headers: { 'x-api-key': ingest },
    });
    expect(response.statusCode).toBe(404);
    await h.app.auditDrain();
  } finally {
    await h.db.pool.query('ALTER TABLE audit_log_away RENAME TO audit_log');
  }
});
