import { AegisError } from '@aegis/core';
import sharp from 'sharp';
import type { ImageFormat } from './detect-kind.ts';
import type { ExtractedDocument } from './extracted-document.ts';

const MIME: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  tiff: 'image/tiff',
};

/**
 * A standalone image becomes one page of its pixel size holding one image and no paragraphs (the vision
 * stage describes it). PNG, JPEG and WebP keep their original bytes; TIFF (first page only) is converted to
 * PNG because vision models rarely accept it. sharp reads the header first and refuses images over the pixel
 * limit before decoding them.
 *
 * @throws AegisError `IMAGE_INVALID` for unreadable images, `RESOURCE_LIMIT_EXCEEDED` for images over
 *   `maxImagePixels` (refused from the header, before any pixel is decoded).
 */
export async function extractImage(
  data: Uint8Array,
  format: ImageFormat,
  maxImagePixels: number,
): Promise<ExtractedDocument> {
  let width: number;
  let height: number;
  let bytes: Uint8Array = data;
  let mimeType = MIME[format];
  try {
    const image = sharp(data, { limitInputPixels: maxImagePixels });
    const meta = await image.metadata();
    width = meta.width ?? 0;
    height = meta.height ?? 0;
    if (!(width > 0 && height > 0)) throw new Error('no image size');
    if (width * height > maxImagePixels) {
      throw new AegisError(
        'RESOURCE_LIMIT_EXCEEDED',
        `The image is ${width}x${height} pixels, over the limit of ${maxImagePixels} pixels. Downscale it and upload again.`,
        { details: { width, height, maxImagePixels } },
      );
    }
    // Decoding fully proves the image is not truncated or corrupt, which the header alone cannot.
    const decoded = format === 'tiff' ? await image.png().toBuffer() : await image.raw().toBuffer();
    if (format === 'tiff') {
      bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
      mimeType = 'image/png';
    }
  } catch (error) {
    if (error instanceof AegisError) throw error;
    // sharp refuses from the header when a format declares more pixels than the limit.
    if (/pixel limit/i.test((error as Error).message)) {
      throw new AegisError(
        'RESOURCE_LIMIT_EXCEEDED',
        `The ${format.toUpperCase()} image declares more than ${maxImagePixels} pixels; it was not decoded. Downscale it and upload again.`,
        { cause: error, details: { maxImagePixels } },
      );
    }
    throw new AegisError(
      'IMAGE_INVALID',
      `The ${format.toUpperCase()} image could not be decoded (${(error as Error).message}).`,
      { cause: error },
    );
  }
  return {
    kind: 'image',
    title: undefined,
    pageCount: 1,
    pages: [
      {
        pageNumber: 1,
        width,
        height,
        paragraphs: [],
        images: [
          { index: 0, bbox: [0, 0, width, height], width, height, data: bytes, mimeType, afterParagraph: 0 },
        ],
      },
    ],
    outline: [],
    warnings: [],
  };
}
