import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findTesseract,
  ocrEngineInUse,
  parseTesseractTsv,
  recogniseNative,
  unpackedTessdata,
} from './tesseract-native.ts';

const scratch = mkdtempSync(join(tmpdir(), 'aegis-tesseract-native-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const HEADER =
  'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';

describe('parseTesseractTsv', () => {
  it('nests words into lines, paragraphs and blocks in reading order, boxes as corners', () => {
    const tsv = [
      HEADER,
      '1\t1\t0\t0\t0\t0\t0\t0\t1700\t2200\t-1\t',
      '2\t1\t1\t0\t0\t0\t224\t218\t1246\t101\t-1\t',
      '5\t1\t1\t1\t1\t1\t224\t219\t258\t35\t91.98\tTrace-based',
      '5\t1\t1\t1\t1\t2\t495\t219\t271\t39\t91.99\tJust-in-Time',
      '5\t1\t1\t1\t2\t1\t733\t275\t227\t44\t95.1\tType',
      '5\t1\t1\t2\t1\t1\t100\t400\t50\t20\t-1\t   ',
      '5\t1\t2\t1\t1\t1\t100\t500\t80\t20\t88\tSpecialization',
      '',
    ].join('\n');
    expect(parseTesseractTsv(tsv)).toEqual([
      {
        paragraphs: [
          {
            lines: [
              {
                words: [
                  { text: 'Trace-based', confidence: 91.98, bbox: { x0: 224, y0: 219, x1: 482, y1: 254 } },
                  { text: 'Just-in-Time', confidence: 91.99, bbox: { x0: 495, y0: 219, x1: 766, y1: 258 } },
                ],
              },
              { words: [{ text: 'Type', confidence: 95.1, bbox: { x0: 733, y0: 275, x1: 960, y1: 319 } }] },
            ],
          },
        ],
      },
      {
        paragraphs: [
          {
            lines: [
              {
                words: [
                  { text: 'Specialization', confidence: 88, bbox: { x0: 100, y0: 500, x1: 180, y1: 520 } },
                ],
              },
            ],
          },
        ],
      },
    ]);
  });

  it('keeps every non-blank word of any TSV, once, in order, whatever else the rows say', () => {
    const row = fc.record({
      level: fc.constantFrom(1, 2, 3, 4, 5),
      block: fc.nat(3),
      paragraph: fc.nat(3),
      line: fc.nat(3),
      box: fc.tuple(fc.nat(3000), fc.nat(3000), fc.nat(500), fc.nat(200)),
      conf: fc.oneof(fc.constant(-1), fc.float({ min: 0, max: 100, noNaN: true })),
      text: fc.string({ unit: fc.constantFrom('a', 'Z', '9', '-', ' ', 'é'), maxLength: 8 }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const tsv = [
          HEADER,
          ...rows.map(
            (r) =>
              `${r.level}\t1\t${r.block}\t${r.paragraph}\t${r.line}\t1\t${r.box.join('\t')}\t${r.conf}\t${r.text}`,
          ),
        ].join('\n');
        const words = parseTesseractTsv(tsv).flatMap((b) =>
          b.paragraphs.flatMap((p) => p.lines.flatMap((l) => l.words)),
        );
        const expected = rows.filter((r) => r.level === 5 && r.text.trim() !== '');
        expect(words.map((w) => w.text).sort()).toEqual(expected.map((r) => r.text.trim()).sort());
        for (const w of words) {
          expect(w.confidence).toBeGreaterThanOrEqual(0);
          expect(w.bbox.x1).toBeGreaterThanOrEqual(w.bbox.x0);
          expect(w.bbox.y1).toBeGreaterThanOrEqual(w.bbox.y0);
        }
      }),
    );
  });
});

describe('findTesseract', () => {
  it('finds nothing for an empty command or one that is not installed; takes an executable path as it is', () => {
    expect(findTesseract('')).toBeUndefined();
    expect(findTesseract(undefined)).toBeUndefined();
    expect(findTesseract('aegis-no-such-ocr-binary')).toBeUndefined();
    const script = join(scratch, 'fake-tesseract');
    writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(findTesseract(script)).toBe(script);
    const notExecutable = join(scratch, 'not-executable');
    writeFileSync(notExecutable, 'data', { mode: 0o644 });
    expect(findTesseract(notExecutable)).toBeUndefined();
  });
});

describe('ocrEngineInUse', () => {
  it('names the engine that will read: the native binary where found, tesseract.js where not, or the setting', () => {
    const script = join(scratch, 'engine-tesseract');
    writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(ocrEngineInUse({ engine: 'tesseract', command: script })).toEqual({
      engine: 'tesseract (native)',
      binary: script,
    });
    expect(ocrEngineInUse({ engine: 'tesseract', command: 'aegis-no-such-ocr-binary' })).toEqual({
      engine: 'tesseract.js',
    });
    expect(ocrEngineInUse({ engine: 'tesseract', command: '' })).toEqual({ engine: 'tesseract.js' });
    expect(ocrEngineInUse({ engine: 'vision', command: script })).toEqual({ engine: 'vision' });
    expect(ocrEngineInUse({ engine: 'off' })).toEqual({ engine: 'off' });
  });
});

describe('unpackedTessdata', () => {
  it('unpacks each language once into a folder named after the data, byte for byte', () => {
    const require = createRequire(import.meta.url);
    const { langPath } = require('@tesseract.js-data/eng') as { langPath: string };
    const gzipDir = `${langPath}_best_int`;
    const dir = unpackedTessdata(gzipDir, ['eng']);
    expect(unpackedTessdata(gzipDir, ['eng'])).toBe(dir);
    const unpacked = readFileSync(join(dir, 'eng.traineddata'));
    expect(unpacked.equals(gunzipSync(readFileSync(join(gzipDir, 'eng.traineddata.gz'))))).toBe(true);
  });

  it('a corrupt archive is an error and leaves no half-written file', () => {
    const dir = mkdtempSync(join(scratch, 'corrupt-'));
    writeFileSync(join(dir, 'zzz.traineddata.gz'), 'not gzip at all');
    expect(() => unpackedTessdata(dir, ['zzz'])).toThrow();
    const leftovers = readdirSync(join(tmpdir(), 'aegis-tessdata'), { recursive: true }).filter((name) =>
      String(name).includes('zzz.traineddata'),
    );
    expect(leftovers).toEqual([]);
  });

  it('a language without data is an error naming the file', () => {
    expect(() => unpackedTessdata(scratch, ['xyz'])).toThrow(/xyz\.traineddata\.gz/);
  });
});

describe('recogniseNative', () => {
  const request = (binary: string, signal = new AbortController().signal) => ({
    binary,
    png: Buffer.alloc(64),
    languages: ['eng'],
    tessdataDir: scratch,
    dpi: 200,
    signal,
  });

  it('a failing binary is an error with its exit code and last line of stderr', async () => {
    const script = join(scratch, 'failing-tesseract');
    writeFileSync(script, '#!/bin/sh\ncat > /dev/null\necho "Error opening data file" >&2\nexit 1\n', {
      mode: 0o755,
    });
    await expect(recogniseNative(request(script))).rejects.toThrow(/exit code 1.*Error opening data file/);
  });

  it('an aborted page kills the process', async () => {
    const script = join(scratch, 'stuck-tesseract');
    writeFileSync(script, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const stop = new AbortController();
    const started = recogniseNative(request(script, stop.signal));
    stop.abort();
    await expect(started).rejects.toThrow();
  });
});
