import { isAegisError } from '@aegis/core';
import {
  ARCHIVE_FORMATS,
  archiveDocument,
  archiveLayout,
  buildZip,
  deepXmlBomb,
  lyingSizeBomb,
  manyEntriesDocument,
  paragraphBomb,
  plainZipBomb,
  spacesBomb,
} from '@aegis/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBoundedXmlParser } from './xml-bounds.ts';
import { DEFAULT_ZIP_LIMITS, openZipGuarded } from './zip-guard.ts';

const MIB = 1024 * 1024;
const codeOf = (error: unknown): string => (isAegisError(error) ? error.code : `crash: ${String(error)}`);

/** Reads the format's main part through the guard and the bounded XML parser, counting what was inflated. */
async function readMain(data: Uint8Array, part: string): Promise<{ outcome: string; inflated: number }> {
  let inflated = 0;
  const outcome = await (async () => {
    const zip = await openZipGuarded(data, 'test document');
    try {
      const xml = createBoundedXmlParser(part);
      await zip.stream(part, (chunk) => {
        inflated += chunk.length;
        xml.write(chunk);
      });
      xml.end();
      return 'ok';
    } finally {
      zip.close();
    }
  })().catch(codeOf);
  return { outcome, inflated };
}

describe('openZipGuarded', () => {
  it('reads every benign package of every format back exactly (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ARCHIVE_FORMATS),
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 80 }).map((s) => s.replace(/[<>&]/g, ' ')),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        async (format, paragraphs) => {
          const { part, head, unit, tail } = archiveLayout(format);
          const data = archiveDocument(format, { kind: 'text', paragraphs });
          const zip = await openZipGuarded(data, format);
          try {
            expect(zip.has(part)).toBe(true);
            const text = (await zip.read(part)).toString('utf8');
            expect(text).toBe(head + paragraphs.map(unit).join('') + tail);
          } finally {
            zip.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each(ARCHIVE_FORMATS)(
    '%s: every bomb shape is refused with RESOURCE_LIMIT_EXCEEDED before it inflates past a bound',
    async (format) => {
      const { part } = archiveLayout(format);
      const bombs: Array<[string, Buffer]> = [
        ['100 MiB of paragraphs', paragraphBomb(format, 100)],
        ['2 GiB of spaces', spacesBomb(format, 2048)],
        ['headers declaring 4 KiB', lyingSizeBomb(format, 256, 4096)],
        ['XML nested 100,000 deep', deepXmlBomb(format, 100_000)],
      ];
      for (const [what, data] of bombs) {
        const { outcome, inflated } = await readMain(data, part);
        expect(outcome, what).toBe('RESOURCE_LIMIT_EXCEEDED');
        // Refused at the header, or at most one 64 KiB chunk past the first bound crossed.
        expect(inflated, what).toBeLessThanOrEqual(DEFAULT_ZIP_LIMITS.maxEntryBytes + 64 * 1024);
      }
      expect(await openZipGuarded(manyEntriesDocument(format, 20_000), format).catch(codeOf)).toBe(
        'RESOURCE_LIMIT_EXCEEDED',
      );
    },
  );

  it('refuses a plain archive whose entries declare more than the total before reading any', async () => {
    expect(await openZipGuarded(plainZipBomb(4, 1024), 'archive').catch(codeOf)).toBe(
      'RESOURCE_LIMIT_EXCEEDED',
    );
  });

  it('refuses duplicate entry names (readers would disagree on the content)', async () => {
    const data = buildZip([
      { name: 'word/document.xml', data: '<a/>' },
      { name: 'word/document.xml', data: '<b/>' },
    ]);
    expect(await openZipGuarded(data, 'Word document').catch(codeOf)).toBe('UNSUPPORTED_TYPE');
  });

  it('a truncated or corrupted archive ends UNSUPPORTED_TYPE or reads, never anything else (property)', async () => {
    const valid = archiveDocument('docx', { kind: 'text', paragraphs: ['Some text', 'More text'] });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        async (cut, flips) => {
          const data = Buffer.from(valid.subarray(0, Math.max(cut, 1)));
          for (const [at, byte] of flips) if (at < data.length) data[at] = byte;
          const outcome = await (async () => {
            const zip = await openZipGuarded(data, 'Word document');
            try {
              for (const entry of zip.entries) await zip.read(entry.name);
              return 'ok';
            } finally {
              zip.close();
            }
          })().catch(codeOf);
          expect(['ok', 'UNSUPPORTED_TYPE', 'RESOURCE_LIMIT_EXCEEDED']).toContain(outcome);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('counts inflated bytes across entries: overlapping reads cannot exceed the total', async () => {
    const block = 'x'.repeat(MIB);
    const data = buildZip(Array.from({ length: 6 }, (_, i) => ({ name: `part${i}.xml`, data: block })));
    const zip = await openZipGuarded(data, 'archive', { maxTotalBytes: 4 * MIB, maxRatio: 10_000 });
    try {
      const outcomes: string[] = [];
      for (const entry of zip.entries) outcomes.push(await zip.read(entry.name).then(() => 'ok', codeOf));
      expect(outcomes).toEqual([
        'ok',
        'ok',
        'ok',
        'ok',
        'RESOURCE_LIMIT_EXCEEDED',
        'RESOURCE_LIMIT_EXCEEDED',
      ]);
    } finally {
      zip.close();
    }
  });
});

describe('createBoundedXmlParser', () => {
  it('refuses exactly the documents deeper or larger than its bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        (depth, maxDepth, siblings, maxElements) => {
          const xml = `${'<a>'.repeat(depth)}${'<b/>'.repeat(siblings)}${'</a>'.repeat(depth)}`;
          const parser = createBoundedXmlParser('part.xml', { maxDepth, maxElements });
          const outcome = (() => {
            try {
              // Split anywhere: the bounds hold across chunks.
              for (let i = 0; i < xml.length; i += 97)
                parser.write(new TextEncoder().encode(xml.slice(i, i + 97)));
              parser.end();
              return 'ok';
            } catch (error) {
              return codeOf(error);
            }
          })();
          const tooDeep = depth > maxDepth || (siblings > 0 && depth + 1 > maxDepth);
          const tooMany = depth + siblings > maxElements;
          expect(outcome).toBe(tooDeep || tooMany ? 'RESOURCE_LIMIT_EXCEEDED' : 'ok');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bounds text, attributes and comments together, and refuses a DOCTYPE', () => {
    const parse = (xml: string, maxTextChars: number): string => {
      try {
        const parser = createBoundedXmlParser('part.xml', { maxTextChars });
        parser.write(xml);
        parser.end();
        return 'ok';
      } catch (error) {
        return codeOf(error);
      }
    };
    expect(parse(`<a>${'x'.repeat(100)}</a>`, 100)).toBe('ok');
    expect(parse(`<a>${'x'.repeat(101)}</a>`, 100)).toBe('RESOURCE_LIMIT_EXCEEDED');
    expect(parse(`<a b="${'x'.repeat(200)}"/>`, 100)).toBe('RESOURCE_LIMIT_EXCEEDED');
    expect(parse(`<a><!--${'x'.repeat(200)}--></a>`, 100)).toBe('RESOURCE_LIMIT_EXCEEDED');
    expect(parse('<!DOCTYPE a [<!ENTITY x "xxxxxxxx">]><a>&x;</a>', 1_000)).toBe('UNSUPPORTED_TYPE');
  });
});
