import { constants, crc32, deflateRawSync } from 'node:zlib';

/** A raw DEFLATE stream with its CRC-32 and inflated size, ready to be stored in a ZIP entry. */
export interface DeflatedData {
  compressed: Buffer;
  crc32: number;
  inflatedBytes: number;
}

/** One part of a stream: `data` repeated `times` times (default once). */
export interface RepeatedPart {
  data: Buffer | string;
  times?: number;
}

/**
 * Deflates `prefix + block x N + suffix` without ever holding the inflated bytes: each distinct part is
 * compressed once with a full flush (the compressor forgets its window, so the segment decodes on its own),
 * the segments are concatenated as often as their part repeats, and one empty final block ends the stream.
 * This is how a 2 GB decompression bomb fits in a test: 2 MB to build, 2 GB to inflate.
 */
export function deflateRepeated(parts: readonly RepeatedPart[]): DeflatedData {
  const segments: Buffer[] = [];
  let crc = 0;
  let inflatedBytes = 0;
  for (const part of parts) {
    const data = typeof part.data === 'string' ? Buffer.from(part.data) : part.data;
    const times = part.times ?? 1;
    const segment = deflateRawSync(data, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
    for (let i = 0; i < times; i++) {
      segments.push(segment);
      crc = crc32(data, crc);
    }
    inflatedBytes += data.length * times;
  }
  segments.push(deflateRawSync(Buffer.alloc(0)));
  return { compressed: Buffer.concat(segments), crc32: crc, inflatedBytes };
}
