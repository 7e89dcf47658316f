import sharp from 'sharp';
import { SimHttpError } from './sim-http-error.ts';

function hex(value: number): string {
  return Math.round(value).toString(16).padStart(2, '0');
}

/**
 * Decodes a base64 image with sharp and describes it deterministically:
 * `An image of WxH pixels; dominant colour #rrggbb.` Undecodable data is a 400.
 */
export async function describeImage(base64: string): Promise<string> {
  const bytes = Buffer.from(base64, 'base64');
  try {
    const image = sharp(bytes);
    const [metadata, stats] = await Promise.all([image.metadata(), image.stats()]);
    const { r, g, b } = stats.dominant;
    return `An image of ${metadata.width}x${metadata.height} pixels; dominant colour #${hex(r)}${hex(g)}${hex(b)}.`;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SimHttpError(400, `invalid image data: ${reason}`, 'invalid_image');
  }
}
