import { AegisError, ERROR_CODES, type ErrorCode, isAegisError, outageOf } from '@aegis/core';
import { createImagePreparer } from '../images/index.ts';
import type { StoredImage } from '../ports/document-repository.ts';
import { stopIfCancelled } from './cancellation.ts';
import { persistPaidWork } from './persist-paid-work.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';
import { PAGE_TRANSCRIPTION_PROMPT, PAGE_TRANSCRIPTION_PROMPT_VERSION } from './transcription-prompt.ts';

/** A failure a later try may get past (no provider could serve now), as opposed to a refusal of the image. */
export function isRetryableImageFailure(code: string | null): boolean {
  const known = code !== null && code in ERROR_CODES ? ERROR_CODES[code as ErrorCode] : undefined;
  return known?.retryable === true;
}

/**
 * Filters the document's images (tiny, near-uniform, duplicates) one at a time in page order, and describes
 * the rest through the router with the versioned vision prompt, at most `modelConcurrency` at once, so memory
 * is bounded by a few images whatever the document holds. An image the provider refuses is marked failed with
 * the code, and the document goes on. An image no provider could serve now is kept `failed` with a retryable
 * code: the stage then waits for a provider (the queue layer delays it without an attempt, up to
 * PROVIDER_OUTAGE_MAX_WAIT_MS) and describes it on the next run; once the wait is over the document completes
 * with warnings, and a later retry of this stage describes what is missing. Described images are never redone.
 */
export async function runEnrichImages(deps: PipelineDeps, run: StageRun): Promise<void> {
  const images = (await deps.repository.loadImages(run.documentId, run.version)).filter(
    (image) =>
      image.blobPath &&
      (image.status === 'pending' || (image.status === 'failed' && isRetryableImageFailure(image.errorCode))),
  );
  const total = images.length;
  let done = 0;
  await run.progress(done, total);
  if (total === 0) return;

  const preparer = createImagePreparer({ sandbox: deps.sandbox, signal: run.signal });
  const warnings: string[] = [];
  let waitingForProvider = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  const finish = async (): Promise<void> => {
    done += 1;
    await run.progress(done, total);
  };

  const describe = async (image: StoredImage, data: Uint8Array, mimeType: string): Promise<void> => {
    // A page rendered for OCR (OCR_ENGINE=vision) is transcribed, not described.
    const transcribe = image.purpose === 'page-text';
    try {
      const result = await deps.router.describeImage({
        image: { data, mimeType },
        prompt: transcribe ? PAGE_TRANSCRIPTION_PROMPT : deps.options.visionPrompt,
        signal: run.signal,
        attribution: { documentId: run.documentId, stage: 'enrich-images' },
      });
      await persistPaidWork(deps, run, 'image description', () =>
        deps.repository.updateImage(image.id, {
          status: 'described',
          description: result.text.trim(),
          promptVersion: transcribe ? PAGE_TRANSCRIPTION_PROMPT_VERSION : deps.options.visionPromptVersion,
        }),
      );
    } catch (error) {
      if (isAegisError(error, 'CANCELLED') || isAegisError(error, 'DOCUMENT_CANCELLED')) throw error;
      // Our own outage (Postgres for the budget, a store) is not the image's fault: the stage waits it out.
      if (outageOf(error) !== undefined) throw error;
      const code = isAegisError(error) ? error.code : 'INTERNAL';
      if (isRetryableImageFailure(code)) waitingForProvider += 1;
      const message = error instanceof Error ? error.message : String(error);
      await deps.repository.updateImage(image.id, {
        status: 'failed',
        errorCode: code,
        errorMessage: message,
      });
      warnings.push(
        `image ${image.imageIndex + 1} on page ${image.pageNumber} could not be described (${code})`,
      );
      deps.logger.warn(
        { documentId: run.documentId, imageId: image.id, code },
        'image description failed; continuing without it',
      );
    }
    await finish();
  };

  for (const image of images) {
    if (failure !== undefined) break;
    await stopIfCancelled(deps, run);
    // Duplicates are judged in page order, so the first occurrence is the one described.
    const prepared = await preparer.prepare({
      id: image.id,
      data: await deps.blobs.get(image.blobPath as string),
      mimeType: image.mimeType,
      purpose: image.purpose,
    });
    if (prepared.status === 'skip' || !prepared.prepared) {
      await deps.repository.updateImage(image.id, {
        status: 'skipped',
        skipReason: prepared.reason ?? 'filtered',
        duplicateOf: prepared.duplicateOf,
      });
      await finish();
      continue;
    }
    while (inFlight.size >= deps.options.modelConcurrency) await Promise.race(inFlight);
    const task: Promise<void> = describe(image, prepared.prepared.data, prepared.prepared.mimeType)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  if (waitingForProvider > 0 && !run.providerWaitOver) {
    throw new AegisError(
      'NO_PROVIDER_AVAILABLE',
      `${waitingForProvider} image(s) could not be described because no vision provider could serve; waiting for one`,
      { details: { images: waitingForProvider } },
    );
  }
  await deps.repository.addWarnings(run.documentId, run.version, warnings);
}
