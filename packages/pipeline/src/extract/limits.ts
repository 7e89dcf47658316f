import type { ExtractionLimits } from './extracted-document.ts';

/** Defaults from the {@link ExtractionLimits} contract: 40 Mpx images, 30 s per page, 64 images per page. */
export const DEFAULT_EXTRACTION_LIMITS: Readonly<ExtractionLimits> = Object.freeze({
  maxImagePixels: 40_000_000,
  pageTimeoutMs: 30_000,
  maxImagesPerPage: 64,
});

/** Fills unset limits with the defaults; non-positive or non-finite values fall back too. */
export function resolveLimits(limits: Partial<ExtractionLimits> | undefined): ExtractionLimits {
  const pick = (value: number | undefined, fallback: number): number =>
    value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
  return {
    maxImagePixels: Math.floor(pick(limits?.maxImagePixels, DEFAULT_EXTRACTION_LIMITS.maxImagePixels)),
    pageTimeoutMs: pick(limits?.pageTimeoutMs, DEFAULT_EXTRACTION_LIMITS.pageTimeoutMs),
    maxImagesPerPage: Math.floor(pick(limits?.maxImagesPerPage, DEFAULT_EXTRACTION_LIMITS.maxImagesPerPage)),
  };
}
