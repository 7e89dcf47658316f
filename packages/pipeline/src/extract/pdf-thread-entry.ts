// Entry of the worker thread that runs pdf.js (see pdf-thread.ts for why it is a separate thread).
import { parentPort, workerData } from 'node:worker_threads';
import { isAegisError } from '@aegis/core';
import type { ExtractedDocument } from './extracted-document.ts';
import { extractPdf, inspectPdf } from './pdf-extract.ts';
import type { PdfThreadMessage, PdfThreadRequest } from './pdf-thread-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('pdf-thread-entry.ts must run in a worker thread');
const post = (message: PdfThreadMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);

const request = workerData as PdfThreadRequest;
try {
  if (request.op === 'inspect') {
    post({ type: 'result', value: await inspectPdf(request.data, request.limits) });
  } else {
    const doc: ExtractedDocument = await extractPdf(request.data, {
      limits: request.limits,
      pageRange: request.pageRange,
      images: request.images,
      onPage: (pageNumber) => post({ type: 'progress', pageNumber }),
    });
    // Image bytes move to the main thread instead of being copied.
    const transfer = doc.pages.flatMap((p) =>
      p.images.flatMap((i) =>
        i.data !== undefined && i.data.buffer instanceof ArrayBuffer ? [i.data.buffer] : [],
      ),
    );
    post({ type: 'result', value: doc }, [...new Set(transfer)]);
  }
} catch (error) {
  post({
    type: 'error',
    error: {
      code: isAegisError(error) ? error.code : undefined,
      message: error instanceof Error ? error.message : String(error),
      details: isAegisError(error) ? { ...error.details } : undefined,
    },
  });
}
