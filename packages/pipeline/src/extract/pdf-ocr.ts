// OCR of PDF pages without usable text, from the parsing sandbox: pdf.js renders the page onto a
// @napi-rs/canvas canvas (the Node canvas pdf.js itself uses) in the sandbox process, and Tesseract reads it in
// a child of that process: the native binary when installed (tesseract-native.ts: a process per page, a third of
// the memory), else tesseract.js (WebAssembly, kept warm across pages). Both use the traineddata of the
// @tesseract.js-data packages; nothing is fetched. A page over its time limit kills the child, and the page keeps
// what its text layer had, with a warning.
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { SEMI_SPACE_FLAG } from '../sandbox/node-flags.ts';
import type { BoundingBox, OcrWord, Paragraph } from './extracted-document.ts';
import type { PdfPageProxy } from './pdfjs.ts';
import { findTesseract, type OcrBlock, recogniseNative, unpackedTessdata } from './tesseract-native.ts';

/** How pages without usable text are read. */
export interface OcrSettings {
  /** `tesseract` (local), `vision` (the page rendered as an image for the vision model), or `off`. Default tesseract. */
  engine: 'tesseract' | 'vision' | 'off';
  /** Tesseract language codes, e.g. `["eng", "deu"]`; each needs its `@tesseract.js-data/<code>` package. Default eng. */
  languages: string[];
  /** Wall-clock limit of one page's OCR, ms. Default 20,000 (under the page step limit, so it ends gracefully). */
  pageTimeoutMs: number;
  /** Rendering resolution, dots per inch. Default 200. */
  dpi: number;
  /**
   * The native Tesseract binary (a path, or a name looked up in PATH and /usr/local/bin, /usr/bin, /bin); where
   * it is not installed, or this is empty, the bundled tesseract.js reads instead. Default `tesseract`.
   */
  command?: string | undefined;
  /** A folder with `<code>.traineddata.gz` for every language; default: each language's npm data package. */
  languageDir?: string | undefined;
  /**
   * OCR time one parsing task (a page range) may spend, ms; later pages of the range keep their text layer, with
   * a warning, so OCR never pushes a task over the sandbox's task limit. Default 300,000 (half that limit's default).
   */
  taskBudgetMs?: number | undefined;
}

export const DEFAULT_OCR_SETTINGS: Readonly<OcrSettings> = Object.freeze({
  engine: 'tesseract',
  languages: ['eng'],
  pageTimeoutMs: 20_000,
  dpi: 200,
  command: 'tesseract',
});

/** The rendered page is capped at this many pixels on its long side, whatever the DPI and page size say. */
const MAX_RENDER_SIDE = 4_000;

type ChildReply = { ok: true; blocks: OcrBlock[] } | { ok: false; error: string };

/** The folder holding `<code>.traineddata.gz`: `languageDir` when set, else the `@tesseract.js-data/<code>` package's. */
function languageDir(code: string, configured: string | undefined): string {
  if (configured !== undefined && configured !== '') return configured;
  const require = createRequire(import.meta.url);
  try {
    // The integer-quantised LSTM model: a third of the size and memory of the float one (which the package's
    // own langPath names), at about the same accuracy on print.
    const { langPath } = require(`@tesseract.js-data/${code}`) as { langPath: string };
    return `${langPath}_best_int`;
  } catch (error) {
    throw new Error(
      `OCR language "${code}" is not installed (npm install @tesseract.js-data/${code}, or set OCR_LANGUAGE_DIR)`,
      {
        cause: error,
      },
    );
  }
}

// Tesseract runs in a child of the sandbox process, not inside it: its WebAssembly engine and worker thread
// need a fixed ~150 MiB that the sandbox's data limit (set from its footprint with pdf.js and canvas loaded)
// does not leave; the child inherits the same absolute limit but starts small, so the engine fits, and a
// stuck recognition is ended by killing the child. The child leaves with its parent (IPC closes) or when idle.
let child: { process: ChildProcess; ready: Promise<void> } | undefined;

function ocrChild(): { process: ChildProcess; ready: Promise<void> } {
  if (child !== undefined && child.process.exitCode === null && !child.process.killed) return child;
  const proc = fork(new URL('./ocr-child.ts', import.meta.url), [], {
    execArgv: [SEMI_SPACE_FLAG],
    serialization: 'advanced',
    env: {},
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    proc.once('message', () => resolve());
    proc.once('exit', (code) => reject(new Error(`the OCR process exited (code ${code})`)));
    proc.once('error', reject);
  });
  ready.catch(() => undefined);
  proc.on('exit', () => {
    if (child?.process === proc) child = undefined;
  });
  child = { process: proc, ready };
  return child;
}

