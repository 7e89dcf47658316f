import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { STAGES } from '@aegis/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeInBrowser,
  type ListeningApi,
  launchChromium,
  startListeningApi,
} from '../support/browser.ts';
import type { PipelineHarness } from '../support/pipeline-harness.ts';

const ARTIFACTS = new URL('../../artifacts/', import.meta.url);

describeInBrowser('Bull Board in a real browser', 120_000, () => {
  let api: ListeningApi;
  let harness: PipelineHarness;
  let browser: Browser;
  let baseUrl: string;
  let adminKey: string;
  let readKey: string;

  beforeAll(async () => {
    api = await startListeningApi({ name: 'bull-board-browser', startWorkers: false });
    ({ harness, baseUrl } = api);
    adminKey = await api.key('browser-admin', ['admin']);
    readKey = await api.key('browser-reader', ['read']);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
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
    const waiting = await harness.runtime.producer.ingest({
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
    // The job's data carries the file name and the document's web UI page.
    const board = await page.request.get(
      `${baseUrl}/admin/queues/api/queues?activeQueue=memory-check&status=waiting&page=1&jobsPerPage=10`,
    );
    expect(await board.text()).toContain(`"page":"/ui/documents/${waiting.documentId}"`);
    expect(foreign).toEqual([]);

    await mkdir(ARTIFACTS, { recursive: true });
    const screenshot = fileURLToPath(new URL('bull-board.png', ARTIFACTS));
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    console.log(`screenshot saved: ${screenshot}`);
  });
});
