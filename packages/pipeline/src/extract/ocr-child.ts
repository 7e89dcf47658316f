// A child of a sandbox process that runs Tesseract (see pdf-ocr.ts for why a child): it receives rendered
// pages over IPC and answers with Tesseract's blocks. It exits when its parent goes away (the IPC channel
// closes) or after it has been idle for a while, so its memory never outlives the work.
import { createWorker } from 'tesseract.js';

interface OcrChildRequest {
  png: Uint8Array;
  languages: string;
  langPath: string;
}

const IDLE_EXIT_MS = 10_000;
let worker: { key: string; ready: ReturnType<typeof createWorker> } | undefined;
let idle: NodeJS.Timeout | undefined;

const send = (message: unknown): void => {
  process.send?.(message);
};

process.on('disconnect', () => process.exit(0));
process.on('message', async (request: OcrChildRequest) => {
  clearTimeout(idle);
  try {
    const key = `${request.langPath}|${request.languages}`;
    if (worker?.key !== key) {
      if (worker !== undefined) await (await worker.ready).terminate();
      worker = {
        key,
        ready: createWorker(request.languages, 1, {
          langPath: request.langPath,
          gzip: true,
          cacheMethod: 'none',
          logger: () => undefined,
          errorHandler: () => undefined,
        }),
      };
    }
    const result = await (await worker.ready).recognize(
      Buffer.from(request.png),
      {},
      { blocks: true, text: false },
    );
    send({ ok: true, blocks: result.data.blocks ?? [] });
  } catch (error) {
    send({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
  idle = setTimeout(() => process.exit(0), IDLE_EXIT_MS);
});
send({ ready: true });
