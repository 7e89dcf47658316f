import { isAegisError } from '@aegis/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCX_ENTRY, detectKindDetailed, detectKindOfSample } from './detect-kind.ts';
import { createKindSniffer } from './kind-sniffer.ts';

function outcome(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    return isAegisError(error) ? error.code : error;
  }
}

const text = (value: string) => new Uint8Array(Buffer.from(value, 'utf8'));

/** Bytes that exercise every branch: magic numbers, ZIPs with and without the Word entry, UTF-8, NUL. */
const interestingBytes = fc.oneof(
  fc.uint8Array({ maxLength: 3_000 }),
  fc.string({ unit: 'binary', maxLength: 2_000 }).map(text),
  fc
    .tuple(fc.uint8Array({ maxLength: 1_500 }), fc.uint8Array({ maxLength: 1_500 }))
    .map(([a, b]) => Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), a, Buffer.from(DOCX_ENTRY), b])),
  fc
    .uint8Array({ maxLength: 1_500 })
    .map((rest) => Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), rest])),
  fc
    .tuple(fc.uint8Array({ maxLength: 1_200 }), fc.uint8Array({ maxLength: 500 }))
    .map(([before, after]) => Buffer.concat([before, Buffer.from('%PDF-1.7'), after])),
  fc
    .uint8Array({ maxLength: 200 })
    .map((rest) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), rest])),
);

describe('createKindSniffer', () => {
  it('detects exactly what whole-buffer detection does, however the bytes are cut into chunks (property)', () => {
    fc.assert(
      fc.property(
        interestingBytes,
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 20 }),
        fc.constantFrom('a.txt', 'a.md', 'a.html', 'a.bin', 'a.pdf', undefined),
        fc.constantFrom('text/plain', 'application/octet-stream', undefined),
        (bytes, cuts, filename, mimeType) => {
          const data = new Uint8Array(bytes);
          const sniffer = createKindSniffer();
          let offset = 0;
          for (const cut of cuts) {
            if (offset >= data.length) break;
            sniffer.update(data.subarray(offset, offset + cut));
            offset += cut;
          }
          if (offset < data.length) sniffer.update(data.subarray(offset));
          const hints = { filename, mimeType };
          expect(outcome(() => detectKindOfSample(sniffer.sample(), hints))).toEqual(
            outcome(() => detectKindDetailed({ data, ...hints })),
          );
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
