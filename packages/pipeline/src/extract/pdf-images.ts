import sharp from 'sharp';
import type { BoundingBox } from './extracted-document.ts';
import type { Rule } from './pdf-tables.ts';
import type { PdfjsModule, PdfPageProxy, PdfViewport } from './pdfjs.ts';

/** Six-number affine matrix [a, b, c, d, e, f] as used by PDF and pdf.js. */
type Matrix = [number, number, number, number, number, number];

/** An image draw found in the operator list, before decoding. */
export interface ImageDraw {
  /** pdf.js object id (`img_p0_1`, `g_d0_img1`) or the inline image data itself. */
  source: string | RawImage;
  mask: boolean;
  width: number;
  height: number;
  /** Box in top-left page coordinates, clamped to the page; undefined when the draw is entirely off the page. */
  bbox: BoundingBox | undefined;
}

/** Decoded image as pdf.js hands it over in Node (no OffscreenCanvas, so no ImageBitmap). */
export interface RawImage {
  width: number;
  height: number;
  /** pdf.js ImageKind: 1 = GRAYSCALE_1BPP, 2 = RGB_24BPP, 3 = RGBA_32BPP; absent for image masks (1 bit). */
  kind?: number;
  data?: Uint8Array | Uint8ClampedArray | string;
  bitmap?: unknown;
}

/** Result of decoding one draw: PNG bytes, or why there are none. */
export interface EncodedImage {
  data: Uint8Array | undefined;
  skipReason?: string;
}

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

function multiply(m: Matrix, n: readonly number[]): Matrix {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = n;
  return [
    a * m[0] + b * m[2],
    a * m[1] + b * m[3],
    c * m[0] + d * m[2],
    c * m[1] + d * m[3],
    e * m[0] + f * m[2] + m[4],
    e * m[1] + f * m[3] + m[5],
  ];
}

function apply(m: readonly number[], x: number, y: number): [number, number] {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = m;
  return [a * x + c * y + e, b * x + d * y + f];
}

/** Maps PDF's unit square through the CTM and the viewport, giving the drawn image's box in top-left space. */
function unitSquareBox(ctm: Matrix, viewport: PdfViewport): BoundingBox | undefined {
  const corners = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ].map(([x = 0, y = 0]) => {
    const [px, py] = apply(ctm, x, y);
    return apply(viewport.transform, px, py);
  });
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const x0 = Math.max(0, Math.min(...xs));
  const y0 = Math.max(0, Math.min(...ys));
  const x1 = Math.min(viewport.width, Math.max(...xs));
  const y1 = Math.min(viewport.height, Math.max(...ys));
  if (!(x1 > x0 && y1 > y0)) return undefined;
  return [x0, y0, x1, y1];
}

/**
 * Walks a page's operator list and returns every image draw in drawing order with its box. The current
 * transformation matrix is tracked through save/restore/transform and form XObjects, which push a state and
 * apply their own matrix. Annotations are left out: they are not page content.
 */
export async function findImageDraws(
  pdfjs: PdfjsModule,
  page: PdfPageProxy,
  viewport: PdfViewport,
  vectors?: { rules: Rule[]; paths: number },
): Promise<ImageDraw[]> {
  const { OPS, AnnotationMode } = pdfjs;
  const list = await page.getOperatorList({ annotationMode: AnnotationMode.DISABLE });
  const draws: ImageDraw[] = [];
  const stack: Matrix[] = [];
  let ctm: Matrix = IDENTITY;
  const add = (
    source: ImageDraw['source'],
    mask: boolean,
    width: number,
    height: number,
    m: Matrix,
  ): void => {
    draws.push({ source, mask, width, height, bbox: unitSquareBox(m, viewport) });
  };
  for (let i = 0; i < list.fnArray.length; i++) {
    const fn = list.fnArray[i];
    const args: unknown[] = list.argsArray[i] ?? [];
    switch (fn) {
      case OPS.save:
        stack.push(ctm);
        break;
      case OPS.restore:
        ctm = stack.pop() ?? IDENTITY;
        break;
      case OPS.transform:
        ctm = multiply(ctm, args as number[]);
        break;
      case OPS.paintFormXObjectBegin: {
        stack.push(ctm);
        const matrix = args[0];
        if (Array.isArray(matrix) && matrix.length === 6) ctm = multiply(ctm, matrix as number[]);
        break;
      }
      case OPS.paintFormXObjectEnd:
        ctm = stack.pop() ?? IDENTITY;
        break;
      case OPS.paintImageXObject: {
        const [id, width, height] = args as [string, number, number];
        add(id, false, width, height, ctm);
        break;
      }
      case OPS.paintInlineImageXObject: {
        const image = args[0] as RawImage;
        add(image, false, image.width, image.height, ctm);
        break;
      }
      case OPS.paintImageMaskXObject: {
        const image = args[0] as RawImage;
        add(typeof image.data === 'string' ? image.data : image, true, image.width, image.height, ctm);
        break;
      }
      case OPS.paintImageXObjectRepeat: {
        const [id, scaleX, scaleY, positions] = args as [string, number, number, number[]];
        for (let p = 0; p + 1 < positions.length; p += 2) {
          const m = multiply(ctm, [scaleX, 0, 0, scaleY, positions[p] ?? 0, positions[p + 1] ?? 0]);
          add(id, false, 0, 0, m);
        }
        break;
      }
      case OPS.constructPath:
        if (vectors !== undefined) {
          vectors.paths++;
          collectRules(pdfjs, args, ctm, viewport, vectors.rules);
        }
        break;
      default:
        // Mask groups (paintImageMaskXObjectGroup) are tiny stencil glyphs, not figures; everything else
        // does not place images.
        break;
    }
  }
  return draws;
}

