import { deflateSync } from 'node:zlib';
import { type DeflatedData, deflateRepeated } from './deflate-repeat.ts';

const MIB = 1024 * 1024;

/** A PDF object's body: a dictionary, or a stream with its dictionary entries (Length is added). */
type PdfObject = string | { dict: string; stream: Buffer };

/**
 * A PDF written by hand (offsets computed), page 1 drawing `content` with Helvetica as /F1 and any extra
 * objects (numbered from 6) as resources `extraResources`.
 */
export function buildPdf(options: {
  content: PdfObject;
  extraObjects?: readonly PdfObject[];
  extraResources?: string;
}): Buffer {
  const objects: PdfObject[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> ${options.extraResources ?? ''} >> >>`,
    options.content,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ...(options.extraObjects ?? []),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0]?.length ?? 0;
  const offsets: number[] = [];
  const push = (buffer: Buffer): void => {
    parts.push(buffer);
    length += buffer.length;
  };
  objects.forEach((object, i) => {
    offsets.push(length);
    if (typeof object === 'string') {
      push(Buffer.from(`${i + 1} 0 obj\n${object}\nendobj\n`, 'latin1'));
    } else {
      push(
        Buffer.from(
          `${i + 1} 0 obj\n<< ${object.dict} /Length ${object.stream.length} >>\nstream\n`,
          'latin1',
        ),
      );
      push(object.stream);
      push(Buffer.from('\nendstream\nendobj\n', 'latin1'));
    }
  });
  const xref = length;
  let trailer = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) trailer += `${String(offset).padStart(10, '0')} 00000 n \n`;
  trailer += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  push(Buffer.from(trailer, 'latin1'));
  return Buffer.concat(parts);
}

/** zlib framing (header + adler-32) around a raw deflate stream, for /FlateDecode. */
function zlibFramed(data: DeflatedData, adler: number): Buffer {
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), data.compressed, trailer]);
}

/** Adler-32 of `data` repeated `times` times, by doubling (zlib's adler32_combine), without the bytes. */
export function adler32Repeated(data: Buffer, times: number): number {
  const BASE = 65521;
  const single = (): number => {
    let a = 1;
    let b = 0;
    for (const byte of data) {
      a = (a + byte) % BASE;
      b = (b + a) % BASE;
    }
    return ((b << 16) | a) >>> 0;
  };
  const one = single();
  let result = 1;
  let resultLength = 0;
  let power = one;
  let powerLength = data.length;
  for (let n = times; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) {
      result = resultLength === 0 ? power : adler32Combine(result, power, powerLength);
      resultLength += powerLength;
    }
    power = adler32Combine(power, power, powerLength);
    powerLength *= 2;
  }
  return result;
}

/** /FlateDecode bytes of `prefix + block x times + suffix`, built without holding the inflated stream. */
export function flateRepeated(prefix: string, block: Buffer, times: number, suffix: string): Buffer {
  const deflated = deflateRepeated([{ data: prefix }, { data: block, times }, { data: suffix }]);
  const parts = [Buffer.from(prefix), block, Buffer.from(suffix)];
  let adler = adler32Repeated(parts[0] as Buffer, 1);
  const combineWith = (buffer: Buffer, count: number): void => {
    if (buffer.length === 0 || count === 0) return;
    adler = adler32Combine(adler, adler32Repeated(buffer, count), buffer.length * count);
  };
  combineWith(block, times);
  combineWith(parts[2] as Buffer, 1);
  return zlibFramed(deflated, adler);
}

function adler32Combine(adler1: number, adler2: number, len2: number): number {
  const BASE = 65521;
  const rem = len2 % BASE;
  let sum1 = adler1 & 0xffff;
  let sum2 = (rem * sum1) % BASE;
  sum1 += (adler2 & 0xffff) + BASE - 1;
  sum2 += ((adler1 >>> 16) & 0xffff) + ((adler2 >>> 16) & 0xffff) + BASE - rem;
  if (sum1 >= BASE) sum1 -= BASE;
  if (sum1 >= BASE) sum1 -= BASE;
  if (sum2 >= BASE * 2) sum2 -= BASE * 2;
  if (sum2 >= BASE) sum2 -= BASE;
  return ((sum2 << 16) | sum1) >>> 0;
}

/** A one-page PDF whose text shows `text` (a benign document, e.g. a canary). */
export function textPdf(text: string): Buffer {
  const content = `BT /F1 24 Tf 72 700 Td (${text}) Tj ET`;
  return buildPdf({ content: { dict: '/Filter /FlateDecode', stream: deflateSync(content) } });
}

/** A page whose content stream inflates to `inflatedMib` MiB (the 972 KB PDF with a 1 GB FlateDecode stream). */
export function flateBombPdf(inflatedMib = 1024): Buffer {
  return buildPdf({
    content: {
      dict: '/Filter /FlateDecode',
      stream: flateRepeated(
        'BT /F1 24 Tf 72 700 Td (Flate bomb) Tj ET\n',
        Buffer.alloc(MIB, 0x20),
        inflatedMib,
        '\n',
      ),
    },
  });
}

/**
 * A page drawing one RGB image XObject of `width` x `height`. With `realData` its Flate stream holds every
 * pixel (a large real image, built without holding it); without, a few bytes stand for a declared size only.
 */
export function imagePdf(width: number, height: number, realData: boolean): Buffer {
  const row = Buffer.alloc(width * 3, 0x80);
  const stream = realData ? flateRepeated('', row, height, '') : deflateSync(Buffer.alloc(16));
  return buildPdf({
    content: {
      dict: '',
      stream: Buffer.from('BT /F1 24 Tf 72 740 Td (Image page) Tj ET q 400 0 0 400 100 200 cm /Im1 Do Q'),
    },
    extraObjects: [
      {
        dict: `/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode`,
        stream,
      },
    ],
    extraResources: '/XObject << /Im1 6 0 R >>',
  });
}
