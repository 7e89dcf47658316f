import { AegisError } from '@aegis/core';
import yauzl from 'yauzl';

const MIB = 1024 * 1024;

/** Bounds of one archive. Every one is checked before the bytes it guards are inflated, or as they stream. */
export interface ZipLimits {
  /** Entries in the central directory. Default 10,000. */
  maxEntries: number;
  /** Inflated bytes of one entry that is read. Default 64 MiB. */
  maxEntryBytes: number;
  /** Inflated bytes read from the whole archive (overlapping entries count each time). Default 256 MiB. */
  maxTotalBytes: number;
  /** Sum of the sizes the central directory declares for all entries. Default 2 GiB. */
  maxDeclaredBytes: number;
  /** Inflated / compressed size of an entry over `ratioFloorBytes`, declared or actual. Default 200. */
  maxRatio: number;
  /** Entries smaller than this (inflated) are not ratio-checked: tiny files compress arbitrarily well. Default 1 MiB. */
  ratioFloorBytes: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 10_000,
  maxEntryBytes: 64 * MIB,
  maxTotalBytes: 256 * MIB,
  maxDeclaredBytes: 2048 * MIB,
  maxRatio: 200,
  ratioFloorBytes: MIB,
});

/** One entry as the central directory declares it. */
export interface ZipEntryInfo {
  name: string;
  compressedBytes: number;
  declaredBytes: number;
}

/** An archive opened through {@link openZipGuarded}: entries are listed without inflating anything. */
export interface GuardedZip {
  /** Every entry of the central directory, in its order. */
  readonly entries: readonly ZipEntryInfo[];
  has(name: string): boolean;
  /**
   * Inflates one entry, checking its declared size, ratio and the archive's running total first, and the
   * actual bytes as they stream (a lying header stops at the first chunk past a bound). `onChunk` sees each
   * inflated chunk (e.g. a bounded XML parser) before it is kept.
   *
   * @throws AegisError `RESOURCE_LIMIT_EXCEEDED`, or `UNSUPPORTED_TYPE` for a corrupt entry.
   */
  read(name: string, onChunk?: (chunk: Buffer) => void): Promise<Buffer>;
  /** As {@link read}, but keeps nothing: each chunk goes to `onChunk` only. Resolves with the inflated size. */
  stream(name: string, onChunk: (chunk: Buffer) => void): Promise<number>;
  close(): void;
}

/**
 * Opens a ZIP-based document (docx, xlsx, pptx, epub, odt...) for bounded reading. Why yauzl: it reads the
 * central directory (what Office readers trust) and validates each local header against it, streams
 * through Node's native zlib (no whole-entry buffers), checks the actual inflated size against the declared
 * one, refuses unsafe entry names, and is small, dependency-free and maintained. fflate's streaming `Unzip`
 * reads local headers only, so it can be fooled by an archive whose directory says otherwise; JSZip (used by
 * mammoth) inflates whole entries into memory, which is what a bomb exploits.
 *
 * `label` names the document in messages ("Word document").
 *
 * @throws AegisError `UNSUPPORTED_TYPE` (not a readable archive, duplicate entry names) or
 *   `RESOURCE_LIMIT_EXCEEDED` (too many entries, declared sizes or ratios over the limits).
 */
export async function openZipGuarded(
  data: Uint8Array,
  label: string,
  limits: Partial<ZipLimits> = {},
): Promise<GuardedZip> {
  const bounds: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...limits };
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
      strictFileNames: false,
    });
  } catch (error) {
    throw unreadable(label, error);
  }
  try {
    if (zip.entryCount > bounds.maxEntries) {
      throw overLimit(label, `${zip.entryCount} entries`, `${bounds.maxEntries} entries`, {
        entries: zip.entryCount,
      });
    }
    const byName = await listEntries(zip, label);
    let declared = 0;
    for (const entry of byName.values()) {
      declared += entry.uncompressedSize;
      checkRatio(label, entry.fileName, entry.uncompressedSize, entry.compressedSize, bounds, 'declares');
    }
    if (declared > bounds.maxDeclaredBytes) {
      throw overLimit(
        label,
        `${mib(declared)} MiB declared in total`,
        `${mib(bounds.maxDeclaredBytes)} MiB`,
        {
          declaredBytes: declared,
        },
      );
    }
    return guarded(zip, byName, label, bounds);
  } catch (error) {
    zip.close();
    throw error;
  }
}

function listEntries(zip: yauzl.ZipFile, label: string): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const byName = new Map<string, yauzl.Entry>();
    zip.on('entry', (entry: yauzl.Entry) => {
      // Two entries of one name are read differently by different tools: a classic way to smuggle content.
      if (byName.has(entry.fileName)) {
        reject(
          new AegisError(
            'UNSUPPORTED_TYPE',
            `The ${label} holds the entry "${entry.fileName}" twice; it is malformed or crafted.`,
          ),
        );
        return;
      }
      byName.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(byName));
    zip.once('error', (error: Error) => reject(unreadable(label, error)));
    zip.readEntry();
  });
}

