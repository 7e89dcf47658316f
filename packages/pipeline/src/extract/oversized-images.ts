/** An image XObject whose declared size is over the pixel limit. */
export interface OversizedImage {
  objectNumber: number;
  width: number;
  height: number;
}

const MAX_REPORTED = 50;

/**
 * pdf.js silently drops images over `maxImageSize`, so their absence would go unnoticed. Image XObjects are
 * streams, and stream dictionaries always sit in the file as plain text (never inside object streams), so a
 * byte scan for `/Subtype /Image` dictionaries finds their declared /Width and /Height without decoding.
 * Sizes given by indirect reference are not resolved; they are rare and then only the warning is lost.
 */
export function findOversizedImages(data: Uint8Array, maxPixels: number): OversizedImage[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const found: OversizedImage[] = [];
  const seen = new Set<number>();
  let at = buf.indexOf('/Image');
  while (at !== -1 && found.length < MAX_REPORTED) {
    const start = Math.max(0, at - 1024);
    const window = buf.toString('latin1', start, Math.min(buf.length, at + 1024));
    const local = at - start;
    const objStart = window.lastIndexOf(' obj', local);
    const streamAt = window.indexOf('stream', local);
    if (
      objStart !== -1 &&
      streamAt !== -1 &&
      /\/Subtype\s*\/Image\b/.test(window.slice(objStart, streamAt))
    ) {
      const dict = window.slice(objStart, streamAt);
      const width = Number(dict.match(/\/(?:Width|W)\s+(\d+)(?!\s+\d+\s+R)/)?.[1]);
      const height = Number(dict.match(/\/(?:Height|H)\s+(\d+)(?!\s+\d+\s+R)/)?.[1]);
      const objectNumber = Number(window.slice(0, objStart).match(/(\d+)\s+\d+$/)?.[1] ?? -1);
      if (width > 0 && height > 0 && width * height > maxPixels && !seen.has(objectNumber)) {
        seen.add(objectNumber);
        found.push({ objectNumber, width, height });
      }
    }
    at = buf.indexOf('/Image', at + 6);
  }
  return found;
}
