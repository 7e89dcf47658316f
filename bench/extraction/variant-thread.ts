// A long-lived worker thread that runs one in-thread extractor per job. Each library gets its own thread
// because pdf.js keeps its fake worker in a global: two pdf.js copies in one thread clash on version.
import { parentPort, workerData } from 'node:worker_threads';
import { PDFParse } from 'pdf-parse';
import { extractText } from 'unpdf';
import { resolveLimits } from '../../packages/pipeline/src/extract/index.ts';
import { extractPdf } from '../../packages/pipeline/src/extract/pdf-extract.ts';

/** Pages and characters extracted, to check every variant did the work. */
export interface VariantOutcome {
  pages: number;
  chars: number;
}

const variant = workerData as 'ours-text-inline' | 'unpdf' | 'pdf-parse';

async function run(data: Uint8Array): Promise<VariantOutcome> {
  if (variant === 'unpdf') {
    const { totalPages, text } = await extractText(data, { mergePages: false });
    return { pages: totalPages, chars: text.reduce((n, t) => n + t.length, 0) };
  }
  if (variant === 'pdf-parse') {
    const parser = new PDFParse({ data });
    try {
      const result = await parser.getText();
      return { pages: result.total, chars: result.text.length };
    } finally {
      await parser.destroy();
    }
  }
  const doc = await extractPdf(data, { limits: resolveLimits(undefined), images: false });
  return {
    pages: doc.pages.length,
    chars: doc.pages.reduce((n, p) => n + p.paragraphs.reduce((m, q) => m + q.text.length, 0), 0),
  };
}

parentPort?.on('message', (data: Uint8Array) => {
  run(data).then(
    (outcome) => parentPort?.postMessage({ outcome }),
    (error: unknown) => parentPort?.postMessage({ error: String(error) }),
  );
});
