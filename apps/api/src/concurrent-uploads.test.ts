import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, multipartFile } from './test-support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.close();
});

it('turns 200 concurrent uploads of the same file into one document and one pipeline run', async () => {
  const key = await h.key(['ingest']);
  const body = multipartFile(
    'report.md',
    Buffer.from(`# Report\n\n${'Same bytes every time. '.repeat(200)}\n`),
  );
  const responses = await Promise.all(
    Array.from({ length: 200 }, () =>
      h.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: body.payload,
        headers: { ...body.headers, authorization: `Bearer ${key}` },
      }),
    ),
  );
  const statuses = responses.map((response) => response.statusCode);
  expect(statuses.filter((status) => status === 202)).toHaveLength(1);
  expect(statuses.filter((status) => status === 200)).toHaveLength(199);
  const ids = new Set(responses.map((response) => response.json().documentId));
  expect(ids.size).toBe(1);

  const { rows } = await h.db.pool.query(
    'SELECT (SELECT count(*)::int FROM documents) AS documents, (SELECT count(*)::int FROM document_versions) AS versions',
  );
  expect(rows[0]).toEqual({ documents: 1, versions: 1 });
  // No workers run in this runtime, so every enqueued job is still countable: exactly one memory check.
  const counts = await h.runtime.queues.queue('memory-check').getJobCounts();
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
  expect(await readdir(h.uploadDir)).toEqual([]);
});
