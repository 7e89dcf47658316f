import { createHash } from 'node:crypto';
import { AegisError, isAegisError } from '@aegis/core';
import { defaultSandbox } from '../sandbox/default-sandbox.ts';
import type { SandboxPool } from '../sandbox/sandbox-pool.ts';
import type { ImageAnalysis } from './analyse-image.ts';
import { hammingDistance } from './hamming-distance.ts';

export interface ImageInput {
  id: string;
  /** Encoded bytes (PNG, JPEG, WebP, TIFF, GIF, AVIF). */
  data: Uint8Array;
  mimeType: string;
  /** `page-text` (a rendered page to transcribe): pages of one layout look alike, so no near-duplicate check. */
  purpose?: 'figure' | 'page-text' | undefined;
}

export type ImageSkipReason =
  | 'tiny'
  | 'near-uniform'
  | 'duplicate'
  | 'undecodable'
  | 'over-pixel-limit'
  /** Decoding went over the sandbox's memory limit. */
  | 'resource-limit';

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

interface KeptImage {
  id: string;
  hash: bigint;
}

/** Where and how images are decoded: the sandbox (default: the shared one) and a signal to stop. */
export interface ImagePreparerContext {
  /** The parsing sandbox the images are decoded in. Default: the shared sandbox. */
  sandbox?: SandboxPool | undefined;
  /** Stops the preparation (`CANCELLED`). */
  signal?: AbortSignal | undefined;
  /** Wall-clock limit of one image, ms. Default 30,000. */
  timeoutMs?: number | undefined;
}

/** Prepares one document's images one by one, remembering kept ones so later duplicates are found. */
export interface ImagePreparer {
  /**
   * Never rejects because of the image: a failure becomes an `undecodable`, `over-pixel-limit` or
   * `resource-limit` entry. Rejects only when the sandbox cannot run (`CANCELLED`, `SANDBOX_UNAVAILABLE`).
   */
  prepare(image: ImageInput): Promise<ImagePreparation>;
}

/**
 * Filters and prepares a document's images for the vision model, in input order, one image at a time so
 * memory stays bounded by one image. Every decode runs in the parsing sandbox (the images may be the
 * uploaded bytes themselves), with its memory and time limits.
 *
 * Rules, in order: not a raster image or not decodable -> `undecodable`; over `maxInputPixels` ->
 * `over-pixel-limit` (checked from the header, before decoding); a side under `minSide` or area under
 * `minArea` -> `tiny`; the same bytes as a kept image (sha256) or a picture within `duplicateDistance` bits of
 * one (dHash) -> `duplicate` with `duplicateOf` naming the first kept occurrence; every channel's standard
 * deviation under `uniformStdev` -> `near-uniform`; decoding over the sandbox's memory or time limits ->
 * `resource-limit`. Kept images are EXIF-rotated, shrunk so the longest side is at most `maxSide`, and
 * encoded as PNG when they have transparency or few colours, JPEG otherwise.
 *
 * Never rejects because of one image.
 *
 * @throws AegisError `CONFIG_INVALID` for out-of-range options.
 */
export async function prepareImages(
  images: ImageInput[],
  options: Partial<PrepareImagesOptions> & ImagePreparerContext = {},
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
export function createImagePreparer(
  options: Partial<PrepareImagesOptions> & ImagePreparerContext = {},
): ImagePreparer {
  const { sandbox, signal, timeoutMs, ...rules } = options;
  const resolved = resolvePrepareImagesOptions(rules);
  const keptBySha = new Map<string, string>();
  const kept: KeptImage[] = [];
  const analyse = async (data: Uint8Array, headerOnly: boolean): Promise<ImageAnalysis> => {
    try {
      return await (sandbox ?? defaultSandbox()).run(
        'prepare-image',
        { data, options: resolved, headerOnly },
        { stepTimeoutMs: timeoutMs ?? 30_000, signal },
      );
    } catch (error) {
      if (isAegisError(error, 'RESOURCE_LIMIT_EXCEEDED'))
        return { outcome: 'skip', reason: 'resource-limit' };
      if (isAegisError(error, 'PARSER_CRASHED') || isAegisError(error, 'EXTRACTION_TIMEOUT')) {
        return { outcome: 'skip', reason: 'undecodable' };
      }
      throw error;
    }
  };
  return {
    async prepare({ id, data, purpose }) {
      // Exact copies skip decoding: only the header checks run.
      const sha = createHash('sha256').update(data).digest('hex');
      const sameBytes = keptBySha.get(sha);
      const analysis = await analyse(data, sameBytes !== undefined);
      const size =
        analysis.width === undefined || analysis.height === undefined
          ? {}
          : { width: analysis.width, height: analysis.height };
      if (analysis.outcome === 'skip') return { id, status: 'skip', reason: analysis.reason, ...size };
      if (analysis.outcome === 'header' || sameBytes !== undefined) {
        return { id, status: 'skip', reason: 'duplicate', duplicateOf: sameBytes, ...size };
      }
      const { hash } = analysis;
      const similar =
        purpose === 'page-text'
          ? undefined
          : kept.find((k) => hammingDistance(k.hash, hash) <= resolved.duplicateDistance);
      if (similar !== undefined)
        return { id, status: 'skip', reason: 'duplicate', duplicateOf: similar.id, ...size };
      keptBySha.set(sha, id);
      kept.push({ id, hash });
      return { id, status: 'keep', prepared: analysis.prepared, ...size };
    },
  };
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
