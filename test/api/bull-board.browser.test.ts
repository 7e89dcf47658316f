import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildApp } from '@aegis/api';
import { STAGES } from '@aegis/core';
import { createLogger } from '@aegis/observability';
import { createApiKeyStore } from '@aegis/stores';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM)
  console.warn(
    `browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );

const ARTIFACTS = new URL('../../artifacts/', import.meta.url);
const PEPPER = 'browser-test-pepper-0123456789abcdef012345';

describe.skipIf(!HAS_CHROMIUM)('Bull Board in a real browser', { timeout: 120_000 }, () => {
  let harness: PipelineHarness;
  let app: FastifyInstance;
  let browser: Browser;
  let baseUrl: string;
  let adminKey: string;
  let readKey: string;

  beforeAll(async () => {
    harness = await createPipelineHarness({
      startWorkers: false,
      env: { API_KEY_PEPPER: PEPPER, SESSION_SECRET: 'browser-test-session-secret-0123456789abcdef' },
    });
    app = await buildApp({
      config: harness.config,
      runtime: harness.runtime,
      logger: createLogger({ level: 'warn', name: 'browser-test' }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const keys = createApiKeyStore({ pool: harness.db.pool, pepper: PEPPER });
    adminKey = (await keys.create('browser-admin', ['admin'])).key;
    readKey = (await keys.create('browser-reader', ['read'])).key;
    // The flags this machine needs: no sandbox as root, no background network (it is closed here).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await harness?.close();
  });

  it('refuses a non-admin key, logs an admin in, shows the six stage queues and jobs by file name, fetching nothing remote', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Nothing may be fetched from anywhere but the API itself (no web fonts, no CDN).
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(baseUrl) && !request.url().startsWith('data:'))
        foreign.push(request.url());
    });
    // No worker runs here, so this document's first job waits in the memory-check queue.
    await harness.runtime.producer.ingest({
      data: new TextEncoder().encode('# Waiting\n\nA document no worker has taken yet.'),
      displayName: 'quarterly-report.md',
    });
    await page.goto(`${baseUrl}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');

    await page.fill('#apiKey', readKey);
    await page.click('#login-submit');
    await expect(page.locator('#login-error').textContent()).resolves.toMatch(/admin/i);

    await page.fill('#apiKey', adminKey);
    await page.click('#login-submit');
    await page.waitForURL(/\/admin\/queues/);
    for (const stage of STAGES)
      await page.getByText(stage, { exact: true }).first().waitFor({ timeout: 30_000 });
    const text = await page.locator('body').innerText();
    for (const stage of STAGES) expect(text).toContain(stage);

    // Jobs carry the document's file name, not only its id.
    await page.goto(`${baseUrl}/admin/queues/queue/memory-check?status=waiting`);
    await page.getByText('memory-check · quarterly-report.md').first().waitFor({ timeout: 30_000 });
    expect(foreign).toEqual([]);

    await mkdir(ARTIFACTS, { recursive: true });
    const screenshot = fileURLToPath(new URL('bull-board.png', ARTIFACTS));
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    console.log(`screenshot saved: ${screenshot}`);
  });
});
