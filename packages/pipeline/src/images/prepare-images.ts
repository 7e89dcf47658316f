import { createHash } from 'node:crypto';
import { AegisError } from '@aegis/core';
import sharp from 'sharp';
import { colourProfile, hasFewColours } from './colour-profile.ts';
import { differenceHash, hammingDistance, type RawImage } from './dhash.ts';

export interface ImageInput {
  id: string;
  /** Encoded bytes (PNG, JPEG, WebP, TIFF, GIF, AVIF). */
  data: Uint8Array;
  mimeType: string;
}

export type ImageSkipReason = 'tiny' | 'near-uniform' | 'duplicate' | 'undecodable' | 'over-pixel-limit';

export interface PreparedImage {
  /** PNG or JPEG bytes, EXIF orientation applied, longest side <= `maxSide`. */
  data: Uint8Array;
  mimeType: 'image/png' | 'image/jpeg';
  /** Pixel size of `data`. */
  width: number;
  height: number;
}

export interface ImagePreparation {
  id: string;
  status: 'keep' | 'skip';
  /** Set when `status` is `skip`. */
  reason?: ImageSkipReason;
  /** For `duplicate`: the id of the first kept image this one repeats. */
  duplicateOf?: string;
  /** Set when `status` is `keep`. */
  prepared?: PreparedImage;
  /** Pixel size of the original image after EXIF orientation; absent when it could not be read. */
  width?: number;
  height?: number;
}

export interface PrepareImagesOptions {
  /** Largest image (width x height, pixels) decoded; bigger ones are skipped unread. Default 40,000,000. */
  maxInputPixels: number;
  /** Images with a side below this many pixels are icons, bullets or rules: skipped. Default 32. */
  minSide: number;
  /** Images with fewer pixels than this (width x height) are skipped as tiny. Default 4,096. */
  minArea: number;
  /** An image whose every channel has a standard deviation below this (0..255 scale) is blank. Default 4. */
  uniformStdev: number;
  /** dHash Hamming distance (bits of 64) at or below which two images are the same picture. Default 4. */
  duplicateDistance: number;
  /** Longest side of a prepared image, pixels; smaller images are never enlarged. Default 1,536. */
  maxSide: number;
  /** JPEG quality (1..100) for photographic images. Default 85. */
  jpegQuality: number;
}

export const DEFAULT_PREPARE_IMAGES_OPTIONS: Readonly<PrepareImagesOptions> = Object.freeze({
  maxInputPixels: 40_000_000,
  minSide: 32,
  minArea: 4096,
  uniformStdev: 4,
  duplicateDistance: 4,
  maxSide: 1536,
  jpegQuality: 85,
});

/** Raster formats accepted; SVG and PDF would be rendered, which is work and attack surface we do not need. */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif', 'heif']);

interface KeptImage {
  id: string;
  hash: bigint;
}

/** Prepares one document's images one by one, remembering kept ones so later duplicates are found. */
export interface ImagePreparer {
  /** Never rejects because of the image: a failure becomes an `undecodable` (or `over-pixel-limit`) entry. */
  prepare(image: ImageInput): Promise<ImagePreparation>;
}

/**
 * Filters and prepares a document's images for the vision model, in input order, one image at a time so
 * memory stays bounded by one image (sharp's thread pool is process-wide and left alone).
 *
 * Rules, in order: not a raster image or not decodable -> `undecodable`; over `maxInputPixels` ->
 * `over-pixel-limit` (checked from the header, before decoding); a side under `minSide` or area under
 * `minArea` -> `tiny`; the same bytes as a kept image (sha256) or a picture within `duplicateDistance` bits of
 * one (dHash) -> `duplicate` with `duplicateOf` naming the first kept occurrence; every channel's standard
 * deviation under `uniformStdev` -> `near-uniform`. Kept images are EXIF-rotated, shrunk so the longest side is
 * at most `maxSide`, and encoded as PNG when they have transparency or few colours, JPEG otherwise.
 *
 * Never rejects because of one image.
 *
 * @throws AegisError `CONFIG_INVALID` for out-of-range options.
 */
export async function prepareImages(
  images: ImageInput[],
  options: Partial<PrepareImagesOptions> = {},
): Promise<ImagePreparation[]> {
  const preparer = createImagePreparer(options);
  const results: ImagePreparation[] = [];
  for (const image of images) results.push(await preparer.prepare(image));
  return results;
}

/**
 * The streaming form of {@link prepareImages}: the caller can load each image's bytes just before preparing
 * it, so a document with hundreds of images never holds more than one in memory. Same rules, same results.
 *
 * @throws AegisError `CONFIG_INVALID` for out-of-range options.
 */