/** Ends the OCR process (a timed-out page, or the sandbox process going away). */
export async function closeRecogniser(): Promise<void> {
  const current = child;
  child = undefined;
  current?.process.kill('SIGKILL');
}

async function recognise(
  png: Buffer,
  scale: number,
  settings: OcrSettings,
  signal: AbortSignal,
): Promise<OcrBlock[]> {
  const dirs = new Set(settings.languages.map((code) => languageDir(code, settings.languageDir)));
  // Both engines read every language from one folder.
  if (dirs.size !== 1)
    throw new Error('OCR languages in several folders: set OCR_LANGUAGE_DIR to one folder holding them all');
  const dir = [...dirs][0] as string;
  const binary = findTesseract(settings.command);
  if (binary !== undefined) {
    const tessdataDir = unpackedTessdata(dir, settings.languages);
    const dpi = Math.round(scale * 72);
    return recogniseNative({ binary, png, languages: settings.languages, tessdataDir, dpi, signal });
  }
  const { process: proc, ready } = ocrChild();
  await ready;
  const reply = await new Promise<ChildReply>((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`the OCR process exited (code ${code})`));
    proc.once('exit', onExit);
    proc.once('message', (message: ChildReply) => {
      proc.off('exit', onExit);
      resolve(message);
    });
    proc.send({ png: new Uint8Array(png), languages: settings.languages.join('+'), langPath: dir });
  });
  if (!reply.ok) throw new Error(reply.error);
  return reply.blocks;
}

/** Renders a page to PNG at `dpi` (long side capped), returning the scale from PDF points to pixels. */
export async function renderPage(page: PdfPageProxy, dpi: number): Promise<{ png: Buffer; scale: number }> {
  const base = page.getViewport({ scale: 1 });
  const scale = Math.min(dpi / 72, MAX_RENDER_SIDE / Math.max(base.width, base.height, 1));
  const viewport = page.getViewport({ scale });
  const { createCanvas } = await import('@napi-rs/canvas');
  const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
  return { png: canvas.toBuffer('image/png'), scale };
}

/** Recognises a rendered page: Tesseract's paragraphs as blocks with word boxes in PDF points. */
export async function recognisePage(png: Buffer, scale: number, settings: OcrSettings): Promise<Paragraph[]> {
  let timer: NodeJS.Timeout | undefined;
  const stop = new AbortController();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stop.abort();
      reject(new Error(`OCR took longer than ${settings.pageTimeoutMs} ms`));
    }, settings.pageTimeoutMs);
  });
  try {
    const recognition = recognise(png, scale, settings, stop.signal);
    // Lost to the timeout, it still rejects (its process killed): that is expected, not an unhandled error.
    recognition.catch(() => undefined);
    const blocks = await Promise.race([recognition, timeout]);
    const paragraphs: Paragraph[] = [];
    for (const block of blocks) {
      for (const paragraph of block.paragraphs) {
        const words: OcrWord[] = paragraph.lines.flatMap((line) =>
          line.words
            .filter((w) => w.text.trim() !== '')
            .map((w) => ({
              text: w.text,
              confidence: Math.round(w.confidence),
              bbox: [
                w.bbox.x0 / scale,
                w.bbox.y0 / scale,
                w.bbox.x1 / scale,
                w.bbox.y1 / scale,
              ] as BoundingBox,
            })),
        );
        if (words.length === 0) continue;
        paragraphs.push({
          text: joinWords(
            paragraph.lines.map((line) => line.words.map((w) => w.text.trim()).filter((t) => t !== '')),
          ),
          bbox: [
            Math.min(...words.map((w) => w.bbox[0])),
            Math.min(...words.map((w) => w.bbox[1])),
            Math.max(...words.map((w) => w.bbox[2])),
            Math.max(...words.map((w) => w.bbox[3])),
          ],
          source: 'ocr',
          words,
        });
      }
    }
    return paragraphs;
  } catch (error) {
    // A stuck recogniser is not reused: the next page starts a fresh one.
    await closeRecogniser();
    throw error;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

/** Lines of words into one paragraph, re-joining words hyphenated at a line end. */
function joinWords(lines: string[][]): string {
  let text = '';
  for (const line of lines) {
    const joined = line.join(' ');
    if (joined === '') continue;
    if (text === '') text = joined;
    else if (/\p{L}-$/u.test(text) && /^\p{Ll}/u.test(joined)) text = text.slice(0, -1) + joined;
    else text = `${text} ${joined}`;
  }
  return text;
}