function guarded(
  zip: yauzl.ZipFile,
  byName: Map<string, yauzl.Entry>,
  label: string,
  bounds: ZipLimits,
): GuardedZip {
  let totalRead = 0;
  const pump = async (name: string, onChunk: (chunk: Buffer) => void): Promise<number> => {
    const entry = byName.get(name);
    if (entry === undefined) throw new AegisError('UNSUPPORTED_TYPE', `The ${label} has no entry "${name}".`);
    if (entry.uncompressedSize > bounds.maxEntryBytes) {
      throw overLimit(
        label,
        `"${name}" declares ${mib(entry.uncompressedSize)} MiB`,
        `${mib(bounds.maxEntryBytes)} MiB per entry`,
        {
          entry: name,
          declaredBytes: entry.uncompressedSize,
        },
      );
    }
    if (totalRead + entry.uncompressedSize > bounds.maxTotalBytes) {
      throw overLimit(
        label,
        `${mib(totalRead + entry.uncompressedSize)} MiB inflated in total`,
        `${mib(bounds.maxTotalBytes)} MiB`,
        {
          entry: name,
        },
      );
    }
    let stream: NodeJS.ReadableStream & { destroy(error?: Error): void };
    try {
      stream = await zip.openReadStreamPromise(entry);
    } catch (error) {
      throw unreadable(label, error);
    }
    let inflated = 0;
    return new Promise<number>((resolve, reject) => {
      let failed = false;
      const fail = (error: unknown): void => {
        if (failed) return;
        failed = true;
        stream.destroy();
        reject(error);
      };
      stream.on('data', (chunk: Buffer) => {
        if (failed) return;
        inflated += chunk.length;
        totalRead += chunk.length;
        try {
          if (inflated > bounds.maxEntryBytes) {
            throw overLimit(
              label,
              `"${name}" inflates past ${mib(bounds.maxEntryBytes)} MiB`,
              `${mib(bounds.maxEntryBytes)} MiB per entry`,
              { entry: name },
            );
          }
          if (totalRead > bounds.maxTotalBytes) {
            throw overLimit(
              label,
              `over ${mib(bounds.maxTotalBytes)} MiB inflated in total`,
              `${mib(bounds.maxTotalBytes)} MiB`,
              { entry: name },
            );
          }
          checkRatio(label, name, inflated, entry.compressedSize, bounds, 'inflates to');
          onChunk(chunk);
        } catch (error) {
          fail(error);
        }
      });
      stream.once('error', (error: Error) =>
        fail(
          // yauzl's size validation: the entry inflates past the size its headers declare (a lying bomb).
          /too many bytes in the stream/.test(error.message)
            ? overLimit(
                label,
                `"${name}" inflates past the ${entry.uncompressedSize} bytes it declares`,
                'its declared size',
                {
                  entry: name,
                  declaredBytes: entry.uncompressedSize,
                },
              )
            : unreadable(label, error),
        ),
      );
      stream.once('end', () => {
        if (!failed) resolve(inflated);
      });
    });
  };
  return {
    entries: [...byName.values()].map((entry) => ({
      name: entry.fileName,
      compressedBytes: entry.compressedSize,
      declaredBytes: entry.uncompressedSize,
    })),
    has: (name) => byName.has(name),
    async read(name, onChunk) {
      const chunks: Buffer[] = [];
      await pump(name, (chunk) => {
        onChunk?.(chunk);
        chunks.push(chunk);
      });
      return Buffer.concat(chunks);
    },
    stream: pump,
    close: () => zip.close(),
  };
}

function checkRatio(
  label: string,
  name: string,
  inflatedBytes: number,
  compressedBytes: number,
  bounds: ZipLimits,
  verb: string,
): void {
  if (inflatedBytes <= bounds.ratioFloorBytes) return;
  const ratio = inflatedBytes / Math.max(1, compressedBytes);
  if (ratio > bounds.maxRatio) {
    throw overLimit(
      label,
      `"${name}" ${verb} ${Math.round(ratio)}x its compressed size`,
      `a ratio of ${bounds.maxRatio}`,
      { entry: name, ratio: Math.round(ratio) },
    );
  }
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0);

function overLimit(label: string, what: string, limit: string, details: Record<string, unknown>): AegisError {
  return new AegisError(
    'RESOURCE_LIMIT_EXCEEDED',
    `The ${label} was refused before it was unpacked: ${what}, over the limit of ${limit} (a decompression bomb or a file too large to read).`,
    { details },
  );
}

function unreadable(label: string, error: unknown): AegisError {
  if (error instanceof AegisError) return error;
  return new AegisError(
    'UNSUPPORTED_TYPE',
    `The ${label} is not a readable ZIP archive (${(error as Error).message}). Re-save it and upload again.`,
    { cause: error },
  );
}
