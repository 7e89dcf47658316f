import { OPENAPI } from '@aegis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from '../../apps/api/src/test-support/api-harness.ts';

describe('the typed client and the API it talks to', () => {
  let harness: ApiHarness;
  beforeAll(async () => {
    harness = await createApiHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('derives its types from exactly the OpenAPI document the API serves (else: npm run generate:client)', async () => {
    const served = await harness.app.inject({
      method: 'GET',
      url: '/docs/json',
      headers: { authorization: `Bearer ${await harness.key(['read'])}` },
    });
    expect(served.statusCode).toBe(200);
    expect(JSON.parse(JSON.stringify(OPENAPI))).toEqual(served.json());
  });
});
