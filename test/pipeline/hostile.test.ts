import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_AVAILABLE, CORPUS_DIR, corpusFile } from '../support/corpus.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** The codes a bad document may end with: each says what is wrong with the input, none says "bug". */
const DOCUMENT_CODES = [
  'PDF_INVALID',
  'PDF_ENCRYPTED',
  'EMPTY_DOCUMENT',
  'UNSUPPORTED_TYPE',
  'EXTRACTION_TIMEOUT',
  'DOCUMENT_TOO_LARGE',
  'IMAGE_INVALID',
  'RESOURCE_LIMIT_EXCEEDED',
  'PARSER_CRASHED',
];

describe.skipIf(!CORPUS_AVAILABLE)('hostile files', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    // A shorter page limit keeps the content-stream-cycle file from holding the test for 30 s.
    harness = await createPipelineHarness({ env: { EXTRACT_PAGE_TIMEOUT_MS: '5000' } });
  });
  afterAll(async () => harness.close());

  it('each ends with its error code or completes safely, and a good document ingested at the same time completes', async () => {
    const { producer, pipeline } = harness.runtime;
    const files = (await readdir(fileURLToPath(new URL('hostile/', CORPUS_DIR)))).filter((file) =>
      file.endsWith('.pdf'),
    );
    expect(files.length).toBeGreaterThanOrEqual(7);
    const hostile = await Promise.all(
      files.map(async (file) => ({
        file,
        registration: await producer.ingest({ data: await corpusFile(`hostile/${file}`), displayName: file }),
      })),
    );
    const good = await producer.ingest({
      data: await corpusFile('real/two_paragraphs.pdf'),
      displayName: 'two_paragraphs.pdf',
    });

    const outcomes: Record<string, string> = {};
    for (const { file, registration } of hostile) {
      const status = await harness.waitForVersion(registration.documentId, registration.version);
      const record = await pipeline.repository.getVersion(registration.documentId, registration.version);
      outcomes[file] = status === 'completed' ? 'completed' : (record?.errorCode ?? 'none');
      expect(['completed', 'failed'], file).toContain(status);
      if (status === 'failed')
        expect(DOCUMENT_CODES, `${file}: ${record?.errorMessage}`).toContain(record?.errorCode);
    }
    console.log('hostile outcomes', outcomes);
    expect(await harness.waitForVersion(good.documentId, good.version)).toBe('completed');
    // Owner-password-only encryption opens without a password: it must not be reported as encrypted.
    expect(outcomes['empty_protected.pdf']).not.toBe('PDF_ENCRYPTED');
    expect(outcomes['bomb_giant.pdf']).not.toBe('none');
  });
});
