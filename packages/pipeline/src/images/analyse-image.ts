// Runs INSIDE a sandbox process (the `prepare-image` operation): it decodes untrusted image bytes.
import sharp from 'sharp';
import { colourProfile, hasFewColours } from './colour-profile.ts';
import { differenceHash, type RawImage } from './dhash.ts';
import type { PreparedImage, PrepareImagesOptions } from './prepare-images.ts';

/** What the `prepare-image` operation receives. */
export interface ImageAnalysisRequest {
  data: Uint8Array;
  options: PrepareImagesOptions;
  /** Check the header only (the bytes equal a kept image's, so decoding would be wasted). */
  headerOnly: boolean;
}

/** The verdict on one image before duplicates are judged (which needs the document's other images). */
export type ImageAnalysis =
  | {
      outcome: 'skip';
      reason: 'undecodable' | 'over-pixel-limit' | 'tiny' | 'near-uniform' | 'resource-limit';
      width?: number | undefined;
      height?: number | undefined;
    }
  /** Passed the header checks; not decoded (`headerOnly`). */
  | { outcome: 'header'; width: number; height: number }
  | { outcome: 'decoded'; width: number; height: number; hash: bigint; prepared: PreparedImage };

/** Raster formats accepted; SVG and PDF would be rendered, which is work and attack surface we do not need. */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif', 'heif']);

/**
 * The decoding half of image preparation (the rules are on `prepareImages`): header checks, one decode
 * shrunk to the output size, blank detection, the difference hash and the encoded output. Never throws
 * because of the image: corrupt data is `undecodable`, and sharp's own pixel guard `over-pixel-limit`.
 */
export async function analyseImage(request: ImageAnalysisRequest): Promise<ImageAnalysis> {
  try {
    return await analyse(request);
  } catch (error) {
    // Corrupt or truncated data fails inside libvips; the cause is not actionable beyond this reason.
    // sharp's own pixel-limit guard can still fire for formats whose header under-reports the size.
    const overLimit = error instanceof Error && /pixel limit/i.test(error.message);
    return { outcome: 'skip', reason: overLimit ? 'over-pixel-limit' : 'undecodable' };
  }
}

async function analyse({ data, options, headerOnly }: ImageAnalysisRequest): Promise<ImageAnalysis> {
  const input = { limitInputPixels: options.maxInputPixels, failOn: 'error' as const };
  // Header only, no pixels decoded: read without the limit so an oversized image still reports its size.
  const meta = await sharp(data, { limitInputPixels: false }).metadata();
  if (meta.format === undefined || !RASTER_FORMATS.has(meta.format))
    return { outcome: 'skip', reason: 'undecodable' };
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (width === undefined || height === undefined || width < 1 || height < 1) {
    return { outcome: 'skip', reason: 'undecodable' };
  }
  const size = { width, height };
  if (width * height > options.maxInputPixels)
    return { outcome: 'skip', reason: 'over-pixel-limit', ...size };
  if (width < options.minSide || height < options.minSide || width * height < options.minArea) {
    return { outcome: 'skip', reason: 'tiny', ...size };
  }
  if (headerOnly) return { outcome: 'header', ...size };

  // Decode once, already shrunk to the output size: stats, hash and encoding all work on this buffer, so a
  // 40 MP photo costs one decode (with JPEG shrink-on-load) and at most 1536 x 1536 x 4 bytes held.
  const decoded = await sharp(data, input)
    .autoOrient()
    .resize({ width: options.maxSide, height: options.maxSide, fit: 'inside', withoutEnlargement: true })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const raw: RawImage = {
    data: decoded.data,
    width: decoded.info.width,
    height: decoded.info.height,
    channels: decoded.info.channels,
  };
  const rawInput = { raw: { width: raw.width, height: raw.height, channels: raw.channels } };

  const stats = await sharp(raw.data, rawInput).stats();
  if (stats.channels.every((channel) => channel.stdev < options.uniformStdev)) {
    return { outcome: 'skip', reason: 'near-uniform', ...size };
  }
  const hash = await differenceHash(raw);
  const hasAlpha = (raw.channels === 2 || raw.channels === 4) && !stats.isOpaque;
  const encoder = sharp(raw.data, rawInput);
  let prepared: PreparedImage;
  if (hasAlpha || hasFewColours(colourProfile(raw))) {
    const png = await encoder.png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
    prepared = { data: png, mimeType: 'image/png', width: raw.width, height: raw.height };
  } else {
    // An alpha channel that is fully opaque carries nothing; JPEG cannot hold it anyway.
    const jpeg = await encoder.removeAlpha().jpeg({ quality: options.jpegQuality }).toBuffer();
    prepared = { data: jpeg, mimeType: 'image/jpeg', width: raw.width, height: raw.height };
  }
  return { outcome: 'decoded', ...size, hash, prepared };
}
