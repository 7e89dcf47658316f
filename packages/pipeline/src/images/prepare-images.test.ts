import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { differenceHash } from './dhash.ts';
import { hammingDistance } from './hamming-distance.ts';
import { createImagePreparer, type ImagePreparation, prepareImages } from './prepare-images.ts';

type Channels = 3 | 4;

/** Encodes raw pixels produced by `pixel(x, y)` as PNG. */
async function rawPng(
  width: number,
  height: number,
  channels: Channels,
  pixel: (x: number, y: number) => number[],
) {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * channels);
  }
  return sharp(data, { raw: { width, height, channels } }).png().toBuffer();
}

function noise(seed: number): (x: number, y: number) => number[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  return () => [next(), next(), next()];
}

/** A figure with large shapes: survives rescaling and JPEG, unlike noise. */
function figureSvg(width: number, height: number, variant: 'circles' | 'bars'): Buffer {
  const shapes =
    variant === 'circles'
      ? `<circle cx="${width * 0.3}" cy="${height * 0.4}" r="${height * 0.25}" fill="#d33"/>
         <circle cx="${width * 0.7}" cy="${height * 0.6}" r="${height * 0.3}" fill="#36c"/>`
      : `<rect x="${width * 0.1}" y="${height * 0.5}" width="${width * 0.15}" height="${height * 0.45}" fill="#393"/>
         <rect x="${width * 0.4}" y="${height * 0.2}" width="${width * 0.15}" height="${height * 0.75}" fill="#393"/>
         <rect x="${width * 0.7}" y="${height * 0.65}" width="${width * 0.15}" height="${height * 0.3}" fill="#393"/>`;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
       <rect width="100%" height="100%" fill="#ffffff"/>${shapes}</svg>`,
  );
}

const fixtures: Record<string, Uint8Array> = {};

beforeAll(async () => {
  fixtures.solid = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#cc2200' } })
    .png()
    .toBuffer();
  fixtures.gradient = await rawPng(400, 300, 3, (x, y) => [(x * 255) / 399, (y * 255) / 299, 128]);
  fixtures.noise = await rawPng(320, 240, 3, noise(7));
  fixtures.tiny = await rawPng(16, 16, 3, noise(1));
  fixtures.thin = await rawPng(600, 20, 3, noise(2));
  fixtures.smallArea = await rawPng(60, 60, 3, noise(3));
  fixtures.circles = await sharp(figureSvg(800, 600, 'circles'))
    .png()
    .toBuffer();
  fixtures.circlesScaled = await sharp(fixtures.circles).resize(400, 300).jpeg({ quality: 70 }).toBuffer();
  fixtures.bars = await sharp(figureSvg(800, 600, 'bars'))
    .png()
    .toBuffer();
  fixtures.wide = await rawPng(3000, 1000, 3, (x, y) => [x % 256, y % 256, (x * y) % 256]);
  fixtures.translucent = await rawPng(300, 200, 4, (x, y) => [
    x % 256,
    y % 256,
    (x + y) % 256,
    (x * 255) / 299,
  ]);
  fixtures.rotated = await sharp(await rawPng(200, 100, 3, (x, y) => [x, y * 2, 90]))
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  fixtures.corrupt = Buffer.concat([
    fixtures.noise.subarray(0, 60),
    Buffer.from('definitely not the rest of a png'),
  ]);
});

function input(name: string, id = name) {
  const data = fixtures[name];
  if (data === undefined) throw new Error(`no fixture ${name}`);
  return { id, data, mimeType: 'image/png' };
}

async function prepareOne(name: string, options = {}): Promise<ImagePreparation> {
  const [result] = await prepareImages([input(name)], options);
  if (result === undefined) throw new Error('no result');
  return result;
}

describe('prepareImages', () => {
  it('skips tiny images: a small side or a small area', async () => {
    const results = await prepareImages([input('tiny'), input('thin'), input('smallArea')]);
    expect(results.map((r) => [r.id, r.status, r.reason])).toEqual([
      ['tiny', 'skip', 'tiny'],
      ['thin', 'skip', 'tiny'],
      ['smallArea', 'skip', 'tiny'],
    ]);
    expect(results[1]).toMatchObject({ width: 600, height: 20 });
  });

  it('skips near-uniform images', async () => {
    expect(await prepareOne('solid')).toEqual({
      id: 'solid',
      status: 'skip',
      reason: 'near-uniform',
      width: 200,
      height: 200,
    });
  });

  it('keeps photographic images as JPEG and flat-colour figures as PNG', async () => {
    const [noisy, gradient, bars] = await prepareImages([input('noise'), input('gradient'), input('bars')]);
    expect(noisy).toMatchObject({
      status: 'keep',
      prepared: { mimeType: 'image/jpeg', width: 320, height: 240 },
    });
    expect(gradient?.prepared?.mimeType).toBe('image/jpeg');
    expect(bars).toMatchObject({
      status: 'keep',
      prepared: { mimeType: 'image/png', width: 800, height: 600 },
    });
    const decoded = await sharp(noisy?.prepared?.data).metadata();
    expect(decoded.format).toBe('jpeg');
  });

  it('keeps transparency as PNG', async () => {
    const result = await prepareOne('translucent');
    expect(result.prepared?.mimeType).toBe('image/png');
    expect((await sharp(result.prepared?.data).metadata()).hasAlpha).toBe(true);
  });

  it('shrinks the longest side to maxSide without enlarging small images', async () => {
    const [wide, small] = await prepareImages([input('wide'), input('noise')]);
    expect(wide).toMatchObject({ width: 3000, height: 1000, prepared: { width: 1536, height: 512 } });
    expect(small?.prepared).toMatchObject({ width: 320, height: 240 });
    const custom = await prepareOne('wide', { maxSide: 300 });
    expect(custom.prepared).toMatchObject({ width: 300, height: 100 });
  });

  it('applies EXIF orientation', async () => {
    const result = await prepareOne('rotated');
    expect(result).toMatchObject({
      status: 'keep',
      width: 100,
      height: 200,
      prepared: { width: 100, height: 200 },
    });
    expect((await sharp(result.prepared?.data).metadata()).orientation ?? 1).toBe(1);
  });

  it('marks exact and perceptual duplicates, pointing at the first kept occurrence', async () => {
    const results = await prepareImages([
      input('solid', 'blank'),
      input('circles', 'first'),
      input('bars', 'other-figure'),
      input('circlesScaled', 'scaled-copy'),
      input('circles', 'same-bytes'),
    ]);
    expect(results.map((r) => [r.id, r.status, r.reason, r.duplicateOf])).toEqual([
      ['blank', 'skip', 'near-uniform', undefined],
      ['first', 'keep', undefined, undefined],
      ['other-figure', 'keep', undefined, undefined],
      ['scaled-copy', 'skip', 'duplicate', 'first'],
      ['same-bytes', 'skip', 'duplicate', 'first'],
    ]);
  });

  it('reports undecodable and over-limit images without failing the batch', async () => {
    const svg = { id: 'svg', data: figureSvg(200, 200, 'bars'), mimeType: 'image/svg+xml' };
    const empty = { id: 'empty', data: new Uint8Array(), mimeType: 'image/png' };
    const results = await prepareImages([input('corrupt'), svg, empty, input('noise')]);
    expect(results.map((r) => [r.id, r.status, r.reason])).toEqual([
      ['corrupt', 'skip', 'undecodable'],
      ['svg', 'skip', 'undecodable'],
      ['empty', 'skip', 'undecodable'],
      ['noise', 'keep', undefined],
    ]);
    expect(await prepareOne('gradient', { maxInputPixels: 100_000 })).toMatchObject({
      status: 'skip',
      reason: 'over-pixel-limit',
      width: 400,
      height: 300,
    });
  });

  it('gives the same results one image at a time through createImagePreparer', async () => {
    const inputs = [
      input('circles', 'a'),
      input('corrupt', 'b'),
      input('circlesScaled', 'c'),
      input('noise', 'd'),
    ];
    const preparer = createImagePreparer();
    const streamed: ImagePreparation[] = [];
    for (const image of inputs) streamed.push(await preparer.prepare(image));
    expect(streamed).toEqual(await prepareImages(inputs));
    expect(streamed.map((r) => r.reason)).toEqual([undefined, 'undecodable', 'duplicate', undefined]);
  });

  it('rejects impossible options with CONFIG_INVALID', async () => {
    await expect(prepareImages([], { jpegQuality: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(prepareImages([], { maxSide: Number.NaN })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('differenceHash', () => {
  it('is close for a rescaled copy and far for a different figure', async () => {
    const hashOf = async (data: Uint8Array) => {
      const { data: raw, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
      return differenceHash({ data: raw, width: info.width, height: info.height, channels: info.channels });
    };
    const circles = await hashOf(fixtures.circles as Uint8Array);
    expect(hammingDistance(circles, await hashOf(fixtures.circlesScaled as Uint8Array))).toBeLessThanOrEqual(
      4,
    );
    expect(hammingDistance(circles, await hashOf(fixtures.bars as Uint8Array))).toBeGreaterThan(10);
  });

  it('counts differing bits', () => {
    expect(hammingDistance(0n, 0n)).toBe(0);
    expect(hammingDistance(0b1011n, 0b0001n)).toBe(2);
    expect(hammingDistance(BigInt.asUintN(64, -1n), 0n)).toBe(64);
  });
});
