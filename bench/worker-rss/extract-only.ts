/**
 * Diagnosis helper for bench/worker-rss: the memory of ONE extraction step alone, each case in a fresh process
 * (so VmHWM belongs to that case only): `inspectPdf` (what the memory check runs), and one page range of the
 * long PDF with and without image decoding. Shows whether the extract peak follows the range size (pages held)
 * or the file (pdf.js parsing the whole file in a fresh thread for every range).
 *
 * Run: `npx node bench/worker-rss/extract-only.ts` (about a minute).
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { extractDocument, inspectPdf } from '@aegis/pipeline';
import { CORPUS_DIR } from '../pipeline-throughput/environment.ts';
import { buildLongPdf } from './build-pdf.ts';

const SOURCES = ['tracemonkey.pdf', 'TAMReview.pdf'];
const CASES = [
  'baseline',
  'inspect',
  'range-1-10-text',
  'range-1-10',
  'range-1-50',
  'range-1-50-text',
  'whole-file-text',
] as const;

async function hwmMiB(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return Math.round(Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
}

const which = process.argv[2];
if (which !== undefined) {
  const { data } = await buildLongPdf(CORPUS_DIR, SOURCES, 300);
  const before = await hwmMiB();
  const started = performance.now();
  let pages = 0;
  if (which === 'inspect') pages = (await inspectPdf(data)).pageCount;
  else if (which.startsWith('range') || which.startsWith('whole')) {
    const to = which.startsWith('whole') ? 333 : which.includes('1-50') ? 50 : 10;
    const doc = await extractDocument(
      { data },
      { pageRange: { from: 1, to }, images: !which.endsWith('-text') },
    );
    pages = doc.pages.length;
  }
  console.log(
    JSON.stringify({
      case: which,
      pages,
      hwmBeforeMiB: before,
      hwmAfterMiB: await hwmMiB(),
      seconds: Math.round(performance.now() - started) / 1000,
    }),
  );
  process.exit(0);
}

console.log('| case | pages | VmHWM before MiB | VmHWM after MiB | added MiB | seconds |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const name of CASES) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), name], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop() as string) as {
    pages: number;
    hwmBeforeMiB: number;
    hwmAfterMiB: number;
    seconds: number;
  };
  console.log(
    `| ${name} | ${r.pages} | ${r.hwmBeforeMiB} | ${r.hwmAfterMiB} | ${r.hwmAfterMiB - r.hwmBeforeMiB} | ${r.seconds} |`,
  );
}
