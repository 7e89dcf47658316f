import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { STAGES, type VersionStatus } from '@aegis/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeInBrowser,
  type ListeningApi,
  launchChromium,
  startListeningApi,
} from '../support/browser.ts';
import type { PipelineHarness } from '../support/pipeline-harness.ts';

const ARTIFACTS = new URL('../../artifacts/web-ui/', import.meta.url);
/** Waits for the pipeline (real worker, simulated models) may be long on a loaded machine; nothing asserts time. */
const PIPELINE_WAIT_MS = 240_000;
const DONE: VersionStatus[] = ['completed', 'completed_with_warnings'];

const FILES = [
  {
    name: 'travel-handbook.md',
    type: 'text/markdown',
    text: '# Travel handbook\n\n## Booking\n\nBook flights through the portal. Zanzibar trips need approval from finance.\n\n## Refunds\n\nRefunds take ten working days.\n',
  },
  {
    name: 'meeting-notes.txt',
    type: 'text/plain',
    text: 'Meeting notes.\n\nThe quartermaster reported the inventory of the Lisbon warehouse.\n',
  },
];

describeInBrowser('documents web UI in a real browser', 600_000, () => {
  let api: ListeningApi;
  let harness: PipelineHarness;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let adminKey: string;
  const foreign: string[] = [];

  async function screenshot(name: string): Promise<void> {
    await mkdir(ARTIFACTS, { recursive: true });
    const path = fileURLToPath(new URL(`${name}.png`, ARTIFACTS));
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot saved: ${path}`);
  }

  /** The status word of the document page's shown version. */
  const documentStatus = () => page.locator('#document-status .badge').innerText();

  beforeAll(async () => {
    api = await startListeningApi({ name: 'web-ui-browser' });
    ({ harness, baseUrl } = api);
    adminKey = await api.key('web-admin', ['admin']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (request) => {
      if (!request.url().startsWith(baseUrl) && !request.url().startsWith('data:'))
        foreign.push(request.url());
    });
    // Confirmations (cancel, delete) are accepted.
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('logs in with a key at /ui/login', async () => {
    await page.goto(`${baseUrl}/ui/documents`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.fill('#apiKey', 'aegis_zzzzzzzz_wrong');
    await page.click('#login-submit');
    await expect(page.locator('#login-error').innerText()).resolves.toMatch(/invalid/i);
    await page.fill('#apiKey', adminKey);
    await page.click('#login-submit');
    await page.waitForURL(/\/ui\/documents$/);
    await expect(page.locator('h1').innerText()).resolves.toBe('Documents');
    await screenshot('01-documents-empty');
  });

  it('uploads two files by drag and drop and follows every stage live to completion', async () => {
    await page.goto(`${baseUrl}/ui/upload`);
    // A drop event with a DataTransfer holding both files, as a person dragging them from a file manager.
    const dataTransfer = await page.evaluateHandle((files) => {
      // Runs in the page (the test's TypeScript has no DOM types).
      const dom = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: { type: string }) => unknown;
      };
      const transfer = new dom.DataTransfer();
      for (const file of files) transfer.items.add(new dom.File([file.text], file.name, { type: file.type }));
      return transfer;
    }, FILES);
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
    // Both rows reach a final good state (the script sets data-status from the live events).
    const done = DONE.map((status) => `tr.upload-row[data-status="${status}"]`).join(', ');
    await page.locator(done).nth(1).waitFor({ timeout: PIPELINE_WAIT_MS });
    const rows = page.locator('tr.upload-row');
    for (let i = 0; i < 2; i++) {
      const row = rows.nth(i);
      await expect(row.locator('td.file-name a').innerText()).resolves.toBe(FILES[i]?.name);
      for (const stage of STAGES)
        await expect(row.locator(`td[data-stage="${stage}"] .badge`).innerText()).resolves.toBe('completed');
    }
    await screenshot('02-upload-completed');
  });

  it('lists the documents with status and filters them', async () => {
    await page.goto(`${baseUrl}/ui/documents`);
    await expect(page.locator('#documents-table tbody tr').count()).resolves.toBe(2);
    await page.fill('input[name="q"]', 'handbook');
    await page.click('#document-filters button[type="submit"]');
    await page.waitForURL(/q=handbook/);
    await expect(page.locator('#documents-table tbody tr').count()).resolves.toBe(1);
    await screenshot('03-documents-filtered');
  });

  it('shows the document page: metadata, versions, stages, cost, pages, chunks with heading paths, entities', async () => {
    await page.click('#documents-table a:has-text("travel-handbook.md")');
    await page.waitForURL(/\/ui\/documents\/[^/?]+$/);
    await expect(page.locator('h1').innerText()).resolves.toBe('travel-handbook.md');
    const shown = (await documentStatus()).replaceAll(' ', '_');
    const documentId = (await page.locator('#document').getAttribute('data-document-id')) ?? '';
    const stored = await harness.runtime.pipeline.repository.getVersion(documentId, 1);
    expect(DONE as string[], `stored ${stored?.status}`).toContain(shown);
    for (const stage of STAGES)
      await expect(page.locator(`#stages tr[data-stage="${stage}"] .badge`).innerText()).resolves.toBe(
        'completed',
      );
    await expect(page.locator('#pages').innerText()).resolves.toContain('Refunds take ten working days.');
    await expect(page.locator('#chunks .heading-path').first().innerText()).resolves.toContain(
      'Travel handbook',
    );
    await expect(page.locator('#metadata').innerText()).resolves.toContain('markdown');
    await screenshot('04-document-page');
  });

  it('retries a stage from the document page and follows it to completion again', async () => {
    const documentId = await page.locator('#document').getAttribute('data-document-id');
    const url = page.url();
    // The page reloads once the API accepted the retry (and again as the live version changes state).
    await Promise.all([
      page.waitForEvent('load'),
      page.click('#stages tr[data-stage="chunk"] button[data-action="retry"]'),
    ]);
    await harness.waitForVersion(documentId ?? '', 1, DONE, PIPELINE_WAIT_MS);
    await page.goto(url);
    expect(DONE as string[]).toContain((await documentStatus()).replaceAll(' ', '_'));
    const runs = await harness.runtime.pipeline.repository.stageRuns(documentId ?? '', 1);
    expect(runs.find((run) => run.stage === 'chunk')?.run).toBe(2);
    await screenshot('05-document-after-retry');
  });

  it('searches and opens a hit', async () => {
    await page.goto(`${baseUrl}/ui/search`);
    await page.fill('#search-q', 'Zanzibar approval');
    await page.click('#search-submit');
    await page.waitForURL(/q=Zanzibar/);
    const first = page.locator('#search-hits .hit').first();
    await expect(first.innerText()).resolves.toContain('travel-handbook.md');
    await screenshot('06-search');
    await first.locator('a').first().click();
    await page.waitForURL(/\/ui\/documents\//);
  });

  it('shows the costs of the month by provider, model, stage, document and key, with budget bars', async () => {
    await page.goto(`${baseUrl}/ui/costs`);
    for (const group of ['provider', 'model', 'stage', 'document', 'key'])
      await expect(page.locator(`#costs-by-${group}`).count()).resolves.toBe(1);
    await expect(page.locator('#costs-by-stage').innerText()).resolves.toContain('embed');
    await expect(page.locator('#budgets meter.budget').count()).resolves.toBeGreaterThan(0);
    await screenshot('07-costs');
  });

  it('cancels a version that waits in the queue, then deletes the document', async () => {
    const memoryCheck = harness.runtime.queues.queue('memory-check');
    await memoryCheck.pause();
    const registration = await harness.runtime.producer.ingest({
      data: new TextEncoder().encode('# Waiting\n\nThis one waits in a paused queue.'),
      displayName: 'to-cancel.md',
    });
    await page.goto(`${baseUrl}/ui/documents/${registration.documentId}`);
    await Promise.all([page.waitForEvent('load'), page.click('#cancel-button')]);
    await memoryCheck.resume();
    await harness.waitForVersion(
      registration.documentId,
      registration.version,
      ['cancelled'],
      PIPELINE_WAIT_MS,
    );
    await page.goto(`${baseUrl}/ui/documents/${registration.documentId}`);
    await expect(documentStatus()).resolves.toBe('cancelled');
    await screenshot('08-cancelled');

    await page.click('#delete-button');
    await page.waitForURL(/\/ui\/documents\?deleted=1$/);
    await expect(page.locator('#documents-table').innerText()).resolves.not.toContain('to-cancel.md');
    await expect(harness.runtime.pipeline.repository.getVersion(registration.documentId, 1)).resolves.toBe(
      undefined,
    );
    await screenshot('09-after-delete');
  });

  it('fetched nothing from anywhere but the API', () => {
    expect(foreign).toEqual([]);
  });
});
