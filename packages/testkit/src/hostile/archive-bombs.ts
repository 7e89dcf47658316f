import { randomBytes } from 'node:crypto';
import { type DeflatedData, deflateRepeated } from './deflate-repeat.ts';
import { type ArchiveFormat, archiveDocument, archiveLayout } from './office-packages.ts';
import { buildZip } from './zip-writer.ts';

const MIB = 1024 * 1024;

/** The format's main part of `inflatedMib` MiB of repeated paragraphs: the 295 KB .docx of 100 MB XML. */
export function paragraphBomb(format: ArchiveFormat, inflatedMib = 100): Buffer {
  const { head, unit, tail } = archiveLayout(format);
  const block = unit('All work and no play makes Jack a dull boy.').repeat(Math.ceil(MIB / 80));
  return archiveDocument(format, {
    kind: 'deflated',
    data: deflateRepeated([
      { data: head },
      { data: block, times: Math.round((inflatedMib * MIB) / block.length) },
      { data: tail },
    ]),
  });
}

/** One text element of `inflatedMib` MiB of spaces: the 2 MB .docx of 2.1 GB. */
export function spacesBomb(format: ArchiveFormat, inflatedMib = 2150): Buffer {
  const { head, unit, tail } = archiveLayout(format);
  const [open = '', close = ''] = unit('\u0000').split('\u0000');
  return archiveDocument(format, {
    kind: 'deflated',
    data: deflateRepeated([
      { data: head + open },
      { data: Buffer.alloc(MIB, 0x20), times: inflatedMib },
      { data: close + tail },
    ]),
  });
}

/**
 * A bomb whose headers lie: the directory declares `declaredBytes` (a few KiB) for a part that inflates to
 * `inflatedMib` MiB. Only the actual bytes, counted as they stream, can catch it.
 */
export function lyingSizeBomb(format: ArchiveFormat, inflatedMib = 512, declaredBytes = 4096): Buffer {
  const { head, unit, tail } = archiveLayout(format);
  const block = unit('x'.repeat(40)).repeat(Math.ceil(MIB / 80));
  return archiveDocument(format, {
    kind: 'deflated',
    declaredBytes,
    data: deflateRepeated([
      { data: head },
      { data: block, times: Math.round((inflatedMib * MIB) / block.length) },
      { data: tail },
    ]),
  });
}

/** Elements nested `depth` deep inside the main part (a few KiB compressed). */
export function deepXmlBomb(format: ArchiveFormat, depth = 100_000): Buffer {
  const { head, tail } = archiveLayout(format);
  return archiveDocument(format, {
    kind: 'deflated',
    data: deflateRepeated([
      { data: head },
      { data: '<x>', times: depth },
      { data: '</x>', times: depth },
      { data: tail },
    ]),
  });
}

/**
 * `count` small paragraphs of random words: a ratio like any real document (no ratio check fires), but more
 * elements than a tree-building parser can hold in the sandbox heap.
 */
export function manyElementsDocument(format: ArchiveFormat, count = 2_000_000): Buffer {
  const { head, unit, tail } = archiveLayout(format);
  // Random text keeps the ratio realistic; 4,096 distinct units repeated keep building fast.
  const units = Array.from({ length: 4096 }, () => unit(randomBytes(6).toString('base64url'))).join('');
  return archiveDocument(format, {
    kind: 'deflated',
    data: deflateRepeated([{ data: head }, { data: units, times: Math.ceil(count / 4096) }, { data: tail }]),
  });
}

/** A valid package plus `count` tiny extra entries (a directory bomb). */
export function manyEntriesDocument(format: ArchiveFormat, count = 50_000): Buffer {
  const extra = Array.from({ length: count }, (_, i) => ({
    name: `extra/e${i}.bin`,
    data: '',
    stored: true,
  }));
  return archiveDocument(format, { kind: 'text', paragraphs: ['Too many entries.'] }, extra);
}

/** A ZIP (not a document) of `entries` entries each inflating to `inflatedMib`: the classic bomb shape. */
export function plainZipBomb(entries = 10, inflatedMib = 1024): Buffer {
  const data: DeflatedData = deflateRepeated([{ data: Buffer.alloc(MIB), times: inflatedMib }]);
  return buildZip(Array.from({ length: entries }, (_, i) => ({ name: `bomb${i}.bin`, data })));
}
