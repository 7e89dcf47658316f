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
  /** The text fields sent beside the file (e.g. `sourceKey`, `knowledgeBase`, `metadata`), by field name; the last value wins. */
  fields: Record<string, string>;
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

/** Whether a multipart failure is the caller's (a malformed body) rather than ours (the disk). */
function asUploadError(error: unknown, maxBytes: number): unknown {
  if (error instanceof AegisError) return error;
  if (error instanceof Error && 'syscall' in error) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_FILES_LIMIT')
    return new AegisError('TOO_MANY_FILES', 'Send one file per upload request.', {
      details: { maxFiles: 1 },
    });
  if (code === 'FST_REQ_FILE_TOO_LARGE')
    return new AegisError('PAYLOAD_TOO_LARGE', `The upload is larger than the limit of ${maxBytes} bytes.`, {
      details: { maxBytes },
    });
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 500) return error;
  // busboy's and the plugin's parse errors: no boundary, a part ended early, a bad header, too many parts.
  return new AegisError('VALIDATION_FAILED', 'The multipart body is malformed.', {
    cause: error,
    details: { reason: error instanceof Error ? error.message.slice(0, 200) : 'unreadable' },
  });
}

/**
 * Streams the request's one multipart file to a temp file while computing its sha256 and size, so memory
 * stays flat during the transfer and an oversized upload is cut off at the limit. The rest of the body is read
 * too: a second file part refuses the whole request (`TOO_MANY_FILES`) instead of being dropped. On any
 * failure the temp file is removed before the error propagates: nothing is left on disk by a rejected upload.
 *
 * @throws AegisError `VALIDATION_FAILED` (no file part, malformed multipart), `TOO_MANY_FILES`,
 *   `PAYLOAD_TOO_LARGE` (over `maxBytes`).
 */
export async function receiveUpload(
  request: FastifyRequest,
  options: ReceiveUploadOptions,
): Promise<ReceivedUpload> {
  const tempPath = path.join(options.tempDir, `aegis-upload-${randomUUID()}`);
  const discard = () => rm(tempPath, { force: true });
  const counter = meter(options.maxBytes);
  let received: { filename: string; mimeType: string } | undefined;
  const fields: Record<string, string> = {};
  try {
    // busboy truncates at fileSize; one byte more than allowed lets `meter` see and reject the excess.
    const parts = request.parts({
      limits: { fileSize: options.maxBytes + 1, files: 1, fields: 10, parts: 20, fieldSize: 65_536 },
    });
    for await (const part of parts) {
      if (part.type !== 'file') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value;
        continue;
      }
      if (received !== undefined) {
        part.file.resume();
        throw new AegisError('TOO_MANY_FILES', 'Send one file per upload request.', {
          details: { maxFiles: 1 },
        });
      }
      // `wx`: never follow or overwrite an existing path; 0600: other local users cannot read uploads.
      await pipeline(part.file, counter, createWriteStream(tempPath, { flags: 'wx', mode: 0o600 }));
      if (part.file.truncated) {
        throw new AegisError(
          'PAYLOAD_TOO_LARGE',
          `The upload is larger than the limit of ${options.maxBytes} bytes.`,
          { details: { maxBytes: options.maxBytes } },
        );
      }
      received = { filename: part.filename || 'upload', mimeType: part.mimetype };
    }
  } catch (error) {
    await discard();
    throw asUploadError(error, options.maxBytes);
  }
  if (received === undefined) {
    await discard();
    throw new AegisError('VALIDATION_FAILED', 'The multipart body has no file part.');
  }
  return {
    tempPath,
    filename: received.filename,
    mimeType: received.mimeType,
    byteSize: counter.bytes,
    sha256: counter.digest(),
    fields,
    discard,
  };
}
