import type { RawImage } from './dhash.ts';

/** Distinct colours tracked before an image is called photographic; beyond it counting stops. */
const MAX_TRACKED_COLOURS = 4096;
/** Pixels examined at most; larger images are sampled on a regular grid. */
const MAX_SAMPLES = 262_144;

export interface ColourProfile {
  /** Distinct colours among the sampled pixels, capped at 4,096 (+1 meaning "more"). */
  distinctColours: number;
  /** Share (0..1) of sampled pixels covered by the 32 most frequent colours. */
  top32Share: number;
}

/**
 * How "graphic" an image is: charts, diagrams and screenshots are a handful of flat colours plus
 * anti-aliasing, photos and scans thousands of colours. Decides PNG (lossless, small for flat colour) against
 * JPEG (small for photos) for the prepared image.
 */
export function colourProfile(image: RawImage): ColourProfile {
  const { data, width, height, channels } = image;
  const pixels = width * height;
  const step = Math.max(1, Math.floor(pixels / MAX_SAMPLES));
  const counts = new Map<number, number>();
  let sampled = 0;
  for (let p = 0; p < pixels; p += step) {
    const o = p * channels;
    // Alpha is ignored: a logo on transparency is still a few colours.
    const key =
      channels >= 3
        ? ((data[o] ?? 0) << 16) | ((data[o + 1] ?? 0) << 8) | (data[o + 2] ?? 0)
        : (data[o] ?? 0) * 0x010101;
    sampled++;
    const seen = counts.get(key);
    if (seen !== undefined) counts.set(key, seen + 1);
    // Past the cap new colours are only counted as sampled: each is rare, so the top-32 share stays right.
    else if (counts.size <= MAX_TRACKED_COLOURS) counts.set(key, 1);
  }
  const top = [...counts.values()].sort((a, b) => b - a).slice(0, 32);
  const covered = top.reduce((sum, n) => sum + n, 0);
  return { distinctColours: counts.size, top32Share: sampled === 0 ? 1 : covered / sampled };
}

/** Few colours: at most 256 (a palette holds them exactly), or 32 colours covering 90% of the picture. */
export function hasFewColours(profile: ColourProfile): boolean {
  return profile.distinctColours <= 256 || profile.top32Share >= 0.9;
}
