import { Worker } from 'node:worker_threads';
import { AegisError, ERROR_CODES, type ErrorCode } from '@aegis/core';
import type { ExtractedDocument } from './extracted-document.ts';
import type { PdfInfo } from './pdf-extract.ts';
import type { PdfThreadMessage, PdfThreadRequest, SerializedError } from './pdf-thread-protocol.ts';

/** Old-generation heap of the PDF thread, in MiB. A hostile file that needs more fails instead of the process. */
export const DEFAULT_PDF_THREAD_HEAP_MB = 1024;
/** Extra time for the first step: starting the thread and loading pdf.js, in ms. */
const STARTUP_GRACE_MS = 5_000;

/** Options of {@link runPdfThread}. */
export interface PdfThreadOptions {
  /** Old-generation heap limit of the thread, MiB. Default {@link DEFAULT_PDF_THREAD_HEAP_MB}. */
  maxHeapMb?: number | undefined;
}

/**
 * Runs pdf.js in a worker thread. pdf.js in Node has no worker of its own (it runs a "fake worker" in the
 * calling thread), and its evaluator can spin in long synchronous or microtask-only loops on hostile input
 * (operator_list_cycle.pdf grows without bound): a timer in the same thread never gets to fire. From here the
 * page timer always fires, `terminate()` really stops the work, and the thread's heap limit turns a memory
 * blow-up into an error instead of a crashed process.
 */
export function runPdfThread(
  request: Extract<PdfThreadRequest, { op: 'extract' }>,
  options?: PdfThreadOptions,
): Promise<ExtractedDocument>;
export function runPdfThread(
  request: Extract<PdfThreadRequest, { op: 'inspect' }>,
  options?: PdfThreadOptions,
): Promise<PdfInfo>;
export function runPdfThread(
  request: PdfThreadRequest,
  options: PdfThreadOptions = {},
): Promise<ExtractedDocument | PdfInfo> {
  const { pageTimeoutMs } = request.limits;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./pdf-thread-entry.ts', import.meta.url), {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? DEFAULT_PDF_THREAD_HEAP_MB },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let step = 'Opening the PDF';
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      void worker.terminate();
    };
    const arm = (ms: number): void => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new AegisError(
                'EXTRACTION_TIMEOUT',
                `${step} took longer than ${pageTimeoutMs} ms; extraction was stopped.`,
                {
                  details: { timeoutMs: pageTimeoutMs, step },
                },
              ),
            ),
          ),
        ms,
      );
    };
    arm(pageTimeoutMs + STARTUP_GRACE_MS);
    worker.on('message', (message: PdfThreadMessage) => {
      if (message.type === 'progress') {
        step = `Page ${message.pageNumber}`;
        arm(pageTimeoutMs);
      } else if (message.type === 'result') {
        finish(() => resolve(message.value));
      } else {
        finish(() => reject(rebuildError(message.error)));
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      finish(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new AegisError(
                'PDF_INVALID',
                `Reading the PDF exhausted the extraction memory limit (${options.maxHeapMb ?? DEFAULT_PDF_THREAD_HEAP_MB} MiB) at ${step.toLowerCase()}; the file is malformed or hostile.`,
                { cause: error },
              )
            : new AegisError('INTERNAL', `The PDF extraction thread failed: ${error.message}`, {
                cause: error,
              }),
        ),
      );
    });
    worker.on('exit', (code) => {
      finish(() =>
        reject(new AegisError('INTERNAL', `The PDF extraction thread exited early (code ${code}).`)),
      );
    });
  });
}

function rebuildError(error: SerializedError): AegisError {
  const code: ErrorCode =
    error.code !== undefined && error.code in ERROR_CODES ? (error.code as ErrorCode) : 'INTERNAL';
  return new AegisError(code, error.message, error.details === undefined ? {} : { details: error.details });
}