export function createImagePreparer(options: Partial<PrepareImagesOptions> = {}): ImagePreparer {
  const resolved = resolvePrepareImagesOptions(options);
  const keptBySha = new Map<string, string>();
  const kept: KeptImage[] = [];
  return {
    async prepare(image) {
      try {
        return await prepareOne(image, resolved, keptBySha, kept);
      } catch (error) {
        // Corrupt or truncated data fails inside libvips; the cause is not actionable beyond this reason.
        // sharp's own pixel-limit guard can still fire for formats whose header under-reports the size.
        const overLimit = error instanceof Error && /pixel limit/i.test(error.message);
        return { id: image.id, status: 'skip', reason: overLimit ? 'over-pixel-limit' : 'undecodable' };
      }
    },
  };
}

async function prepareOne(
  image: ImageInput,
  options: PrepareImagesOptions,
  keptBySha: Map<string, string>,
  kept: KeptImage[],
): Promise<ImagePreparation> {
  const { id } = image;
  const input = { limitInputPixels: options.maxInputPixels, failOn: 'error' as const };
  // Header only, no pixels decoded: read without the limit so an oversized image still reports its size.
  const meta = await sharp(image.data, { limitInputPixels: false }).metadata();
  if (meta.format === undefined || !RASTER_FORMATS.has(meta.format)) {
    return { id, status: 'skip', reason: 'undecodable' };
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (width === undefined || height === undefined || width < 1 || height < 1) {
    return { id, status: 'skip', reason: 'undecodable' };
  }
  const size = { width, height };
  if (width * height > options.maxInputPixels)
    return { id, status: 'skip', reason: 'over-pixel-limit', ...size };
  if (width < options.minSide || height < options.minSide || width * height < options.minArea) {
    return { id, status: 'skip', reason: 'tiny', ...size };
  }

  // Exact copies skip decoding entirely.
  const sha = createHash('sha256').update(image.data).digest('hex');
  const sameBytes = keptBySha.get(sha);
  if (sameBytes !== undefined)
    return { id, status: 'skip', reason: 'duplicate', duplicateOf: sameBytes, ...size };

  // Decode once, already shrunk to the output size: stats, hash and encoding all work on this buffer, so a
  // 40 MP photo costs one decode (with JPEG shrink-on-load) and at most 1536 x 1536 x 4 bytes held.
  const { data, info } = await sharp(image.data, input)
    .autoOrient()
    .resize({ width: options.maxSide, height: options.maxSide, fit: 'inside', withoutEnlargement: true })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const raw: RawImage = { data, width: info.width, height: info.height, channels: info.channels };
  const rawInput = { raw: { width: raw.width, height: raw.height, channels: raw.channels } };

  const stats = await sharp(raw.data, rawInput).stats();
  if (stats.channels.every((channel) => channel.stdev < options.uniformStdev)) {
    return { id, status: 'skip', reason: 'near-uniform', ...size };
  }

  const hash = await differenceHash(raw);
  const similar = kept.find((k) => hammingDistance(k.hash, hash) <= options.duplicateDistance);
  if (similar !== undefined)
    return { id, status: 'skip', reason: 'duplicate', duplicateOf: similar.id, ...size };

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

  keptBySha.set(sha, id);
  kept.push({ id, hash });
  return { id, status: 'keep', prepared, ...size };
}

/** Fills in defaults and rejects values no image could satisfy. */
export function resolvePrepareImagesOptions(options: Partial<PrepareImagesOptions>): PrepareImagesOptions {
  const resolved: PrepareImagesOptions = { ...DEFAULT_PREPARE_IMAGES_OPTIONS };
  for (const [key, value] of Object.entries(options) as Array<
    [keyof PrepareImagesOptions, number | undefined]
  >) {
    if (value !== undefined) resolved[key] = value;
  }
  const valid =
    resolved.maxInputPixels >= 1 &&
    resolved.minSide >= 0 &&
    resolved.minArea >= 0 &&
    resolved.uniformStdev >= 0 &&
    Number.isInteger(resolved.duplicateDistance) &&
    resolved.duplicateDistance >= -1 &&
    resolved.duplicateDistance <= 64 &&
    Number.isInteger(resolved.maxSide) &&
    resolved.maxSide >= 1 &&
    Number.isInteger(resolved.jpegQuality) &&
    resolved.jpegQuality >= 1 &&
    resolved.jpegQuality <= 100;
  if (!valid) {
    throw new AegisError(
      'CONFIG_INVALID',
      'image preparation options are out of range; fix the image settings',
      {
        details: { ...resolved },
      },
    );
  }
  return resolved;
}
