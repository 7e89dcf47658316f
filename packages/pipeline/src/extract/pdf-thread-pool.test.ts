import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isAegisError } from '@aegis/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExtractedDocument } from './extracted-document.ts';
import { resolveLimits } from './limits.ts';
import { createPdfThreadPool, type PdfThreadPool } from './pdf-thread-pool.ts';
import type { PdfExtractRequest } from './pdf-thread-protocol.ts';

/** A valid one-page PDF whose page shows `text` in Helvetica (offsets in the xref table are computed). */
function tinyPdf(text: string): Uint8Array {
  const stream = `BT /F1 24 Tf 72 700 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(body);
}

const extract = (data: Uint8Array, pageTimeoutMs = 10_000): PdfExtractRequest => ({
  op: 'extract',
  data,
  limits: resolveLimits({ pageTimeoutMs }),
  pageRange: undefined,
  images: false,
});
const textOf = (doc: ExtractedDocument): string =>
  doc.pages.flatMap((p) => p.paragraphs.map((q) => q.text)).join(' ');
const codeOf = (error: unknown): string => (isAegisError(error) ? error.code : `crash: ${String(error)}`);

const pools: PdfThreadPool[] = [];
const newPool = (...args: Parameters<typeof createPdfThreadPool>): PdfThreadPool => {
  const pool = createPdfThreadPool(...args);
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('createPdfThreadPool', () => {
  it('reuses its thread: a second request starts no new thread', async () => {
    const pool = newPool();
    const first = await pool.run(extract(tinyPdf('First document')));
    const second = await pool.run(extract(tinyPdf('Second document')));
    const info = await pool.run({ op: 'inspect', data: tinyPdf('Third'), limits: resolveLimits(undefined) });
    expect(textOf(first)).toBe('First document');
    expect(textOf(second)).toBe('Second document');
    expect(info.pageCount).toBe(1);
    expect(pool.stats()).toMatchObject({ threadsStarted: 1, threadsAlive: 1, tasksRun: 3, threadsKilled: 0 });
  });

  it('copies the request bytes: the caller keeps its buffer, Buffers included', async () => {
    const pool = newPool();
    const data = tinyPdf('Keep me');
    const buffer = Buffer.from(data);
    await pool.run(extract(data));
    await pool.run(extract(buffer));
    expect(data.byteLength).toBeGreaterThan(0);
    expect(Buffer.compare(buffer, Buffer.from(data))).toBe(0);
  });

  it('queues concurrent requests FIFO on one thread; all complete', async () => {
    const pool = newPool({ size: 1 });
    const order: number[] = [];
    const runs = [0, 1, 2, 3].map((i) =>
      pool.run(extract(tinyPdf(`Document ${i}`))).then((doc) => {
        order.push(i);
        return textOf(doc);
      }),
    );
    expect(pool.stats()).toMatchObject({ running: 1, queued: 3 });
    expect(await Promise.all(runs)).toEqual(['Document 0', 'Document 1', 'Document 2', 'Document 3']);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(pool.stats()).toMatchObject({ threadsStarted: 1, tasksRun: 4, running: 0, queued: 0 });
  });

  it('runs up to `size` threads at once', async () => {
    const pool = newPool({ size: 2 });
    const runs = [0, 1, 2].map((i) => pool.run(extract(tinyPdf(`Doc ${i}`))));
    expect(pool.stats()).toMatchObject({ running: 2, queued: 1 });
    await Promise.all(runs);
    expect(pool.stats()).toMatchObject({ threadsStarted: 2, tasksRun: 3 });
  });

  it('keeps a thread for an extractor error that leaves nothing behind', async () => {
    const pool = newPool();
    const failed = await pool.run(extract(new TextEncoder().encode('%PDF-1.4 not really'))).catch(codeOf);
    expect(failed).toBe('PDF_INVALID');
    expect(textOf(await pool.run(extract(tinyPdf('After the bad one'))))).toBe('After the bad one');
    expect(pool.stats()).toMatchObject({ threadsStarted: 1, tasksRun: 2 });
  });

  it('replaces a thread after maxTasksPerThread tasks', async () => {
    const pool = newPool({ maxTasksPerThread: 2 });
    for (const i of [1, 2, 3]) await pool.run(extract(tinyPdf(`Doc ${i}`)));
    expect(pool.stats()).toMatchObject({ threadsStarted: 2, tasksRun: 3, threadsKilled: 0 });
  });

  it('ends an idle thread after idleTimeoutMs', async () => {
    const pool = newPool({ idleTimeoutMs: 50 });
    await pool.run(extract(tinyPdf('Idle soon')));
    await expect.poll(() => pool.stats().threadsAlive, { timeout: 5_000 }).toBe(0);
    await pool.run(extract(tinyPdf('Back again')));
    expect(pool.stats()).toMatchObject({ threadsStarted: 2, threadsAlive: 1 });
  });

  it('aborting drops a queued request and stops a running one (CANCELLED); the pool goes on', async () => {
    const pool = newPool();
    const running = new AbortController();
    const queued = new AbortController();
    const first = pool.run(extract(tinyPdf('Running')), { signal: running.signal }).catch(codeOf);
    const second = pool.run(extract(tinyPdf('Queued')), { signal: queued.signal }).catch(codeOf);
    queued.abort();
    running.abort();
    expect(await Promise.all([first, second])).toEqual(['CANCELLED', 'CANCELLED']);
    expect(textOf(await pool.run(extract(tinyPdf('Still works'))))).toBe('Still works');
    expect(pool.stats()).toMatchObject({ threadsStarted: 2, threadsKilled: 1 });
  });

  it('close() rejects queued and running requests, ends every thread, and refuses new ones', async () => {
    const pool = newPool({ size: 1 });
    const runs = [1, 2].map((i) => pool.run(extract(tinyPdf(`Doc ${i}`))).catch(codeOf));
    await pool.close();
    expect(await Promise.all(runs)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(pool.stats()).toMatchObject({ threadsAlive: 0, running: 0, queued: 0 });
    expect(await pool.run(extract(tinyPdf('Late'))).catch(codeOf)).toBe('CANCELLED');
    await pool.close();
  });

  it('an idle pool does not keep the process alive, and close() lets it exit at once', async () => {
    const module = new URL('./extract-document.ts', import.meta.url).href;
    const script = `
      import { createPdfThreadPool } from ${JSON.stringify(new URL('./pdf-thread-pool.ts', import.meta.url).href)};
      import { extractDocument, closeDefaultPdfThreadPool } from ${JSON.stringify(module)};
      const data = new TextEncoder().encode(${JSON.stringify(new TextDecoder().decode(tinyPdf('Exit please')))});
      const doc = await extractDocument({ data }, { images: false });
      const pool = createPdfThreadPool();
      await extractDocument({ data }, { images: false, pool });
      await pool.close();
      if (process.argv.includes('--close-default')) await closeDefaultPdfThreadPool();
      console.log(doc.pages[0].paragraphs[0].text);
    `;
    // A file, not `-e`: threads inherit execArgv, and `--input-type` is refused for a thread's entry file.
    const dir = mkdtempSync(join(tmpdir(), 'pdf-pool-exit-'));
    const file = join(dir, 'exit.mjs');
    writeFileSync(file, script);
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [file, ...args], {
        timeout: 20_000,
        cwd: fileURLToPath(new URL('.', import.meta.url)),
      });
    try {
      const [unclosed, closed] = await Promise.all([run(), run('--close-default')]);
      expect(unclosed.stdout.trim()).toBe('Exit please');
      expect(closed.stdout.trim()).toBe('Exit please');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const hostile = new URL('../../../../../shared/corpus/hostile/', import.meta.url);
describe.skipIf(!existsSync(hostile))('createPdfThreadPool on a PDF that never yields', () => {
  it('a timeout terminates and replaces the thread; the next request still works', async () => {
    const pool = newPool();
    // Warm the thread first, so the cycle is timed by the page timer, not the start-up grace.
    await pool.run(extract(tinyPdf('Warm')));
    const cycle = new Uint8Array(readFileSync(new URL('operator_list_cycle.pdf', hostile)));
    const start = performance.now();
    // The cycle is in the operator list, which only image extraction reads.
    const outcome = await pool.run({ ...extract(cycle, 1_000), images: true }).catch(codeOf);
    expect(outcome).toBe('EXTRACTION_TIMEOUT');
    expect(performance.now() - start).toBeLessThan(10_000);
    expect(textOf(await pool.run(extract(tinyPdf('Next one'))))).toBe('Next one');
    expect(pool.stats()).toMatchObject({ threadsStarted: 2, threadsAlive: 1, tasksRun: 3, threadsKilled: 1 });
  });
});
