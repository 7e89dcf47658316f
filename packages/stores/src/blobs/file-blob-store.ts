import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AegisError } from '@aegis/core';
import type { BlobStore } from '@aegis/pipeline';

const BLOB_PATH = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

/**
 * Blobs as files under `root`, at `sha256/<first two hex>/<sha256>`. Writes go to a temporary file and are
 * renamed into place, so a reader never sees half a blob and concurrent writers of the same bytes agree.
 */
export function createFileBlobStore(options: { root: string }): BlobStore {
  const root = path.resolve(options.root);

  function resolve(blobPath: string): string {
    // Only paths this store made are accepted: no `..`, no absolute paths from a tampered row.
    if (!BLOB_PATH.test(blobPath)) throw new AegisError('VALIDATION_FAILED', `not a blob path: ${blobPath}`);
    return path.join(root, blobPath);
  }

  return {
    async put(data) {
      const sha256 = createHash('sha256').update(data).digest('hex');
      const blobPath = `sha256/${sha256.slice(0, 2)}/${sha256}`;
      const file = path.join(root, blobPath);
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, data, { flag: 'wx' });
      await rename(temporary, file);
      return { path: blobPath, sha256, size: data.byteLength };
    },
    async putStream(source, options) {
      const hash = createHash('sha256');
      const incoming = path.join(root, 'incoming');
      await mkdir(incoming, { recursive: true });
      // Named by a random id until the hash is known; `wx`: never follow or reuse an existing path.
      const temporary = path.join(incoming, `${randomBytes(12).toString('hex')}.tmp`);
      const file = await open(temporary, 'wx', 0o600);
      let size = 0;
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (size > options.maxBytes)
            throw new AegisError(
              'DOCUMENT_TOO_LARGE',
              `The document is larger than the limit of ${options.maxBytes} bytes (UPLOAD_MAX_BYTES).`,
              { details: { maxBytes: options.maxBytes } },
            );
          hash.update(chunk);
          options.observe?.(chunk);
          await file.write(chunk);
        }
        await file.close();
        const sha256 = hash.digest('hex');
        await options.accept?.({ sha256, size });
        const blobPath = `sha256/${sha256.slice(0, 2)}/${sha256}`;
        const target = path.join(root, blobPath);
        await mkdir(path.dirname(target), { recursive: true });
        await rename(temporary, target);
        return { path: blobPath, sha256, size };
      } catch (error) {
        await file.close().catch(() => {});
        await rm(temporary, { force: true });
        throw error;
      }
    },
    async get(blobPath) {
      try {
        return new Uint8Array(await readFile(resolve(blobPath)));
      } catch (error) {
        // A file missing from a folder that is there is the document's loss; anything else (the folder
        // unmounted, I/O errors, permissions) is the folder's outage, which workers wait out.
        const missing =
          (error as NodeJS.ErrnoException).code === 'ENOENT' &&
          (await access(root).then(
            () => true,
            () => false,
          ));
        throw new AegisError(
          missing ? 'BLOB_MISSING' : 'STORE_UNAVAILABLE',
          `blob ${blobPath} cannot be read: ${(error as Error).message}`,
          { cause: error, details: { store: 'blob' } },
        );
      }
    },
    async delete(blobPath) {
      await rm(resolve(blobPath), { force: true });
    },
  };
}
