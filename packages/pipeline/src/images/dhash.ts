import sharp from 'sharp';

/** Raw 8-bit pixels as sharp describes them (`raw()` output or input). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * 64-bit difference hash: the image flattened onto white, greyscaled and squeezed to 9x8, then one bit per
 * horizontally adjacent pair (1 when the left pixel is brighter). Robust to scaling, re-encoding and small
 * colour shifts, so a figure embedded twice at different sizes hashes within a few bits of itself.
 */
export async function differenceHash(image: RawImage): Promise<bigint> {
  const { width, height, channels } = image;
  const grey = await sharp(image.data, { raw: { width, height, channels } })
    .flatten({ background: '#ffffff' })
    .greyscale()
    .resize(9, 8, { fit: 'fill' })
    .raw({ depth: 'uchar' })
    .toBuffer();
  // greyscale() of flattened input yields one channel; stride by the actual size in case sharp kept more.
  const stride = grey.length / 72;
  let hash = 0n;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const left = grey[(y * 9 + x) * stride] ?? 0;
      const right = grey[(y * 9 + x + 1) * stride] ?? 0;
      hash = (hash << 1n) | (left > right ? 1n : 0n);
    }
  }
  return hash;
}
