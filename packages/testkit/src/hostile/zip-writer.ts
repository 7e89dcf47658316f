import { crc32, deflateRawSync } from 'node:zlib';
import type { DeflatedData } from './deflate-repeat.ts';

/** One entry of {@link buildZip}. */
export interface ZipEntrySpec {
  name: string;
  /** Plain content, deflated here; or an already deflated stream (e.g. from `deflateRepeated`). */
  data: Buffer | string | DeflatedData;
  /** Store instead of deflate (plain content only). */
  stored?: boolean;
  /** The uncompressed size written in both headers, when it must lie. Default: the true size. */
  declaredBytes?: number;
}

const isDeflated = (data: ZipEntrySpec['data']): data is DeflatedData =>
  typeof data === 'object' && !Buffer.isBuffer(data);

/**
 * A ZIP archive (no ZIP64, sizes under 4 GiB) written by hand, so tests can build what no archiver would:
 * bombs, entries declaring sizes they do not have, duplicate names.
 */
export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    let body: Buffer;
    let crc: number;
    let size: number;
    let method: number;
    if (isDeflated(entry.data)) {
      ({ compressed: body, crc32: crc, inflatedBytes: size } = entry.data);
      method = 8;
    } else {
      const plain = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
      crc = crc32(plain);
      size = plain.length;
      method = entry.stored ? 0 : 8;
      body = entry.stored ? plain : deflateRawSync(plain);
    }
    const declared = entry.declaredBytes ?? size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
