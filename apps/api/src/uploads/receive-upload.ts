import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AegisError } from '@aegis/core';
import type { FastifyRequest } from 'fastify';

/** An upload written to a private temp file; the caller must call `discard()` whatever happens next. */
export interface ReceivedUpload {
  tempPath: string;
  filename: string;
  mimeType: string;
  byteSize: number;
  sha256: string;
  discard(): Promise<void>;
}

export interface ReceiveUploadOptions {
  /** Largest accepted file, in bytes (`UPLOAD_MAX_BYTES`). */
  maxBytes: number;
  /** Where the temp file goes (default the OS temp dir; tests pass their own to list it). */
  tempDir: string;
}

/** Counts and hashes the bytes as they pass, and fails as soon as there are more than `maxBytes`. */
function meter(maxBytes: number): Transform & { bytes: number; digest(): string } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        callback(
          new AegisError('PAYLOAD_TOO_LARGE', `The upload is larger than the limit of ${maxBytes} bytes.`, {
            details: { maxBytes },
          }),
        );
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return Object.assign(stream, {
    get bytes() {
      return bytes;
    },
    digest: () => hash.digest('hex'),
  });
}

/**
 * Streams the request's single multipart file to a temp file while computing its sha256 and size, so memory
 * stays flat during the transfer and an oversized upload is cut off at the limit. On any failure the temp
 * file is removed before the error propagates: nothing is left on disk by a rejected upload.
 *
 * @throws AegisError `VALIDATION_FAILED` (no file part), `PAYLOAD_TOO_LARGE` (over `maxBytes`).
 */
export async function receiveUpload(
  request: FastifyRequest,
  options: ReceiveUploadOptions,
): Promise<ReceivedUpload> {
  // busboy truncates at fileSize; one byte more than allowed lets `meter` see and reject the excess.
  const part = await request.file({ limits: { fileSize: options.maxBytes + 1, files: 1, fields: 10 } });
  if (!part) throw new AegisError('VALIDATION_FAILED', 'The multipart body has no file part.');
  const tempPath = path.join(options.tempDir, `aegis-upload-${randomUUID()}`);
  const discard = () => rm(tempPath, { force: true });
  const counter = meter(options.maxBytes);
  try {
    // `wx`: never follow or overwrite an existing path; 0600: other local users cannot read uploads.
    await pipeline(part.file, counter, createWriteStream(tempPath, { flags: 'wx', mode: 0o600 }));
    if (part.file.truncated) {
      throw new AegisError(
        'PAYLOAD_TOO_LARGE',
        `The upload is larger than the limit of ${options.maxBytes} bytes.`,
        {
          details: { maxBytes: options.maxBytes },
        },
      );
    }
  } catch (error) {
    await discard();
    part.file.resume();
    throw error;
  }
  return {
    tempPath,
    filename: part.filename || 'upload',
    mimeType: part.mimetype,
    byteSize: counter.bytes,
    sha256: counter.digest(),
    discard,
  };
}
