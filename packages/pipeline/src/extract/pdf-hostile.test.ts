import { existsSync, readFileSync } from 'node:fs';
import { isAegisError } from '@aegis/core';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDefaultSandbox } from '../sandbox/default-sandbox.ts';
import { extractDocument } from './extract-document.ts';

const hostile = new URL('../../../../../shared/corpus/hostile/', import.meta.url);
const exists = existsSync(hostile);
if (!exists)
  console.warn(`Hostile PDF tests skipped: ${hostile.pathname} not found (it sits beside the repository).`);

/**
 * Expected outcome per file: an error code, or 'ok' (completes safely). A short page timeout keeps the run
 * bounded; operator_list_cycle.pdf spins inside pdf.js and must be stopped by it.
 */
const EXPECTED: Record<string, string> = {
  'GHOSTSCRIPT-698804-1-fuzzed.pdf': 'EMPTY_DOCUMENT',
  'poppler-395-0-fuzzed.pdf': 'PDF_INVALID',
  'helloworld-bad.pdf': 'ok',
  'xref_command_missing.pdf': 'ok',
  'empty_protected.pdf': 'EMPTY_DOCUMENT',
  'operator_list_cycle.pdf': 'EXTRACTION_TIMEOUT',
  'bomb_giant.pdf': 'ok',
};

describe.skipIf(!exists)('hostile PDFs end with their code or complete safely, in bounded time', () => {
  afterAll(closeDefaultSandbox);

  it.each(Object.entries(EXPECTED))('%s -> %s', async (file, expected) => {
    const data = new Uint8Array(readFileSync(new URL(file, hostile)));
    const start = performance.now();
    const outcome = await extractDocument({ data }, { limits: { pageTimeoutMs: 3_000 } }).then(
      () => 'ok',
      (error: unknown) => (isAegisError(error) ? error.code : `crash: ${String(error)}`),
    );
    const ms = performance.now() - start;
    console.warn(`${file}: ${outcome} in ${ms.toFixed(0)} ms`);
    expect(outcome).toBe(expected);
    expect(ms).toBeLessThan(15_000);
  });

  it('bomb_giant.pdf: the giant JBIG2 streams are not decoded into memory', async () => {
    const data = new Uint8Array(readFileSync(new URL('bomb_giant.pdf', hostile)));
    const doc = await extractDocument({ data });
    const text = doc.pages.flatMap((p) => p.paragraphs.map((q) => q.text)).join(' ');
    expect(text).toContain('GIANT JBIG2 BOMB');
    expect(doc.pages.flatMap((p) => p.images.filter((i) => i.data !== undefined))).toEqual([]);
  });
});
