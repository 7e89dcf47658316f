// Entry of a pool thread that runs pdf.js (see pdf-thread-pool.ts for why it is a separate thread). The
// thread lives across tasks and runs one at a time; extractPdf/inspectPdf destroy each document they open, so
// no pdf.js document state outlives its task.
import { parentPort } from 'node:worker_threads';
import { isAegisError } from '@aegis/core';
import type { ExtractedDocument } from './extracted-document.ts';
import { extractPdf, inspectPdf } from './pdf-extract.ts';
import type { PdfThreadMessage, PdfThreadTask } from './pdf-thread-protocol.ts';
import { loadPdfjs } from './pdfjs.ts';

const port = parentPort;
if (port === null) throw new Error('pdf-thread-entry.ts must run in a worker thread');
const post = (message: PdfThreadMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);

async function run({ id, request }: PdfThreadTask): Promise<void> {
  try {
    if (request.op === 'inspect') {
      post({ type: 'result', id, value: await inspectPdf(request.data, request.limits) });
      return;
    }
    const doc: ExtractedDocument = await extractPdf(request.data, {
      limits: request.limits,
      pageRange: request.pageRange,
      images: request.images,
      onPage: (pageNumber) => post({ type: 'progress', id, pageNumber }),
    });
    // Image bytes move to the main thread instead of being copied.
    const transfer = doc.pages.flatMap((p) =>
      p.images.flatMap((i) =>
        i.data !== undefined && i.data.buffer instanceof ArrayBuffer ? [i.data.buffer] : [],
      ),
    );
    post({ type: 'result', id, value: doc }, [...new Set(transfer)]);
  } catch (error) {
    post({
      type: 'error',
      id,
      error: {
        code: isAegisError(error) ? error.code : undefined,
        message: error instanceof Error ? error.message : String(error),
        details: isAegisError(error) ? { ...error.details } : undefined,
      },
    });
  }
}

port.on('message', (task: PdfThreadTask) => void run(task));
// Load pdf.js while the first task is still being posted; a failure surfaces again in that task.
loadPdfjs().catch(() => undefined);
