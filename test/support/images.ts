import sharp from 'sharp';

/** A small solid-colour PNG made on the fly (tests never ship binary fixtures). */
export async function solidPng(
  width = 64,
  height = 48,
  colour = { r: 200, g: 30, b: 30 },
): Promise<Uint8Array> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}
