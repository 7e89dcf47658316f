import { isAegisError } from '@aegis/core';
import { createPostgresAccounting } from '@aegis/llm-router';
import { startTcpProxy, type TcpProxy } from '@aegis/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouterHarness, ledgerRows, type RouterHarness } from '../support/router-harness.ts';

describe('Postgres unreachable', () => {
  let harness: RouterHarness;
  let proxy: TcpProxy;
  let proxiedPool: pg.Pool;

  beforeAll(async () => {
    harness = await createRouterHarness();
    const target = new URL(harness.db.connectionString);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    target.hostname = proxy.host;
    target.port = String(proxy.port);
    proxiedPool = new pg.Pool({ connectionString: target.toString(), connectionTimeoutMillis: 1_000 });
    // An idle client whose connection dies emits 'error' on the pool; unhandled, it would kill the process.
    proxiedPool.on('error', () => {});
  });
  afterAll(async () => {
    await proxiedPool.end().catch(() => undefined);
    await proxy.close();
    await harness.close();
  });

  it('refuses every call it could not record first (paid and free local) with BUDGET_UNAVAILABLE, sending nothing', async () => {
    // livenessMs 0: every lease draw confirms Postgres is reachable first, so the outage is seen at once
    // (by default a draw within 1 s of the last successful contact trusts it; that money is reserved already).
    const accounting = createPostgresAccounting({
      pool: proxiedPool,
      flushIntervalMs: 10,
      leases: { livenessMs: 0 },
    });
    const { router } = harness.makeRouter({ accounting });
    const warm = await router.generate({
      task: 'generation',
      mode: 'cloud-only',
      messages: [{ role: 'user', content: 'before the outage' }],
    });
    expect(warm.provider).toBe('dashscope');
    await accounting.flush();

    await proxy.cut();
    const refused = await router
      .generate({
        task: 'generation',
        mode: 'cloud-only',
        messages: [{ role: 'user', content: 'paid call during the outage' }],
      })
      .catch((error: unknown) => error);
    expect(isAegisError(refused, 'BUDGET_UNAVAILABLE')).toBe(true);
    expect(harness.sim.count('dashscope', 'chat')).toBe(1);

    // Free local calls are refused too: no call is sent that the ledger could not record first (ADR 016).
    const local = await router
      .generate({
        task: 'generation',
        mode: 'local-only',
        messages: [{ role: 'user', content: 'free local call during the outage' }],
      })
      .catch((error: unknown) => error);
    expect(isAegisError(local, 'BUDGET_UNAVAILABLE')).toBe(true);
    expect(harness.sim.count('ollama', 'chat')).toBe(0);

    await proxy.restore();
    const after = await router.generate({
      task: 'generation',
      mode: 'local-only',
      messages: [{ role: 'user', content: 'free local call after the outage' }],
    });
    await accounting.flush();
    const rows = await ledgerRows(harness.db, 'request_group = $1', [after.requestGroup]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ provider: 'ollama', status: 'ok' });
    const { rows: intents } = await harness.db.pool.query('SELECT id FROM llm_call_intents');
    expect(intents).toEqual([]);
  });
});
