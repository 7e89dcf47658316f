import { ARCHIVE_ENTRIES, DOCX_ENTRY, type KindSample, SNIFF_HEAD_BYTES } from './detect-kind.ts';

/** Gathers a `KindSample` from chunks as they stream past, holding at most ~1 KiB of them. */
export interface KindSniffer {
  update(chunk: Uint8Array): void;
  /** The sample of everything seen; call once, after the last chunk. */
  sample(): KindSample;
}

const ENTRY = Buffer.from(DOCX_ENTRY);
const OTHER_ENTRIES = ARCHIVE_ENTRIES.map(([entry]) => ({ entry, bytes: Buffer.from(entry) }));
const LONGEST = Math.max(ENTRY.length, ...OTHER_ENTRIES.map((e) => e.bytes.length));

export function createKindSniffer(): KindSniffer {
  const head: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  let hasNul = false;
  let validUtf8 = true;
  let hasDocxEntry = false;
  const archiveEntries = new Set<string>();
  // The last bytes of the previous chunk, so an entry name split across two chunks is still found.
  let carry = Buffer.alloc(0);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    update(chunk) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      size += bytes.length;
      if (headBytes < SNIFF_HEAD_BYTES) {
        const part = bytes.subarray(0, SNIFF_HEAD_BYTES - headBytes);
        head.push(Buffer.from(part));
        headBytes += part.length;
      }
      if (!hasNul && bytes.includes(0)) hasNul = true;
      if (validUtf8) {
        try {
          decoder.decode(bytes, { stream: true });
        } catch {
          validUtf8 = false;
        }
      }
      if (!hasDocxEntry) {
        const window = Buffer.concat([carry, bytes]);
        hasDocxEntry = window.includes(ENTRY);
        for (const { entry, bytes: name } of OTHER_ENTRIES)
          if (window.includes(name)) archiveEntries.add(entry);
        carry = Buffer.from(window.subarray(Math.max(0, window.length - (LONGEST - 1))));
      }
    },
    sample() {
      if (validUtf8) {
        try {
          decoder.decode();
        } catch {
          // a multi-byte sequence cut off at the end of the file
          validUtf8 = false;
        }
      }
      return {
        head: new Uint8Array(Buffer.concat(head)),
        size,
        hasNul,
        validUtf8,
        hasDocxEntry,
        archiveEntries,
      };
    },
  };
}