/** Thinner than this (points) a stroke or a filled rectangle is a ruling line. */
const RULE_THICKNESS = 3;

/**
 * Straight horizontal and vertical segments of a path that is stroked, or thin filled rectangles: the ruling
 * lines of tables. pdf.js 5 hands a path as [paint op, [segments], bbox], segments encoded as DrawOPS codes
 * (0 moveTo x y, 1 lineTo x y, 2 curveTo 6 numbers, 3 quadraticCurveTo 4 numbers, 4 closePath).
 */
function collectRules(
  pdfjs: PdfjsModule,
  args: unknown[],
  ctm: Matrix,
  viewport: PdfViewport,
  rules: Rule[],
): void {
  const [paint, data] = args as [number, unknown[] | undefined];
  const path = data?.[0];
  if (!(path instanceof Float32Array || Array.isArray(path))) return;
  const stroked = paint === pdfjs.OPS.stroke || paint === pdfjs.OPS.closeStroke;
  const toPage = (x: number, y: number): [number, number] => {
    const [px, py] = apply(ctm, x, y);
    return apply(viewport.transform, px, py);
  };
  const points: Array<[number, number]> = [];
  const flush = (): void => {
    if (points.length >= 2) {
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      const box = { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
      const thin = box.x1 - box.x0 <= RULE_THICKNESS || box.y1 - box.y0 <= RULE_THICKNESS;
      if (stroked) {
        for (let k = 1; k < points.length; k++) {
          const [ax, ay] = points[k - 1] as [number, number];
          const [bx, by] = points[k] as [number, number];
          if (Math.abs(ay - by) < 0.5 || Math.abs(ax - bx) < 0.5) {
            rules.push({
              x0: Math.min(ax, bx),
              y0: Math.min(ay, by),
              x1: Math.max(ax, bx),
              y1: Math.max(ay, by),
            });
          }
        }
      } else if (thin) {
        rules.push(box);
      }
    }
    points.length = 0;
  };
  const n = path.length;
  for (let i = 0; i < n && rules.length < 10_000; ) {
    const op = path[i] as number;
    if (op === 0) {
      flush();
      points.push(toPage(path[i + 1] as number, path[i + 2] as number));
      i += 3;
    } else if (op === 1) {
      points.push(toPage(path[i + 1] as number, path[i + 2] as number));
      i += 3;
    } else if (op === 2) {
      flush();
      i += 7;
    } else if (op === 3) {
      flush();
      i += 5;
    } else {
      if (stroked && points.length > 2) points.push(points[0] as [number, number]);
      flush();
      i += 1;
    }
  }
  flush();
}

/** Resolves a pdf.js image object; page objects are `img_*`, document-wide ones start with `g_`. */
export function resolveImage(page: PdfPageProxy, id: string): Promise<RawImage | null> {
  const store = id.startsWith('g_') ? page.commonObjs : page.objs;
  // The callback form waits for the worker to deliver the object; the page timeout bounds the wait.
  return new Promise((resolve) =>
    store.get(id, (value: unknown) => resolve((value as RawImage | null) ?? null)),
  );
}

/**
 * Converts pdf.js pixel data to PNG with sharp. pdf.js already refused images over `maxImagePixels`; sharp's
 * `limitInputPixels` repeats the bound so a bad size field can never make sharp allocate more.
 */
export async function encodeRawImage(
  image: RawImage,
  mask: boolean,
  maxImagePixels: number,
): Promise<EncodedImage> {
  const { width, height } = image;
  if (!(width > 0 && height > 0)) return { data: undefined, skipReason: 'undecodable (no size)' };
  if (width * height > maxImagePixels) {
    return { data: undefined, skipReason: `over pixel limit (${width}x${height})` };
  }
  const data = image.data;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    return { data: undefined, skipReason: 'undecodable (no pixel data)' };
  }
  let pixels: Uint8Array;
  let channels: 1 | 3 | 4;
  if (mask || image.kind === 1) {
    pixels = unpackBits(data, width, height);
    channels = 1;
  } else if (image.kind === 2) {
    pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    channels = 3;
  } else if (image.kind === 3) {
    pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    channels = 4;
  } else {
    return { data: undefined, skipReason: `undecodable (pixel kind ${String(image.kind)})` };
  }
  if (pixels.length < width * height * channels) {
    return { data: undefined, skipReason: 'undecodable (truncated pixel data)' };
  }
  try {
    const png = await sharp(pixels, {
      raw: { width, height, channels },
      limitInputPixels: maxImagePixels,
    })
      .png()
      .toBuffer();
    // A copy owns a plain ArrayBuffer, which can be transferred to the main thread (sharp's cannot).
    return { data: new Uint8Array(png) };
  } catch (error) {
    return { data: undefined, skipReason: `undecodable (${(error as Error).message})` };
  }
}

/**
 * Expands 1-bit rows (padded to whole bytes) to 8-bit grey. For both 1-bpp images and stencil masks pdf.js
 * has already applied /Decode, so a set bit is white (mask: not painted) and a clear bit black.
 */
function unpackBits(data: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  const rowBytes = Math.ceil(width / 8);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = data[y * rowBytes + (x >> 3)] ?? 0;
      out[y * width + x] = byte & (0x80 >> (x & 7)) ? 255 : 0;
    }
  }
  return out;
}
