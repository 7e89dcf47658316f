// Native Tesseract (e.g. Debian's tesseract-ocr) for OCR, preferred over tesseract.js where the binary exists:
// one short-lived process per page holds ~85 MiB at 200 dpi where the WebAssembly engine's Node child holds
// ~210-240 MiB, and it runs the same LSTM model with SIMD. The model is the one tesseract.js would use (the
// `@tesseract.js-data/<code>` packages or OCR_LANGUAGE_DIR), unpacked once into a cache folder, so both engines
// read with the same data and languages are installed the same way.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface OcrWordBox {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}
/** Tesseract's page layout, as tesseract.js reports it: blocks of paragraphs of lines of words. */
export interface OcrBlock {
  paragraphs: Array<{ lines: Array<{ words: OcrWordBox[] }> }>;
}

/** Where a command name is looked for when the process has no PATH (sandbox processes get an empty environment). */
const STANDARD_DIRS = ['/usr/local/bin', '/usr/bin', '/bin'];
/** Bytes of TSV a page may produce before the process is stopped (a real page gives ~50 KiB). */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

const resolved = new Map<string, string | undefined>();

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of the native Tesseract `command` (a path, or a name looked up in PATH and the standard
 * folders), or undefined when it is not installed or `command` is empty (tesseract.js is used then).
 */
export function findTesseract(command: string | undefined): string | undefined {
  if (command === undefined || command.trim() === '') return undefined;
  if (resolved.has(command)) return resolved.get(command);
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...STANDARD_DIRS];
  const candidates =
    isAbsolute(command) || command.includes('/') ? [command] : dirs.map((d) => join(d, command));
  const found = candidates.find(executable);
  resolved.set(command, found);
  return found;
}

/** Which engine reads pages without usable text on this host, for the worker's start-up log. */
export function ocrEngineInUse(ocr: {
  engine: 'tesseract' | 'vision' | 'off';
  command?: string | undefined;
}): { engine: 'tesseract (native)' | 'tesseract.js' | 'vision' | 'off'; binary?: string } {
  if (ocr.engine !== 'tesseract') return { engine: ocr.engine };
  const binary = findTesseract(ocr.command);
  return binary === undefined ? { engine: 'tesseract.js' } : { engine: 'tesseract (native)', binary };
}

/**
 * A folder holding `<code>.traineddata` for every language, unpacked from the `.traineddata.gz` files in
 * `gzipDir`. The folder is named after the sources' paths, sizes and times, so new data gets a new folder, and
 * files are written under a temporary name and renamed, so concurrent sandbox processes never read half a file.
 */
export function unpackedTessdata(gzipDir: string, languages: readonly string[]): string {
  const sources = languages.map((code) => join(gzipDir, `${code}.traineddata.gz`));
  const hash = createHash('sha256');
  for (const source of sources) {
    const stat = statSync(source);
    hash.update(`${source}\0${stat.size}\0${stat.mtimeMs}\0`);
  }
  const dir = join(tmpdir(), 'aegis-tessdata', hash.digest('hex').slice(0, 16));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  languages.forEach((code, i) => {
    const target = join(dir, `${code}.traineddata`);
    if (existsSync(target)) return;
    const partial = `${target}.${process.pid}.partial`;
    try {
      writeFileSync(partial, gunzipSync(readFileSync(sources[i] as string)));
      renameSync(partial, target);
    } catch (error) {
      // A corrupt archive or a full disk: no half file is left to be mistaken for data later.
      rmSync(partial, { force: true });
      throw error;
    }
  });
  return dir;
}

/** Tesseract's TSV (one row per layout element; level 5 rows are words) as blocks of paragraphs, lines, words. */
export function parseTesseractTsv(tsv: string): OcrBlock[] {
  const blocks = new Map<string, Map<string, Map<string, OcrWordBox[]>>>();
  for (const row of tsv.split('\n')) {
    const cells = row.split('\t');
    if (cells[0] !== '5' || cells.length < 12) continue;
    const [, , block, paragraph, line, , left, top, width, height, conf] = cells.map(Number) as number[];
    const text = cells.slice(11).join('\t').trim();
    if (text === '') continue;
    const paragraphs = blocks.get(String(block)) ?? new Map<string, Map<string, OcrWordBox[]>>();
    blocks.set(String(block), paragraphs);
    const lines = paragraphs.get(String(paragraph)) ?? new Map<string, OcrWordBox[]>();
    paragraphs.set(String(paragraph), lines);
    const words = lines.get(String(line)) ?? [];
    lines.set(String(line), words);
    const x0 = left ?? 0;
    const y0 = top ?? 0;
    words.push({
      text,
      confidence: Math.max(0, conf ?? 0),
      bbox: { x0, y0, x1: x0 + (width ?? 0), y1: y0 + (height ?? 0) },
    });
  }
  return [...blocks.values()].map((paragraphs) => ({
    paragraphs: [...paragraphs.values()].map((lines) => ({
      lines: [...lines.values()].map((words) => ({ words })),
    })),
  }));
}

export interface NativeOcrRequest {
  binary: string;
  png: Buffer;
  languages: readonly string[];
  tessdataDir: string;
  dpi: number;
  signal: AbortSignal;
}

/**
 * Runs one page through the native binary (PNG on stdin, TSV on stdout). One process per page: its memory ends
 * with the page, and a page over its time limit is ended by killing it (the signal aborts).
 */
export function recogniseNative(request: NativeOcrRequest): Promise<OcrBlock[]> {
  const args = [
    'stdin',
    'stdout',
    '--tessdata-dir',
    request.tessdataDir,
    '-l',
    request.languages.join('+'),
    '--oem',
    '1',
    '--psm',
    '3',
    '--dpi',
    String(request.dpi),
    '-c',
    'tessedit_create_tsv=1',
    '-c',
    'tessedit_create_txt=0',
  ];
  return new Promise<OcrBlock[]>((resolve, reject) => {
    // One thread: the worker's other processes share the cores, and OpenMP threads would spin against them.
    const proc = spawn(request.binary, args, {
      env: { OMP_THREAD_LIMIT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: request.signal,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let errText = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) proc.kill('SIGKILL');
      else out.push(chunk);
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      if (errText.length < 4_096) errText += chunk.toString('utf8');
    });
    // A process that dies before reading all of stdin makes the write fail; its exit says why.
    proc.stdin.on('error', () => undefined);
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      if (code === 0) return resolve(parseTesseractTsv(Buffer.concat(out).toString('utf8')));
      const why = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
      const detail = errText.trim().split('\n').at(-1) ?? '';
      reject(new Error(`tesseract failed (${why})${detail === '' ? '' : `: ${detail}`}`));
    });
    proc.stdin.end(request.png);
  });
}
