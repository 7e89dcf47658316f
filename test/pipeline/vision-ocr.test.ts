// OCR_ENGINE=vision: a page without a text layer is rendered and sent to the vision model with the transcription
// prompt (not the figure-description prompt), and the answer stands in the chunks as the page's text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_TRANSCRIPTION_PROMPT } from '../../packages/pipeline/src/stages/transcription-prompt.ts';
import { buildScannedPdf } from '../../packages/pipeline/src/test-support/scan-pdf.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('vision OCR through the stages', { timeout: 240_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness({
      env: { OCR_ENGINE: 'vision', EXTRACT_PAGE_TIMEOUT_MS: '150000' },
    });
  });
  afterAll(async () => harness.close());

  it('a scanned page is transcribed with the transcription prompt and chunked as text, not as a figure', async () => {
    const { data } = await buildScannedPdf({ pages: 1, lines: 6, seed: 9 });
    const before = harness.sim.requests.length;
    const registration = await harness.runtime.producer.ingest({ data, displayName: 'scan.pdf' });
    expect(await harness.waitForVersion(registration.documentId, registration.version)).toMatch(/^completed/);
    const { repository } = harness.runtime.pipeline;
    const images = await repository.loadImages(registration.documentId, registration.version);
    const page = images.find((image) => image.purpose === 'page-text');
    expect(page?.status).toBe('described');
    const prompts = harness.sim.requests
      .slice(before)
      .map((request) => JSON.stringify(request.body ?? ''))
      .filter((body) => body.includes('image'));
    expect(
      prompts.some((body) => body.includes(JSON.stringify(PAGE_TRANSCRIPTION_PROMPT).slice(1, 60))),
    ).toBe(true);
    const chunks = await repository.loadChunks(registration.documentId, registration.version);
    const text = chunks.map((c) => c.text).join('\n');
    const transcript = (page?.description ?? '').trim().slice(0, 40);
    expect(transcript.length).toBeGreaterThan(0);
    // A block of its own, as text (the scan's own image is still a figure, described as one).
    expect(text.split('\n\n').some((block) => block.startsWith(transcript))).toBe(true);
  });
});
